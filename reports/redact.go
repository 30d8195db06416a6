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
	key     []byte
	names   map[string]bool // display names and their words seen so far
	domains map[string]bool // the domains of the addresses seen so far
	// fixed: the names are learned before redacting (Snapshot), not
	// from every displayName met on the way (a role's, an app's).
	fixed bool
}

// NewRedactor uses key for the pseudonyms; a nil key draws a random one.
func NewRedactor(key []byte) *Redactor {
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			panic("reports: no randomness for the redaction key: " + err.Error())
		}
	}
	return &Redactor{key: key, names: map[string]bool{}, domains: map[string]bool{}}
}

var (
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	ipv4Pattern  = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b`)
	ipv6Pattern  = regexp.MustCompile(`[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}`)
	phonePattern = regexp.MustCompile(`\+\d[\d -]{6,}\d`)
	// A guest's user principal name: the invited address, its @ turned
	// into _, before #EXT#.
	guestPattern = regexp.MustCompile(`(?i)[A-Za-z0-9._%+'-]+#EXT#@`)
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
	r.domains[strings.ToLower(addr[at+1:])] = true
	return fmt.Sprintf("user-%s@%s", r.token("local", addr), r.domain(addr[at+1:]))
}

// domain is a domain's pseudonym: the one its addresses get, so that a
// message naming an address and then its domain stays readable.
func (r *Redactor) domain(d string) string {
	return "domain-" + r.token("domain", d)[:4] + ".invalid"
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
	s = guestPattern.ReplaceAllStringFunc(s, func(m string) string {
		return "guest-" + r.token("guest", m) + m[len(m)-len("#EXT#@"):]
	})
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
	for _, d := range longestFirst(r.domains) {
		if strings.Contains(s, d) {
			s = replaceWord(s, d, r.domain(d))
		}
	}
	if len(r.names) > 0 {
		// Longest first, so a full name goes before its words.
		for _, n := range longestFirst(r.names) {
			if strings.Contains(s, n) {
				s = replaceWord(s, n, "name-"+r.token("name", n)[:6])
			}
		}
	}
	return s
}

// longestFirst lists a set's strings, the longest first.
func longestFirst(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		return len(out[i]) > len(out[j]) || (len(out[i]) == len(out[j]) && out[i] < out[j])
	})
	return out
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

// study learns, before anything is redacted, the personal values a
// subject's data holds: names under personal keys, and the domains of
// addresses, which a message may name again on their own.
func (r *Redactor) study(key string, v any) {
	switch x := v.(type) {
	case string:
		if personalKeys[key] && x != "" {
			r.learn(x)
		}
		for _, addr := range emailPattern.FindAllString(x, -1) {
			r.domains[strings.ToLower(addr[strings.LastIndexByte(addr, '@')+1:])] = true
		}
	case map[string]any:
		for k, val := range x {
			r.study(k, val)
		}
	case []map[string]any:
		for _, m := range x {
			r.study(key, m)
		}
	case []any:
		for _, val := range x {
			r.study(key, val)
		}
	case []string:
		for _, val := range x {
			r.study(key, val)
		}
	}
}

func (r *Redactor) value(key string, v any) any {
	switch x := v.(type) {
	case string:
		if personalKeys[key] && x != "" && !r.fixed {
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
	for _, f := range s.Findings {
		r.study("", f.Evidence)
		r.study("", f.Message)
	}
	c.Findings = make([]results.Finding, len(s.Findings))
	for i, f := range s.Findings {
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
