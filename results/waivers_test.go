package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "waivers.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWaiversApply(t *testing.T) {
	w, err := LoadWaivers(write(t, `
- policy: CO-ROLE-001
  subject: "*@contoso.com"
  justification: Break-glass administrator, reviewed quarterly
  approvedBy: ciso@contoso.com
  expires: 2027-01-31
- policy: CO-PROTO-001
  subject: scanner@contoso.com
  justification: Legacy scanner
  approvedBy: it@contoso.com
  expires: 2026-01-01T00:00:00Z
`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	s := &Subject{Subject: "admin@contoso.com", Findings: []Finding{
		{PolicyID: "CO-ROLE-001", Status: Fail, Message: "holds Global Administrator"},
		{PolicyID: "CO-MFA-001", Status: Fail, Message: "no MFA"},
		{PolicyID: "CO-ROLE-001", Status: Pass},
	}}
	w.Apply(s, now)
	if s.Findings[0].Status != Waived || !strings.Contains(s.Findings[0].Message, "waived until 2027-01-31 by ciso@contoso.com") {
		t.Errorf("waived finding = %+v", s.Findings[0])
	}
	if s.Findings[0].Evidence["waiver"].(map[string]any)["status"] != "fail" {
		t.Error("the original status is not kept")
	}
	if s.Findings[1].Status != Fail || s.Findings[2].Status != Pass {
		t.Error("a waiver touched another policy or a pass")
	}
	expired := &Subject{Subject: "scanner@contoso.com", Findings: []Finding{{PolicyID: "CO-PROTO-001", Status: Fail, Message: "IMAP on"}}}
	w.Apply(expired, now)
	if expired.Findings[0].Status != Fail || !strings.Contains(expired.Findings[0].Message, "expired 2026-01-01") {
		t.Errorf("expired waiver = %+v", expired.Findings[0])
	}
	var none *Waivers
	none.Apply(s, now) // no waiver file: nothing happens
}

func TestWaiversRefused(t *testing.T) {
	for text, want := range map[string]string{
		"- policy: CO-ROLE-001\n  subject: a@b.c\n  approvedBy: x\n  expires: 2027-01-01\n":                               ":1: waiver of CO-ROLE-001 for a@b.c has no justification",
		"- policy: CO-ROLE-001\n  subject: a@b.c\n  justification: j\n  expires: 2027-01-01\n":                            "has no approvedBy",
		"- policy: CO-ROLE-001\n  subject: a@b.c\n  justification: j\n  approvedBy: x\n  expires: someday\n":              `expires "someday" is not a date`,
		"- policy: CO-ROLE-001\n  subject: a@b.c\n  justification: j\n  approvedBy: x\n  expires: 2027-01-01\n  why: x\n": `:6: unknown key "why"`,
		"policy: CO-ROLE-001\n": "expected a list of waivers",
	} {
		_, err := LoadWaivers(write(t, text))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", text, err, want)
		}
	}
}

// A mistyped waiver is named at its line in the file's words: a nested
// value is not "unmarshal !!seq into string", a misspelt key gets a
// suggestion.
func TestWaiverErrorsInTheUsersWords(t *testing.T) {
	_, err := ParseWaivers([]byte("- policy: [a]\n  subject: x\n- polcy: CO-MAIL-001\n  subject: y\n"), "w.yaml")
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`w.yaml:1: policy: expected a plain value, not a list or a mapping`, `w.yaml:3: unknown key "polcy" (did you mean "policy"?)`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "unmarshal") || strings.Contains(err.Error(), "!!") {
		t.Errorf("error speaks Go/YAML internals: %q", err)
	}
}
