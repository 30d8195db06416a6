package reports

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/closeout-dev/closeout/results"
)

// Text from the tenant cannot drive the terminal or the Markdown renderer:
// an inbox rule named with an escape sequence, a display name that is a
// link, an incident id that closes a table cell.
func TestHostileTextIsInert(t *testing.T) {
	meta, _, _ := sample()
	hostile := &results.Subject{
		Subject:     "evil\x1b]0;owned\x07@contoso.com",
		DisplayName: "[click me](https://evil.example) <img src=x onerror=alert(1)>",
		Source:      "a`b.json",
		Mode:        "incident",
		Incident:    "INC-1 | **x** \r\n# heading",
		Timeline:    nil,
		Findings: []results.Finding{{PolicyID: "P-1", Title: "One", Severity: results.High, Status: results.Fail, Checklist: "mfa-enforced",
			Message: "rule \u202eexe.txt\x1b[2J named <script>alert(1)</script> | cell", Remediation: "see [here](javascript:alert(1))"}},
	}
	tally := results.NewTally(results.Gate{FailOn: results.High})
	tally.Add(hostile)
	for _, format := range []string{"table", "checklist", "markdown"} {
		var buf bytes.Buffer
		r, _ := New(format, &buf, Options{})
		if err := Render(r, meta, []*results.Subject{hostile}, tally.Summary); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, bad := range []string{"\x1b", "\x07", "\r", "\u202e"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s: output holds control %q", format, bad)
			}
		}
		if !strings.Contains(out, `\x1b`) || !strings.Contains(out, `\u202e`) {
			t.Errorf("%s: the controls are not shown as escapes:\n%s", format, out)
		}
		if format != "markdown" {
			continue
		}
		// Each must appear only escaped, with a backslash before it.
		for _, bad := range []string{`[click me`, `<img`, `<script>`, `](javascript:`, `# heading`, `| **x**`} {
			if regexp.MustCompile(`(^|[^\\])` + regexp.QuoteMeta(bad)).MatchString(out) {
				t.Errorf("markdown: %q is live in:\n%s", bad, out)
			}
		}
		if !strings.Contains(out, "`` a`b.json ``") {
			t.Errorf("markdown: a backtick in the source breaks its code span:\n%s", out)
		}
	}
}

// The data formats carry no raw bidirectional override or control rune,
// wherever it stands: JSON and OCSF escape it (decoding gives back the
// value), SARIF, JUnit and HTML show it as \uNNNN where people read it.
// A custom policy's reference that is not https is never a link, and its
// Markdown metadata is text.
func TestDataFormatsCarryControlsInert(t *testing.T) {
	meta, _, _ := sample()
	meta.Policies = []results.PolicyInfo{{ID: "X-1", Title: "Custom \u202etxt.exe", Severity: results.High, Checklist: "custom-x",
		Description: "see [here](javascript:alert(14)) <img src=x onerror=alert(1)>", Remediation: "run \u202e it",
		References: []string{"javascript:alert(14)", "data:text/html,<script>alert(1)</script>", "https://learn.microsoft.com/x"}}}
	subject := "ev\u202eil\u2066x\u2069\x1b[2J\u0085\x7f@contoso.com"
	hostile := &results.Subject{Subject: subject, DisplayName: "Mallory \u202egnp.exe", Source: "a.json", Mode: "posture", Tenant: "t\u202e1",
		Findings: []results.Finding{{PolicyID: "X-1", Title: "Custom", Severity: results.High, Status: results.Fail, Checklist: "custom-x",
			Message: "rule \u202eexe.txt named \x1b]8;;https://evil.example\x07link", Remediation: "fix \u202e",
			References: []string{"javascript:alert(14)", "data:text/html,<script>alert(1)</script>", "https://learn.microsoft.com/x"},
			Evidence:   map[string]any{"rule": "\u202eevil", "nested": []any{"\u2067x"}}}}}
	tally := results.NewTally(results.Gate{FailOn: results.High})
	tally.Add(hostile)
	raw := []string{"\u202e", "\u2066", "\u2067", "\u2069", "\x1b", "\x07", "\u0085", "\x7f"}
	for _, format := range []string{"json", "ocsf", "sarif", "junit", "html"} {
		var buf bytes.Buffer
		r, _ := New(format, &buf, Options{})
		if err := Render(r, meta, []*results.Subject{hostile}, tally.Summary); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, bad := range raw {
			if strings.Contains(out, bad) {
				t.Errorf("%s: output holds the raw rune %q", format, bad)
			}
		}
		switch format {
		case "json":
			var doc struct {
				Subjects []struct {
					Subject string `json:"subject"`
				} `json:"subjects"`
			}
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || len(doc.Subjects) != 1 || doc.Subjects[0].Subject != subject {
				t.Errorf("json: the value is not kept: %v %+v", err, doc)
			}
		case "sarif":
			var doc struct {
				Runs []struct {
					Tool struct {
						Driver struct {
							Rules []struct {
								HelpURI string `json:"helpUri"`
								Help    struct {
									Markdown string `json:"markdown"`
								} `json:"help"`
							} `json:"rules"`
						} `json:"driver"`
					} `json:"tool"`
					Results []struct {
						Message struct {
							Text string `json:"text"`
						} `json:"message"`
					} `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || len(doc.Runs) != 1 || len(doc.Runs[0].Results) != 1 {
				t.Fatalf("sarif: %v", err)
			}
			if msg := doc.Runs[0].Results[0].Message.Text; !strings.Contains(msg, `\u202e`) || strings.Contains(msg, "\u202e") {
				t.Errorf("sarif: the message does not show the override: %q", msg)
			}
			rule := doc.Runs[0].Tool.Driver.Rules[0]
			if rule.HelpURI != "https://learn.microsoft.com/x" {
				t.Errorf("sarif: helpUri = %q, want the https reference only", rule.HelpURI)
			}
			for _, live := range []string{"](javascript:", "<img", "<javascript:", "<data:", "<script"} {
				if regexp.MustCompile(`(^|[^\\])` + regexp.QuoteMeta(live)).MatchString(rule.Help.Markdown) {
					t.Errorf("sarif: help.markdown holds live %q: %s", live, rule.Help.Markdown)
				}
			}
		case "junit", "html":
			if !strings.Contains(out, `\u202e`) {
				t.Errorf("%s: the override is not shown as \\u202e", format)
			}
		}
		if format == "html" {
			if strings.Contains(out, `href="javascript`) || strings.Contains(out, `href="data:`) || strings.Contains(out, `href="#ZgotmplZ"`) {
				t.Errorf("html: a reference that is not https is a link")
			}
			if !strings.Contains(out, `href="https://learn.microsoft.com/x"`) {
				t.Errorf("html: the https reference is not a link")
			}
		}
	}
}

// A data format's rune cut between two writes is still seen whole.
func TestInertWriterAcrossWrites(t *testing.T) {
	var buf bytes.Buffer
	w := newInertWriter(&buf, escapedRune)
	in := []byte("a\u202eb\u00e9c")
	for i := range in {
		w.Write(in[i : i+1])
	}
	if got := buf.String(); got != `a\u202ebéc` {
		t.Errorf("got %q", got)
	}
}
