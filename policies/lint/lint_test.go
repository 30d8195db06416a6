package lint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/closeout-dev/closeout/internal/testtool"
	"github.com/closeout-dev/closeout/policies"
)

// The shipped library is lint-clean.
func TestLibraryIsLintClean(t *testing.T) {
	findings, err := Run(ctx, policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("%s:%d: [%s] %s", f.File, f.Line, f.Rule, f.Message)
	}
}

// A directory of bad policies: each defect is found once, at its file and
// line.
func TestLintFindsEachDefect(t *testing.T) {
	dir := t.TempDir()
	good := func(id string) string { return testtool.PolicyHeader(id, "custom-x", "[user]", "[posture]") }
	testtool.WritePolicy(t, dir, "unformatted.rego", good("ACME-001")+"package custom.unformatted\n\ndeny contains \"x\"   if input.user\n")
	testtool.WritePolicy(t, dir, "unformatted_test.rego", "package custom.unformatted_test\n\nimport data.custom.unformatted\n\ntest_x if unformatted.deny\n")
	testtool.WritePolicy(t, dir, "badid.rego", good("acme_2")+"package custom.badid\n\ndeny contains \"x\" if input.user\n")
	testtool.WritePolicy(t, dir, "badid_test.rego", "package custom.badid_test\n\nimport data.custom.badid\n\ntest_x if badid.deny\n")
	testtool.WritePolicy(t, dir, "nomsg.rego", good("ACME-003")+"package custom.nomsg\n\ndeny contains result if {\n\tinput.user\n\tresult := {\"upn\": input.user.userPrincipalName}\n}\n")
	testtool.WritePolicy(t, dir, "nomsg_test.rego", "package custom.nomsg_test\n\nimport data.custom.nomsg\n\ntest_x if nomsg.deny\n")
	testtool.WritePolicy(t, dir, "notests.rego", good("ACME-004")+"package custom.notests\n\ndeny contains \"x\" if input.user\n")
	testtool.WritePolicy(t, dir, "unused.rego", good("ACME-005")+"package custom.unused\n\nleftover := 1\n\ndeny contains \"x\" if input.user\n")
	testtool.WritePolicy(t, dir, "unused_test.rego", "package custom.unused_test\n\nimport data.custom.unused\n\ntest_x if unused.deny\n")
	testtool.WritePolicy(t, dir, "untested.rego", good("ACME-006")+"package custom.untested\n\ndeny contains \"x\" if input.user\n\nwarn contains \"y\" if input.user\n")
	testtool.WritePolicy(t, dir, "untested_test.rego", "package custom.untested_test\n\nimport data.custom.untested\n\ntest_x if untested.deny\n")
	// The first not is silent exactly when accountEnabled is missing; the
	// second reads it first and is fine.
	testtool.WritePolicy(t, dir, "negread.rego", good("ACME-007")+"package custom.negread\n\ndeny contains \"x\" if {\n\tinput.user\n\tnot is_boolean(input.user.accountEnabled)\n}\n\nwarn contains \"y\" if {\n\tenabled := object.get(input, [\"user\", \"accountEnabled\"], null)\n\tnot is_boolean(enabled)\n}\n")
	testtool.WritePolicy(t, dir, "negread_test.rego", "package custom.negread_test\n\nimport data.custom.negread\n\ntest_x if negread.deny\n\ntest_y if negread.warn\n")
	// A misspelt field, read directly and through a variable bound to the
	// input; the fields spelt right are not reported.
	testtool.WritePolicy(t, dir, "typo.rego", good("ACME-008")+"package custom.typo\n\ndeny contains \"x\" if {\n\tsome rule in input.mailbox.inboxRules\n\trule.forwardTO\n\trule.hidden\n}\n\nwarn contains \"y\" if input.user.accountEnabled == false\n")
	testtool.WritePolicy(t, dir, "typo_test.rego", "package custom.typo_test\n\nimport data.custom.typo\n\ntest_x if typo.deny\n\ntest_y if typo.warn\n")
	// A value the field never takes (the type is spelt fido2).
	testtool.WritePolicy(t, dir, "enum.rego", testtool.PolicyHeader("ACME-009", "custom-x", "[authMethods]", "[posture]")+"package custom.enum\n\ndeny contains \"x\" if {\n\tsome m in input.authMethods\n\tm.type == \"Fido2\"\n}\n")
	testtool.WritePolicy(t, dir, "enum_test.rego", "package custom.enum_test\n\nimport data.custom.enum\n\ntest_x if enum.deny\n")
	findings, err := Run(ctx, policies.Options{Dirs: []string{dir}, NoEmbedded: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // rule → file:line
		"opa-fmt":       "unformatted.rego:13",
		"id-pattern":    "badid.rego:5",
		"result-msg":    "nomsg.rego:15",
		"tests":         "notests.rego:11",
		"unused-rule":   "unused.rego:13",
		"negated-read":  "negread.rego:15",
		"unknown-field": "typo.rego:15",
		"requires":      "typo.rego:14",
		"unknown-value": "enum.rego:15",
	}
	got := map[string][]string{}
	for _, f := range findings {
		got[f.Rule] = append(got[f.Rule], strings.TrimPrefix(f.File, dir+"/")+":"+strconv.Itoa(f.Line))
	}
	for rule, where := range want {
		if len(got[rule]) == 0 || got[rule][0] != where {
			t.Errorf("%s: found at %v, want %s", rule, got[rule], where)
		}
	}
	if len(got["tests"]) != 2 || got["tests"][1] != "untested_test.rego:1" {
		t.Errorf("tests: %v, want the missing file and the untested warn", got["tests"])
	}
	for rule, where := range got {
		if rule != "tests" && len(where) != 1 {
			t.Errorf("%s found %d times: %v", rule, len(where), where)
		}
	}
	// The SARIF that annotates the pull request is valid SARIF 2.1.0, a
	// result per finding.
	rep := SARIF(findings, "test")
	if err := rep.Validate(); err != nil {
		t.Errorf("lint SARIF does not validate: %v", err)
	}
	if n := len(rep.Runs[0].Results); n != len(findings) {
		t.Errorf("%d SARIF results for %d findings", n, len(findings))
	}
	// And Microsoft's SARIF Multitool accepts it with GitHub's rules.
	out := filepath.Join(t.TempDir(), "lint.sarif")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteSARIF(f, findings, "0.1.0"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	testtool.ValidateSARIF(t, out)
}

// One lint run reports every METADATA problem of a file, each at the line
// of its key, with a suggestion for a misspelling; a builtin the sandbox
// takes away is named as a refusal; a custom policy that imports the
// library compiles with --no-embedded, whose findings are the custom
// files' only.
func TestLintReportsEveryProblemAtItsLine(t *testing.T) {
	dir := t.TempDir()
	testtool.WritePolicy(t, dir, "six.rego", `# METADATA
# title: Six problems
# description: A policy whose METADATA has six problems.
# related_resources:
#   - ref: http://example.com/runbook
# custom:
#   id: ACME-006
#   severity: hgih
#   checklist: forwarding-remove
#   requires: [mailbx]
#   modes: [postur]
#   remediation: Fix {user}.
#   fails_on_partal_data: true
package custom.six

import data.closeout.lib

deny contains "x" if lib.guest_form(input.user.userPrincipalName)

warn contains "y" if {
	r := http.send({"method": "GET", "url": "https://example.com"})
	r.status_code == 200
}
`)
	testtool.WritePolicy(t, dir, "six_test.rego", "package custom.six_test\n\nimport data.custom.six\n\ntest_x if six.deny\n\ntest_y if six.warn\n")
	findings, err := Run(ctx, policies.Options{Dirs: []string{dir}, NoEmbedded: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range findings {
		if !strings.HasPrefix(f.File, dir+"/") {
			t.Errorf("--no-embedded reported a library file: %+v", f)
		}
		got = append(got, fmt.Sprintf("%d %s %s", f.Line, f.Rule, f.Message))
	}
	want := []string{
		`4 metadata related_resources ref "http://example.com/runbook" is not an https URL`,
		`8 metadata custom.severity: unknown severity "hgih"`, `did you mean "high"?`,
		`9 metadata custom.checklist "forwarding-remove"`, `did you mean "forwarding-removed"?`,
		`10 metadata custom.requires names unknown section "mailbx"`,
		`11 metadata custom.modes names unknown mode "postur"`, `did you mean "posture"?`,
		`13 metadata custom.fails_on_partal_data is not a key closeout reads`, `did you mean "fails_on_partial_data"?`,
		`21 sandbox http.send is not allowed in closeout policies`,
	}
	all := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("lint did not report %q; it reported:\n%s", w, all)
		}
	}
	if strings.Contains(all, "undefined function data.closeout.lib") {
		t.Errorf("the library was not available to the custom policy:\n%s", all)
	}
}

var ctx = context.Background()
