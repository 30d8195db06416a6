package policies

import (
	"net/url"
	"regexp"
	"strings"
)

// A remediation names the account (or tenant) it is about through a
// placeholder, filled in for the shell or URL it stands in, so that a
// value an attacker chose (a user principal name, a display name) can be
// pasted into PowerShell or a browser as it is printed and never runs as a
// command:
//
//	{user}       a PowerShell argument: 'bob@contoso.com', single quotes
//	             doubled inside (PowerShell's literal string)
//	{user:url}   a URL path segment, percent-encoded
//	{user:text}  prose: the value as it is (reports show it inert)
var placeholder = regexp.MustCompile(`\{user(:[a-z]+)?\}`)

// placeholderKinds are the kinds a remediation may use.
var placeholderKinds = map[string]bool{"": true, ":url": true, ":text": true}

// fillRemediation fills a remediation's placeholders with the subject.
func fillRemediation(template, subject string) string {
	return placeholder.ReplaceAllStringFunc(template, func(m string) string {
		switch placeholder.FindStringSubmatch(m)[1] {
		case ":url":
			return url.PathEscape(subject)
		case ":text":
			return subject
		case "":
			return PowerShellQuote(subject)
		}
		return m
	})
}

// PowerShellQuote is s as a PowerShell literal string: single quotes, each
// quote inside doubled (the Unicode single quotes PowerShell also takes as
// quotes too), so nothing in it is interpreted.
func PowerShellQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\'', '\u2018', '\u2019', '\u201a', '\u201b':
			b.WriteRune(r)
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// badPlaceholders lists the placeholders of a remediation closeout does not
// know ({user:sql}, say), for Load to refuse.
func badPlaceholders(template string) []string {
	var bad []string
	for _, m := range placeholder.FindAllStringSubmatch(template, -1) {
		if !placeholderKinds[m[1]] {
			bad = append(bad, m[0])
		}
	}
	return bad
}
