package policies

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Every remediation of the library is safe to paste, filled with a
// hostile subject: each placeholder is of the kind its place needs (a URL
// takes {user:url}, a PowerShell argument {user}, prose {user:text}, never
// as a command's argument), and what it is filled with stays what it was
// written as: one PowerShell literal string, one encoded path segment.
func TestRemediationsAreSafeToPaste(t *testing.T) {
	set := loadEmbedded(t)
	hostile := []string{
		"bob@contoso.com'; Add-MailboxPermission -Identity ceo@contoso.com -User evil@evil.example -AccessRights FullAccess; #",
		"bob@contoso.com’; Remove-Mailbox -Identity ceo@contoso.com -Confirm:$false; #", // a curly quote PowerShell also ends strings with
		"$(Invoke-Expression 'calc')@contoso.com",
		"bob@contoso.com/../../me?x=1#frag",
	}
	inURL := regexp.MustCompile(`(https://|\.\.\./)\S*\{user(:text)?\}`)
	asArgument := regexp.MustCompile(`(^|\s)-[A-Za-z]+\s+\(?\{user:(text|url)\}`)
	inQuotes := regexp.MustCompile(`'[^' ]*\{user[^}]*\}[^' ]*'`)
	for _, p := range set.Policies {
		r := p.Remediation
		if !placeholder.MatchString(r) {
			t.Errorf("%s: the remediation names no account or tenant", p.ID)
		}
		for _, bad := range []struct {
			re  *regexp.Regexp
			why string
		}{{inURL, "a URL takes {user:url}"}, {asArgument, "a command's argument takes {user}"}, {inQuotes, "{user} quotes itself"}} {
			if m := bad.re.FindString(r); m != "" {
				t.Errorf("%s: %q: %s", p.ID, m, bad.why)
			}
		}
		for _, subject := range hostile {
			parts := placeholder.Split(r, -1)
			kinds := placeholder.FindAllStringSubmatch(r, -1)
			out := fillRemediation(r, subject)
			pos := 0
			for i, part := range parts {
				if !strings.HasPrefix(out[pos:], part) {
					t.Fatalf("%s: filled text does not follow the template at %q", p.ID, part)
				}
				pos += len(part)
				if i == len(kinds) {
					break
				}
				var want string
				switch kinds[i][1] {
				case "":
					want = PowerShellQuote(subject)
					if !oneLiteral(want) {
						t.Errorf("%s: %q is not one PowerShell literal", p.ID, want)
					}
				case ":url":
					want = url.PathEscape(subject)
					if strings.ContainsAny(want, "/?#' ;") {
						t.Errorf("%s: %q leaves its path segment", p.ID, want)
					}
				case ":text":
					want = subject
				}
				if !strings.HasPrefix(out[pos:], want) {
					t.Errorf("%s: placeholder %d filled with %q, want %q", p.ID, i, out[pos:min(len(out), pos+len(want))], want)
				}
				pos += len(want)
			}
		}
	}
}

// oneLiteral says whether s is exactly one PowerShell single-quoted
// string: a quote (straight or curly) inside it is always doubled.
func oneLiteral(s string) bool {
	quote := func(r rune) bool { return r == '\'' || r == '‘' || r == '’' || r == '‚' || r == '‛' }
	runes := []rune(s)
	if len(runes) < 2 || !quote(runes[0]) || !quote(runes[len(runes)-1]) {
		return false
	}
	for i := 1; i < len(runes)-1; i++ {
		if quote(runes[i]) {
			if i+1 >= len(runes)-1 || !quote(runes[i+1]) {
				return false
			}
			i++
		}
	}
	return true
}

func TestPowerShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"bob@contoso.com": "'bob@contoso.com'",
		"o'brien@x.com":   "'o''brien@x.com'",
		"a’b":             "'a’’b'",
		"":                "''",
	} {
		if got := PowerShellQuote(in); got != want {
			t.Errorf("PowerShellQuote(%q) = %q, want %q", in, got, want)
		}
	}
	if got := fillRemediation("Set-Mailbox {user}; GET https://graph.microsoft.com/v1.0/users/{user:url}; talk to {user:text}", "a b'c"); got != "Set-Mailbox 'a b''c'; GET https://graph.microsoft.com/v1.0/users/a%20b%27c; talk to a b'c" {
		t.Errorf("filled: %s", got)
	}
	if bad := badPlaceholders("x {user:sql} y {user} z"); len(bad) != 1 || bad[0] != "{user:sql}" {
		t.Errorf("unknown placeholders: %v", bad)
	}
}
