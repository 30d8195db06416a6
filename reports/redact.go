package reports

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/closeout-dev/closeout/results"
)

// Redactor replaces user principal names, email addresses, display names,
// IP addresses and phone numbers with pseudonyms, so a report can leave the
// security team. The same value gets the same pseudonym within a run (one
// key); a new key per run stops anyone matching pseudonyms across reports.
type Redactor struct {
	key   []byte
	names map[string]bool // display names and their words seen so far
}

// NewRedactor uses key for the pseudonyms; a nil key draws a random one.
func NewRedactor(key []byte) *Redactor {
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			panic("reports: no randomness for the redaction key: " + err.Error())
		}
	}
	return &Redactor{key: key, names: map[string]bool{}}
}

var (
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	ipv4Pattern  = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b`)
	ipv6Pattern  = regexp.MustCompile(`[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}`)
	phonePattern = regexp.MustCompile(`\+\d[\d -]{6,}\d`)
	// Keys whose values name people or their devices, whatever they contain.
	personalKeys = map[string]bool{"displayName": true, "initiatedBy": true, "trustee": true}
)

func (r *Redactor) token(kind, value string) string {
	mac := hmac.New(sha256.New, r.key)
	fmt.Fprintf(mac, "%s\x00%s", kind, strings.ToLower(value))
	return hex.EncodeToString(mac.Sum(nil))[:8]
}

func (r *Redactor) email(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	return fmt.Sprintf("user-%s@domain-%s.invalid", r.token("local", addr), r.token("domain", addr[at+1:])[:4])
}

func (r *Redactor) ip(addr string) string {
	t := r.token("ip", addr)
	if strings.Contains(addr, ":") {
		return "2001:db8::" + t[:4] + ":" + t[4:]
	}
	var a, b int
	fmt.Sscanf(t[:4], "%02x%02x", &a, &b)
	// 198.18.0.0/15 is reserved for benchmarking: never a real address.
	return fmt.Sprintf("198.%d.%d.%d", 18+a%2, b, 1+(a+b)%254)
}

// learn records a display name, and its longer words, as personal.
func (r *Redactor) learn(name string) {
	name = strings.TrimSpace(name)
	if name == "" {
		return
	}
	r.names[name] = true
	for _, w := range strings.FieldsFunc(name, func(c rune) bool { return !unicode.IsLetter(c) && c != '\'' }) {
		if len([]rune(w)) >= 3 {
			r.names[w] = true
		}
	}
}

// String redacts every personal value in s.
func (r *Redactor) String(s string) string {
	s = emailPattern.ReplaceAllStringFunc(s, r.email)
	s = ipv4Pattern.ReplaceAllStringFunc(s, func(m string) string {
		if net.ParseIP(m) == nil {
			return m
		}
		return r.ip(m)
	})
	s = ipv6Pattern.ReplaceAllStringFunc(s, func(m string) string {
		if ip := net.ParseIP(m); ip == nil || ip.To4() != nil {
			return m
		}
		return r.ip(m)
	})
	s = phonePattern.ReplaceAllStringFunc(s, func(m string) string { return "+00 " + r.token("phone", m) })
	if len(r.names) > 0 {
		// Longest first, so a full name goes before its words.
		names := make([]string, 0, len(r.names))
		for n := range r.names {
			names = append(names, n)
		}
		sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
		for _, n := range names {
			if strings.Contains(s, n) {
				s = replaceWord(s, n, "name-"+r.token("name", n)[:6])
			}
		}
	}
	return s
}

// replaceWord replaces old where it stands as a whole word (or words).
func replaceWord(s, old, repl string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, old)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(old)
		before, after := rune(0), rune(0)
		if i > 0 {
			before = []rune(s[:i])[len([]rune(s[:i]))-1]
		}
		if end < len(s) {
			after = []rune(s[end:])[0]
		}
		if unicode.IsLetter(before) || unicode.IsLetter(after) {
			b.WriteString(s[:end])
		} else {
			b.WriteString(s[:i])
			b.WriteString(repl)
		}
		s = s[end:]
	}
}

func (r *Redactor) value(key string, v any) any {
	switch x := v.(type) {
	case string:
		if personalKeys[key] && x != "" {
			r.learn(x)
		}
		return r.String(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = r.value(k, val)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i, m := range x {
			out[i] = r.value(key, m).(map[string]any)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = r.value(key, val)
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i, val := range x {
			out[i] = r.String(val)
		}
		return out
	}
	return v
}

// Subject returns a redacted copy of s.
func (r *Redactor) Subject(s *results.Subject) *results.Subject {
	r.learn(s.DisplayName)
	c := *s
	c.Subject = r.String(s.Subject)
	if s.DisplayName != "" {
		c.DisplayName = r.String(s.DisplayName)
	}
	if s.Tenant != "" {
		c.Tenant = "tenant-" + r.token("tenant", s.Tenant)
	}
	c.Source = r.String(s.Source)
	if s.Timeline != nil {
		c.Timeline = make([]results.Event, len(s.Timeline))
		for i, e := range s.Timeline {
			e.What = r.String(e.What)
			c.Timeline[i] = e
		}
	}
	c.Findings = make([]results.Finding, len(s.Findings))
	for i, f := range s.Findings {
		// Evidence first: it teaches the redactor the names it holds.
		if f.Evidence != nil {
			f.Evidence = r.value("", f.Evidence).(map[string]any)
		}
		f.Subject = r.String(f.Subject)
		f.Message = r.String(f.Message)
		f.Remediation = r.String(f.Remediation)
		c.Findings[i] = f
	}
	return &c
}

// Redact wraps a reporter so that everything it renders is redacted.
func Redact(rep Reporter, r *Redactor) Reporter { return &redacting{next: rep, r: r} }

type redacting struct {
	next Reporter
	r    *Redactor
}

func (x *redacting) Begin(meta results.Meta) error { return x.next.Begin(meta) }

func (x *redacting) Subject(s *results.Subject) error { return x.next.Subject(x.r.Subject(s)) }

func (x *redacting) End(sum results.Summary) error {
	errs := make([]results.InputError, len(sum.InputErrors))
	for i, e := range sum.InputErrors {
		errs[i] = results.InputError{Source: x.r.String(e.Source), Message: x.r.String(e.Message)}
	}
	sum.InputErrors = errs
	return x.next.End(sum)
}
