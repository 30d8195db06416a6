package policies

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/closeout-dev/closeout/results"
	"github.com/closeout-dev/closeout/snapshot"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/rego"
)

var ctx = context.Background()

func loadEmbedded(t testing.TB) *Set {
	t.Helper()
	set, err := Load(ctx, Options{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return set
}

// minCoverage is the line coverage the Rego tests must reach.
const minCoverage = 90.0

func TestRegoUnitTests(t *testing.T) {
	set := loadEmbedded(t)
	rep, err := set.RunTests(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) == 0 {
		t.Fatal("no Rego tests ran")
	}
	for _, r := range rep.Results {
		if r.Fail || r.Error != nil {
			t.Errorf("%s.%s failed (%s:%d): %v", r.Package, r.Name, r.Location.File, r.Location.Row, r.Error)
		}
	}
	t.Logf("%d Rego tests, line coverage %.1f%%", len(rep.Results), rep.Coverage.Coverage)
	if rep.Coverage.Coverage < minCoverage {
		for name, f := range rep.Coverage.Files {
			if len(f.NotCovered) > 0 {
				t.Logf("%s: not covered %v", name, f.NotCovered)
			}
		}
		t.Errorf("Rego line coverage %.1f%% is under %.0f%%", rep.Coverage.Coverage, minCoverage)
	}
}

// Every policy package has tests in its own _test package; a test file
// that is never run would hide a broken policy.
func TestEveryPolicyFileHasTests(t *testing.T) {
	err := fs.WalkDir(embedded, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || isTestFile(p) || strings.HasPrefix(p, "lib/fixtures") {
			return err
		}
		testFile := strings.TrimSuffix(p, ".rego") + "_test.rego"
		if _, err := fs.Stat(embedded, testFile); err != nil {
			t.Errorf("%s has no %s beside it", p, testFile)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRegoIsFormatted(t *testing.T) {
	err := fs.WalkDir(embedded, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		src, _ := fs.ReadFile(embedded, p)
		want, err := format.Source(p, src)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if string(want) != string(src) {
			t.Errorf("policies/%s is not opa fmt formatted; run make fmt", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEmbeddedMetadata(t *testing.T) {
	set := loadEmbedded(t)
	ids := map[string]bool{}
	for _, p := range set.Policies {
		if ids[p.ID] {
			t.Errorf("duplicate id %s", p.ID)
		}
		ids[p.ID] = true
		if len(p.References) == 0 {
			t.Errorf("%s (%s): no related_resources", p.ID, p.File)
		}
		if len(p.Requires) == 0 {
			t.Errorf("%s: requires no section; every account policy reads some collected data", p.ID)
		}
		if !strings.Contains(p.Remediation, "{user}") {
			t.Errorf("%s: remediation does not name the account ({user})", p.ID)
		}
		if p.Custom {
			t.Errorf("%s: embedded policy marked custom", p.ID)
		}
	}
}

// The test fixtures must be snapshots the collectors could have written.
func TestRegoFixturesAreValidSnapshots(t *testing.T) {
	set := loadEmbedded(t)
	opts := []func(*rego.Rego){rego.Query("data.closeout.fixtures")}
	for _, m := range set.modules {
		opts = append(opts, rego.ParsedModule(m))
	}
	for _, m := range set.tests {
		opts = append(opts, rego.ParsedModule(m))
	}
	rs, err := rego.New(opts...).Eval(ctx)
	if err != nil || len(rs) != 1 {
		t.Fatalf("eval fixtures: %v %v", rs, err)
	}
	fixtures := rs[0].Expressions[0].Value.(map[string]any)
	checked := 0
	for name, v := range fixtures {
		obj, ok := v.(map[string]any)
		if !ok || obj["schemaVersion"] == nil {
			continue
		}
		raw := mustJSON(t, obj)
		if _, err := snapshot.Parse(raw, "fixtures."+name, 1, snapshot.DefaultLimits); err != nil {
			t.Errorf("fixture %s is not a valid snapshot: %v", name, err)
		}
		checked++
	}
	if checked < 2 {
		t.Fatalf("checked %d fixtures, want at least 2", checked)
	}
}

func loadDoc(t testing.TB, path string) *snapshot.Document {
	t.Helper()
	docs, err := snapshot.LoadFile(path)
	if err != nil || len(docs) != 1 {
		t.Fatalf("load %s: %v (%d docs)", path, err, len(docs))
	}
	return docs[0]
}

func statuses(sub *results.Subject) map[string]results.Status {
	m := map[string]results.Status{}
	for _, f := range sub.Findings {
		m[f.PolicyID] = f.Status
	}
	return m
}

// The scenario snapshots are the project's ground truth: what each one
// shows is asserted policy by policy.
func TestScenarios(t *testing.T) {
	set := loadEmbedded(t)
	const (
		P = results.Pass
		F = results.Fail
		U = results.Unknown
	)
	cases := []struct {
		file string
		want map[string]results.Status
	}{
		{"clean-hardened.json", map[string]results.Status{
			"CO-MAIL-001": P, "CO-MAIL-002": P, "CO-MFA-001": P, "CO-PROTO-001": P}},
		{"compromised-unremediated.json", map[string]results.Status{
			"CO-SESS-001": F, "CO-PWD-001": F, "CO-PWD-002": P, "CO-MAIL-001": F, "CO-MAIL-002": F, "CO-MFA-001": F, "CO-PROTO-001": F}},
		{"compromised-remediated.json", map[string]results.Status{
			"CO-SESS-001": P, "CO-PWD-001": P, "CO-PWD-002": P, "CO-MAIL-001": P, "CO-MAIL-002": P, "CO-MFA-001": P, "CO-PROTO-001": P}},
		{"compromised-wrong-order.json", map[string]results.Status{
			"CO-SESS-001": P, "CO-PWD-001": P, "CO-PWD-002": F, "CO-MAIL-001": P, "CO-MAIL-002": P, "CO-MFA-001": P, "CO-PROTO-001": P}},
		{"mailbox-forbidden.json", map[string]results.Status{
			"CO-SESS-001": P, "CO-PWD-001": P, "CO-PWD-002": P, "CO-MAIL-001": U, "CO-MAIL-002": U, "CO-MFA-001": P, "CO-PROTO-001": U}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			sub := set.Evaluate(ctx, loadDoc(t, filepath.Join("..", "testdata", "snapshots", tc.file)))
			got := statuses(sub)
			for id, want := range tc.want {
				if got[id] != want {
					t.Errorf("%s: got %q, want %q", id, got[id], want)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("got findings for %v, want exactly %v", got, tc.want)
			}
			for _, f := range sub.Findings {
				if f.Status == results.Fail && (f.Message == "" || len(f.Evidence["violations"].([]map[string]any)) == 0) {
					t.Errorf("%s fails without message or evidence: %+v", f.PolicyID, f)
				}
				if strings.Contains(f.Remediation, "{user}") {
					t.Errorf("%s: remediation placeholder not filled: %s", f.PolicyID, f.Remediation)
				}
			}
		})
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Missing data never passes: for every policy and every section it needs,
// a snapshot where that one section was not collected gives unknown, with
// the reason, even when the data that is there would have passed or failed.
func TestMissingCoverageIsUnknownNeverPass(t *testing.T) {
	set := loadEmbedded(t)
	for _, base := range []string{"compromised-remediated.json", "compromised-unremediated.json", "clean-hardened.json"} {
		doc := loadDoc(t, filepath.Join("..", "testdata", "snapshots", base))
		for _, p := range set.Policies {
			if !p.AppliesTo(doc.Mode()) {
				continue
			}
			for _, section := range p.Requires {
				for _, status := range []string{"forbidden", "unlicensed", "notFound", "error", "skipped", ""} {
					d := cloneDoc(t, doc)
					cov := d.Value["coverage"].(map[string]any)
					if status == "" {
						delete(cov, section)
					} else {
						cov[section] = map[string]any{"status": status, "detail": "test"}
					}
					var got *results.Finding
					sub := set.Evaluate(ctx, d)
					for i := range sub.Findings {
						if sub.Findings[i].PolicyID == p.ID {
							got = &sub.Findings[i]
						}
					}
					if got == nil {
						t.Fatalf("%s: %s not reported", base, p.ID)
					}
					if got.Status != results.Unknown || !strings.Contains(got.Message, section) {
						t.Errorf("%s with %s %q: %s is %s (%q), want unknown naming the section", base, section, status, p.ID, got.Status, got.Message)
					}
				}
			}
		}
	}
}

func cloneDoc(t testing.TB, d *snapshot.Document) *snapshot.Document {
	t.Helper()
	raw := mustJSON(t, d.Value)
	c, err := snapshot.Parse(raw, d.File, d.Line, snapshot.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writePolicy(t *testing.T, dir, name, src string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}
