package reports

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/results"
)

func sample() (results.Meta, []*results.Subject, results.Summary) {
	meta := results.Meta{
		GeneratedAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		Tool:        results.Tool{Name: "closeout", Version: "test"},
		PolicySet:   results.PolicySet{Digest: "sha256:00", Count: 2},
		FailOn:      results.High,
	}
	subs := []*results.Subject{
		{Subject: "a@contoso.com", Source: "a.json", Mode: "posture", Findings: []results.Finding{
			{PolicyID: "P-1", Title: "One", Severity: results.High, Status: results.Fail, Checklist: "mfa-enforced", Message: "bad thing"},
			{PolicyID: "P-2", Title: "Two", Severity: results.Low, Status: results.Pass, Checklist: "mfa-enforced"},
		}},
		{Subject: "b@contoso.com", Source: "b.jsonl:2", Mode: "incident", Incident: "INC-1", Findings: []results.Finding{
			{PolicyID: "P-1", Title: "One", Severity: results.High, Status: results.Unknown, Checklist: "mfa-enforced", Message: "cannot evaluate"},
		}},
	}
	tally := results.NewTally(results.Gate{FailOn: results.High})
	for _, s := range subs {
		tally.Add(s)
	}
	return meta, subs, tally.Summary
}

func render(t *testing.T, format string, color bool, subs int) string {
	t.Helper()
	meta, all, sum := sample()
	var buf bytes.Buffer
	r, err := New(format, &buf, Options{Color: color})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Begin(meta); err != nil {
		t.Fatal(err)
	}
	for _, s := range all[:subs] {
		if err := r.Subject(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.End(sum); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// The streamed JSON is one valid document, with or without subjects.
func TestJSONIsOneDocument(t *testing.T) {
	for _, n := range []int{0, 1, 2} {
		out := render(t, "json", false, n)
		var doc struct {
			SchemaVersion string             `json:"schemaVersion"`
			PolicySet     results.PolicySet  `json:"policySet"`
			Subjects      []*results.Subject `json:"subjects"`
			Summary       results.Summary    `json:"summary"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%d subjects: %v\n%s", n, err, out)
		}
		if doc.SchemaVersion != results.SchemaVersion || len(doc.Subjects) != n || doc.PolicySet.Digest != "sha256:00" {
			t.Errorf("%d subjects: decoded %+v", n, doc)
		}
		if doc.Summary.Blocking != 1 {
			t.Errorf("summary = %+v", doc.Summary)
		}
	}
}

func TestTable(t *testing.T) {
	out := render(t, "table", false, 2)
	for _, want := range []string{
		"a@contoso.com  posture  a.json",
		"b@contoso.com  incident INC-1  b.jsonl:2",
		"FAIL     high      mfa-enforced  P-1     bad thing",
		"PASS     low       mfa-enforced  P-2     Two",
		"2 accounts, 3 findings: 1 fail, 1 unknown, 1 pass",
		"1 blocking finding at or above high: not ready to close",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour codes without Color")
	}
	colored := render(t, "table", true, 2)
	if !strings.Contains(colored, "\x1b[1m\x1b[31mFAIL") {
		t.Errorf("no colour with Color:\n%q", colored)
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := New("pdf", &bytes.Buffer{}, Options{}); err == nil || !strings.Contains(err.Error(), "table|summary|checklist|json|markdown|html|sarif|junit|ocsf") {
		t.Errorf("err = %v", err)
	}
}
