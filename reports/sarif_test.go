package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/closeout-dev/closeout/internal/testtool"
	"github.com/closeout-dev/closeout/results"
)

func sarifOf(t *testing.T, subs []*results.Subject, opts Options, version string) map[string]any {
	t.Helper()
	meta, _, _ := sample()
	meta.Tool.Version = version
	tally := results.NewTally(results.Gate{FailOn: results.High})
	for _, s := range subs {
		tally.Add(s)
	}
	var buf bytes.Buffer
	r, _ := New("sarif", &buf, opts)
	if err := Render(r, meta, subs, tally.Summary); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte(": -1")) {
		t.Errorf("SARIF keeps a -1 placeholder:\n%s", buf.String())
	}
	var v map[string]any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// Code scanning tracks an alert by primaryLocationLineHash only: it must
// follow the account and the policy, not the file or the line, so two
// scans agree on it and two accounts never share it.
func TestSARIFFollowsAccounts(t *testing.T) {
	account := func(upn, source string) *results.Subject {
		return &results.Subject{Subject: upn, Tenant: "t1", Source: source, Mode: "posture", Findings: []results.Finding{
			{PolicyID: "P-1", Title: "One", Severity: results.High, Status: results.Fail, Checklist: "mfa-enforced", Message: "bad"}}}
	}
	hashes := func(v map[string]any) map[string]string {
		out := map[string]string{}
		for _, r := range v["runs"].([]any)[0].(map[string]any)["results"].([]any) {
			res := r.(map[string]any)
			loc := res["locations"].([]any)[0].(map[string]any)
			name := loc["logicalLocations"].([]any)[0].(map[string]any)["name"].(string)
			out[name] = res["partialFingerprints"].(map[string]any)["primaryLocationLineHash"].(string)
		}
		return out
	}
	first := hashes(sarifOf(t, []*results.Subject{account("a@x.com", "scan/snapshots.jsonl:1"), account("b@x.com", "scan/snapshots.jsonl:2")}, Options{}, "1.2.3"))
	// The next scan finds the accounts on other lines.
	second := hashes(sarifOf(t, []*results.Subject{account("b@x.com", "scan/snapshots.jsonl:1"), account("a@x.com", "scan/snapshots.jsonl:7")}, Options{}, "1.2.3"))
	if first["a@x.com"] == "" || first["a@x.com"] != second["a@x.com"] || first["b@x.com"] != second["b@x.com"] {
		t.Errorf("hashes change between scans: %v vs %v", first, second)
	}
	if first["a@x.com"] == first["b@x.com"] {
		t.Errorf("two accounts share a hash: %v", first)
	}
}

func TestSARIFVersionAndCategory(t *testing.T) {
	for version, want := range map[string]string{"1.2.3": "1.2.3", "v0.4.0-3-gabcdef1": "0.4.0-3-gabcdef1", "609e24d": "0.0.0+609e24d", "0.1.0-dev": "0.1.0-dev", "": "0.0.0"} {
		v := sarifOf(t, nil, Options{SARIFCategory: "closeout/tenant-a"}, version)
		run := v["runs"].([]any)[0].(map[string]any)
		driver := run["tool"].(map[string]any)["driver"].(map[string]any)
		if got, _ := driver["semanticVersion"].(string); got != want {
			t.Errorf("version %q: semanticVersion %q, want %q", version, got, want)
		}
		if id := run["automationDetails"].(map[string]any)["id"]; id != "closeout/tenant-a/" {
			t.Errorf("automationDetails.id = %v", id)
		}
	}
	if strings.Contains(semver("609e24d"), "609.") {
		t.Error("a commit hash read as a version number")
	}
}

// multitool is the SARIF Multitool's binary: $SARIF_MULTITOOL, or where
// .ci/run installs it from npm.
func multitool() string {
	if p := os.Getenv("SARIF_MULTITOOL"); p != "" {
		return p
	}
	p, _ := filepath.Abs(filepath.Join("..", "bin", "sarif-multitool", "node_modules", "@microsoft", "sarif-multitool-linux", "Sarif.Multitool"))
	if st, err := os.Stat(p); err == nil && st.Mode()&0o100 != 0 {
		return p
	}
	return ""
}

// The SARIF passes Microsoft's SARIF Multitool with its SARIF and GitHub
// rules (what code scanning accepts): no error and no warning.
func TestSARIFPassesMultitoolGitHubRules(t *testing.T) {
	bin := multitool()
	if bin == "" {
		testtool.Skip(t, "SARIF Multitool", "npm install --prefix bin/sarif-multitool @microsoft/sarif-multitool (as .ci/run does)")
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "closeout.sarif"), filepath.Join(dir, "validation.sarif")
	if err := os.WriteFile(in, renderFixture(t, "sarif", nil), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "validate", "--rule-kind", "Sarif;Gh;Ghas", in, "-o", out, "--log", "ForceOverwrite")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("multitool: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID  string `json:"ruleId"`
				Level   string `json:"level"`
				Message struct {
					Arguments []string `json:"arguments"`
				} `json:"message"`
			} `json:"results"`
			Invocations []struct {
				ExecutionSuccessful bool `json:"executionSuccessful"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(raw, &log); err != nil || len(log.Runs) == 0 {
		t.Fatalf("validation output: %v", err)
	}
	if inv := log.Runs[0].Invocations; len(inv) == 0 || !inv[0].ExecutionSuccessful {
		t.Fatalf("the validation did not run: %+v", inv)
	}
	for _, r := range log.Runs[0].Results {
		t.Errorf("%s (%s): %v", r.RuleID, r.Level, r.Message.Arguments)
	}
}
