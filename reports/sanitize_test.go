package reports

import (
	"bytes"
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
