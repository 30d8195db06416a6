package snapshot

import (
	"fmt"
	"strings"
)

// Error is a problem with one input document. It names the file, the line,
// the JSON pointer of the offending value (when there is one) and the reason,
// so that a responder can open the file at the right place.
type Error struct {
	File    string
	Line    int    // 1-based; 0 when the problem is with the file as a whole
	Pointer string // RFC 6901 JSON pointer; "" when not about one value
	Reason  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Pointer != "" {
		fmt.Fprintf(&b, "at %s: ", e.Pointer)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// pointer renders a path of object keys and array indices as a JSON pointer.
func pointer(path []string) string {
	if len(path) == 0 {
		return ""
	}
	var b strings.Builder
	for _, p := range path {
		b.WriteByte('/')
		p = strings.ReplaceAll(p, "~", "~0")
		b.WriteString(strings.ReplaceAll(p, "/", "~1"))
	}
	return b.String()
}
