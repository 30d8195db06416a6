package reports

import (
	"bytes"
	"encoding/json"
	"os"
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

// The SARIF passes Microsoft's SARIF Multitool with its SARIF and GitHub
// rules (what code scanning accepts): no error and no warning.
func TestSARIFPassesMultitoolGitHubRules(t *testing.T) {
	in := filepath.Join(t.TempDir(), "closeout.sarif")
	if err := os.WriteFile(in, renderFixture(t, "sarif", nil), 0o600); err != nil {
		t.Fatal(err)
	}
	testtool.ValidateSARIF(t, in)
}
