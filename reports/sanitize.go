package reports

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

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

// inertWriter passes a data format's bytes through, writing each rune that
// could reorder, hide or drive what a viewer shows (a bidirectional
// override, DEL, a C1 code, a C0 control other than tab, newline and
// carriage return) as repl gives it. The formats' own encoders leave these
// runes raw (encoding/json escapes only C0; html/template and encoding/xml
// none of the bidirectional ones), so this is where every string of the
// document, whatever field it is in, is made inert at once.
type inertWriter struct {
	w       io.Writer
	repl    func(rune) string
	pending []byte // the start of a rune the next write completes
}

// newInertWriter wraps w; repl writes one flagged rune.
func newInertWriter(w io.Writer, repl func(rune) string) io.Writer {
	return &inertWriter{w: w, repl: repl}
}

// escapedRune is a flagged rune as \uNNNN: in a JSON string the escape of
// the rune itself (nothing is lost), in HTML or XML text it is shown as
// those six characters.
func escapedRune(r rune) string { return fmt.Sprintf(`\u%04x`, r) }

// visibleInJSON is a flagged rune as the six characters \uNNNN inside a
// JSON string: what a viewer decoding the JSON shows (SARIF's messages).
func visibleInJSON(r rune) string { return fmt.Sprintf(`\\u%04x`, r) }

func flagged(r rune) bool {
	return r != '\t' && r != '\n' && r != '\r' && unsafeRune(r)
}

func (iw *inertWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(iw.pending) > 0 {
		p = append(iw.pending, p...)
		iw.pending = nil
	}
	// Hold back a rune cut short by the end of this write.
	for i := len(p) - 1; i >= max(0, len(p)-(utf8.UTFMax-1)); i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				iw.pending = append([]byte(nil), p[i:]...)
				p = p[:i]
			}
			break
		}
	}
	var b []byte
	last := 0
	for i := 0; i < len(p); {
		c := p[i]
		if c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if flagged(r) {
			b = append(b, p[last:i]...)
			b = append(b, iw.repl(r)...)
			last = i + size
		}
		i += size
	}
	if b == nil {
		_, err := iw.w.Write(p)
		return n, err
	}
	b = append(b, p[last:]...)
	_, err := iw.w.Write(b)
	return n, err
}

// httpsURL holds for an absolute https URL: the only kind of link a report
// makes of a policy's references (a custom policy's metadata may say
// javascript:, data: or file:).
func httpsURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && !strings.ContainsFunc(s, unsafeRune)
}

// mdLines is multi-line text as Markdown that renders as itself, line by
// line (mdText makes one line of each).
func mdLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = mdText(l)
	}
	return strings.Join(lines, "\n")
}

// mdLink is a reference as a Markdown autolink when it is an https URL,
// or as inert text.
func mdLink(s string) string {
	if httpsURL(s) && !strings.ContainsAny(s, "<> ") {
		return "<" + s + ">"
	}
	return mdText(s)
}
