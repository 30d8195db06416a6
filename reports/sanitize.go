package reports

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/closeout-dev/closeout/results"
)

// Text in a report comes from the tenant (a UPN, a display name, a rule's
// name), from a file or from a custom policy: none of it may drive the
// terminal or the Markdown renderer that shows it.

// TermSafe makes s one line of plain text for a terminal, as every report
// shows tenant text: for a command that prints such text itself.
func TermSafe(s string) string { return termSafe(s) }

// termSafe makes s one line of plain text for a terminal: control
// characters (escape sequences, carriage returns, C1 codes) and the Unicode
// controls that reorder or hide text are shown as \xNN or \uNNNN instead of
// acting; newlines and tabs become spaces.
func termSafe(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			b.WriteByte(' ')
		case unsafeRune(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true // bidirectional overrides and isolates
	case r == unicode.ReplacementChar:
		return false
	}
	return false
}

// mdText makes s inline Markdown text that renders as itself: no link,
// emphasis, HTML, heading or table cell boundary can come from the data.
func mdText(s string) string {
	s = termSafe(s)
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|#~!&", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdCode is s as an inline code span, whatever backticks s holds.
func mdCode(s string) string {
	s = termSafe(s)
	if s == "" {
		return ""
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// displayText returns a copy of s whose displayed strings went through
// clean. Evidence is left alone: the formats that show it encode it.
func displayText(s *results.Subject, clean func(string) string) *results.Subject {
	c := *s
	c.Subject, c.DisplayName, c.Tenant = clean(s.Subject), clean(s.DisplayName), clean(s.Tenant)
	c.Source, c.Incident, c.Mode = clean(s.Source), clean(s.Incident), clean(s.Mode)
	if s.Timeline != nil {
		c.Timeline = make([]results.Event, len(s.Timeline))
		for i, e := range s.Timeline {
			e.What, e.Checklist = clean(e.What), clean(e.Checklist)
			c.Timeline[i] = e
		}
	}
	c.Findings = make([]results.Finding, len(s.Findings))
	for i, f := range s.Findings {
		f.PolicyID, f.Title, f.Checklist, f.Subject = clean(f.PolicyID), clean(f.Title), clean(f.Checklist), clean(f.Subject)
		f.Message, f.Remediation = clean(f.Message), clean(f.Remediation)
		c.Findings[i] = f
	}
	return &c
}
