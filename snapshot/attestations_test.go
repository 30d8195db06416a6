package snapshot

import (
	"errors"
	"strings"
	"testing"
)

// An alias reads as the value it names, never as the anchor's name.
func TestAttestationAliasIsItsValue(t *testing.T) {
	a, err := ParseAttestations([]byte(`userNotified:
  by: &who alice@contoso.com
  at: 2026-11-22T15:00:00Z
rootCauseIdentified:
  by: *who
  at: 2026-11-22T16:00:00Z
`), "a.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Steps["rootCauseIdentified"].By; got != "alice@contoso.com" {
		t.Errorf("by = %q, want the aliased value", got)
	}
}

func TestAttestationErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		// The parser's line, not line 1.
		{"indentation", "userNotified:\n  by: a@contoso.com\n  at: 2026-11-22T15:00:00Z\nrootCauseIdentified:\n  by: b\n   at: x\n", "a.yaml:6: not YAML or JSON"},
		{"by is a list", "userNotified:\n  by: [a, b]\n  at: 2026-11-22T15:00:00Z\n", "a.yaml:2: userNotified.by: expected a plain value"},
		{"alias to a mapping", "x: &m {a: 1}\nuserNotified:\n  by: *m\n  at: 2026-11-22T15:00:00Z\n", "userNotified.by: expected a plain value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAttestations([]byte(tc.src), "a.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// Whatever the bytes, the parser returns attestations or an *Error that
// names the file; it never panics.
func FuzzParseAttestations(f *testing.F) {
	f.Add([]byte("userNotified:\n  by: a@contoso.com\n  at: 2026-11-22T15:00:00Z\n"))
	f.Add([]byte("incident: INC-1\nrootCauseIdentified: {by: &x b, at: 2026-11-22T15:00:00Z}\nactivityReviewed: {by: *x, at: 2026-11-22T15:00:00Z}\n"))
	f.Add([]byte("{\"devicesScanned\": {\"by\": \"x\", \"at\": \"bad\"}}"))
	f.Add([]byte("- a\n- b\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := ParseAttestations(raw, "f.yaml")
		if err != nil {
			var se *Error
			for _, e := range unwrapAll(err) {
				if !errors.As(e, &se) || se.File != "f.yaml" {
					t.Fatalf("error %v does not name the file", e)
				}
			}
			return
		}
		for step, s := range a.Steps {
			if s.By == "" || s.At.IsZero() {
				t.Fatalf("step %s accepted without by or at: %+v", step, s)
			}
		}
	})
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
