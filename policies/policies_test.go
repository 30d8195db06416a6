package policies

import (
	"context"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/closeout-dev/closeout/results"
	"github.com/closeout-dev/closeout/snapshot"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
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
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || IsTestFile(p) || strings.HasPrefix(p, "lib/fixtures") {
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
		if len(p.Requires) == 0 && !slices.Contains(p.Rules, ruleManual) {
			t.Errorf("%s: requires no section; only attestation (manual) policies read no collected data", p.ID)
		}
		if !placeholder.MatchString(p.Remediation) {
			t.Errorf("%s: remediation does not name the account ({user}, {user:url} or {user:text})", p.ID)
		}
		if p.Custom {
			t.Errorf("%s: embedded policy marked custom", p.ID)
		}
	}
	// conftest takes any rule named deny_*, warn_* or violation_* for a
	// finding rule; helpers must not be named so.
	conftestRule := regexp.MustCompile(`^(deny|violation|warn)(_.*)?$`)
	for name, m := range set.modules {
		for _, r := range m.Rules {
			if n := r.Head.Name.String(); conftestRule.MatchString(n) && n != ruleDeny && n != ruleWarn {
				t.Errorf("%s: rule %s would be run by conftest as a finding rule", name, n)
			}
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

// The scenario snapshots are the project's ground truth: for each, every
// finding that is not a pass is listed; everything else must pass.
func TestScenarios(t *testing.T) {
	set := loadEmbedded(t)
	mailboxUnknown := []string{"CO-AUD-001", "CO-CONN-001", "CO-DEL-001", "CO-MAIL-001", "CO-MAIL-002", "CO-MAIL-003", "CO-MAIL-004",
		"CO-PROTO-001", "CO-RULE-001", "CO-RULE-002", "CO-RULE-003"}
	// Removing the attacker's phone leaves its registration in the audit
	// log beside a later removal: a warning to confirm, in every remediated
	// variant.
	removedPhone := []string{"CO-MFA-003"}
	cases := []struct {
		file    string
		fail    []string
		warn    []string
		unknown []string
		manual  []string
		// failingChecklist is what a responder reads: the open items.
		failingChecklist []string
	}{
		{file: "clean-hardened.json"},
		{file: "compromised-remediated.json", warn: removedPhone},
		{
			file: "compromised-unremediated.json",
			fail: []string{"CO-ACT-001", "CO-APP-001", "CO-APP-002", "CO-MAIL-001", "CO-MAIL-002", "CO-MFA-001", "CO-MFA-003",
				"CO-PROTO-001", "CO-PWD-001", "CO-REC-001", "CO-RISK-001", "CO-RULE-001", "CO-RULE-002", "CO-RULE-003", "CO-SESS-001"},
			manual: []string{"CO-ATT-001", "CO-ATT-002", "CO-ATT-003", "CO-ATT-004", "CO-ATT-005"},
			failingChecklist: []string{"sessions-revoked", "password-reset", "mfa-methods-cleaned", "recovery-options-cleaned",
				"oauth-apps-reviewed", "forwarding-removed", "mfa-enforced", "malicious-rules-removed", "legacy-protocols-disabled",
				"risk-remediated", "attacker-access-ended"},
		},
		{file: "compromised-wrong-order.json", fail: []string{"CO-PWD-002"}, warn: removedPhone, failingChecklist: []string{"password-reset"}},
		{file: "mailbox-forbidden.json", unknown: mailboxUnknown, warn: removedPhone},
		{file: "missed-redirect-rule.json", fail: []string{"CO-MAIL-002"}, warn: removedPhone, failingChecklist: []string{"forwarding-removed"}},
		{file: "missed-rss-invoice-rule.json", fail: []string{"CO-RULE-001"}, warn: removedPhone, failingChecklist: []string{"malicious-rules-removed"}},
		{file: "missed-sms-only.json", fail: []string{"CO-MFA-001"}, warn: removedPhone, failingChecklist: []string{"mfa-enforced"}},
		{file: "missed-phone-added.json", fail: []string{"CO-REC-001"}, warn: removedPhone, failingChecklist: []string{"recovery-options-cleaned"}},
		{file: "missed-unverified-mail-grant.json", fail: []string{"CO-APP-001", "CO-APP-002"}, warn: removedPhone, failingChecklist: []string{"oauth-apps-reviewed"}},
		{file: "missed-fullaccess-outside.json", fail: []string{"CO-DEL-001"}, warn: removedPhone, failingChecklist: []string{"delegation-reviewed"}},
		{file: "missed-imap-on.json", fail: []string{"CO-PROTO-001"}, warn: removedPhone, failingChecklist: []string{"legacy-protocols-disabled"}},
		{file: "missed-device-in-window.json", fail: []string{"CO-DEV-001"}, warn: removedPhone, failingChecklist: []string{"devices-reviewed"}},
		{file: "missed-indicator-signin.json", fail: []string{"CO-ACT-001"}, warn: removedPhone, failingChecklist: []string{"attacker-access-ended"}},
		{file: "missed-gal-redirect.json", fail: []string{"CO-MAIL-002", "CO-RULE-002"}, warn: removedPhone, failingChecklist: []string{"forwarding-removed", "malicious-rules-removed"}},
		{file: "missed-guest-fullaccess.json", fail: []string{"CO-DEL-001"}, warn: removedPhone, failingChecklist: []string{"delegation-reviewed"}},
		{file: "missed-restricted-sender.json", fail: []string{"CO-MAIL-004"}, warn: removedPhone, failingChecklist: []string{"sending-unblocked"}},
		{file: "missed-audit-bypass.json", fail: []string{"CO-AUD-001"}, warn: removedPhone, failingChecklist: []string{"mailbox-audit-on"}},
		{file: "missed-app-secret.json", fail: []string{"CO-APP-004"}, warn: removedPhone, failingChecklist: []string{"app-credentials-reviewed"}},
		{file: "missed-connector.json", fail: []string{"CO-CONN-001"}, warn: removedPhone, failingChecklist: []string{"tenant-connectors-reviewed"}},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			sub := set.Evaluate(ctx, loadDoc(t, filepath.Join("..", "testdata", "snapshots", tc.file)))
			want := map[string]results.Status{}
			for status, ids := range map[results.Status][]string{results.Fail: tc.fail, results.Warn: tc.warn, results.Unknown: tc.unknown, results.Manual: tc.manual} {
				for _, id := range ids {
					want[id] = status
				}
			}
			var failing []string
			for _, f := range sub.Findings {
				w, listed := want[f.PolicyID]
				if !listed {
					w = results.Pass
				}
				if f.Status != w {
					t.Errorf("%s: got %s (%s), want %s", f.PolicyID, f.Status, f.Message, w)
				}
				delete(want, f.PolicyID)
				if f.Status == results.Fail && !slices.Contains(failing, f.Checklist) {
					failing = append(failing, f.Checklist)
				}
				if f.Status == results.Fail && (f.Message == "" || len(f.Evidence["violations"].([]map[string]any)) == 0) {
					t.Errorf("%s fails without message or evidence: %+v", f.PolicyID, f)
				}
				if strings.Contains(f.Remediation, "{user}") {
					t.Errorf("%s: remediation placeholder not filled: %s", f.PolicyID, f.Remediation)
				}
			}
			if len(want) > 0 {
				t.Errorf("expected findings not reported: %v", want)
			}
			if !slices.Equal(failing, tc.failingChecklist) {
				t.Errorf("failing checklist items %v, want %v", failing, tc.failingChecklist)
			}
		})
	}
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "snapshots", "*.json"))
	for _, p := range paths {
		if !covered[filepath.Base(p)] {
			t.Errorf("scenario %s has no expectations here", filepath.Base(p))
		}
	}
}

// A presence-based policy fails on what a partial section already shows; an
// absence-based one stays unknown, since an empty list never collected looks
// like "no MFA method".
func TestPartialDataFailsOnlyWhatItProves(t *testing.T) {
	set := loadEmbedded(t)
	doc := cloneDoc(t, loadDoc(t, filepath.Join("..", "testdata", "snapshots", "compromised-unremediated.json")))
	cov := doc.Value["coverage"].(map[string]any)
	cov["mailbox.inboxRules"] = map[string]any{"status": "skipped", "detail": "Graph lists only visible rules"}
	cov["authMethods"] = map[string]any{"status": "forbidden", "detail": "no permission"}
	doc.Value["authMethods"] = []any{}
	got := statuses(set.Evaluate(ctx, cloneDoc(t, doc)))
	for id, want := range map[string]results.Status{
		"CO-MAIL-002": results.Fail, "CO-RULE-001": results.Fail, // the forwarding, cover-up rule is there
		"CO-MFA-001": results.Unknown, "CO-MFA-004": results.Unknown, // nothing proves anything
	} {
		if got[id] != want {
			t.Errorf("%s: %s, want %s", id, got[id], want)
		}
	}
	for _, p := range set.Policies {
		if p.FailsOnPartialData && p.ID == "CO-MFA-001" {
			t.Error("CO-MFA-001 denies on absence and must not fail on partial data")
		}
	}
}

// No false alarms: a clean, hardened account has no fail and no warn, in
// posture mode and as the subject of an incident whose steps are attested.
func TestCleanAccountRaisesNothing(t *testing.T) {
	set := loadEmbedded(t)
	doc := loadDoc(t, filepath.Join("..", "testdata", "snapshots", "clean-hardened.json"))
	incident := cloneDoc(t, doc)
	att := map[string]any{}
	for _, step := range []string{"userNotified", "rootCauseIdentified", "incidentDocumented", "activityReviewed", "devicesScanned"} {
		att[step] = map[string]any{"by": "responder@contoso.com", "at": "2026-11-22T15:00:00Z"}
	}
	incident.Value["incident"] = map[string]any{
		"id": "INC-1", "windowStart": "2026-11-20T08:00:00Z", "detectedAt": "2026-11-21T09:30:00Z",
		"indicators": map[string]any{"ips": []any{"203.0.113.7"}, "domains": []any{}}, "attestations": att,
	}
	// The account's own password reset and revocation after detection.
	user := incident.Value["user"].(map[string]any)
	user["lastPasswordChangeDateTime"] = "2026-11-21T09:44:12Z"
	user["signInSessionsValidFromDateTime"] = "2026-11-21T09:44:12Z"
	// An incident collection reads the tenant's connectors too.
	incident.Value["connectors"] = map[string]any{"inbound": []any{}, "outbound": []any{}}
	incident.Value["coverage"].(map[string]any)["connectors"] = map[string]any{"status": "collected"}
	for _, d := range []*snapshot.Document{doc, cloneDoc(t, incident)} {
		sub := set.Evaluate(ctx, d)
		if len(sub.Findings) < 10 {
			t.Fatalf("%s: only %d findings", d.Mode(), len(sub.Findings))
		}
		for _, f := range sub.Findings {
			if f.Status != results.Pass {
				t.Errorf("%s mode: %s is %s: %s", d.Mode(), f.PolicyID, f.Status, f.Message)
			}
		}
	}
}

// Every account checklist key has at least one policy.
func TestEveryChecklistKeyCovered(t *testing.T) {
	set := loadEmbedded(t)
	have := map[string]bool{}
	for _, p := range set.Policies {
		have[p.Checklist] = true
	}
	for _, c := range Checklist {
		if !have[c.Key] {
			t.Errorf("checklist key %s has no policy", c.Key)
		}
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
					// A policy whose denies only name things present may fail
					// on what was collected; nothing may pass.
					want := results.Unknown
					if p.FailsOnPartialData && got.Status == results.Fail {
						want = results.Fail
					}
					if got.Status != want || !strings.Contains(got.Message, section) {
						t.Errorf("%s with %s %q: %s is %s (%q), want %s naming the section", base, section, status, p.ID, got.Status, got.Message, want)
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

// Every input a Rego test evaluates a policy with must be a snapshot a
// collector could write: the tests run traced, and each distinct input seen
// is validated against snapshot.schema.json.
func TestRegoTestInputsAreValidSnapshots(t *testing.T) {
	set := loadEmbedded(t)
	mods := map[string]*ast.Module{}
	for name, m := range set.modules {
		mods[name] = m.Copy()
	}
	for name, m := range set.tests {
		mods[name] = m.Copy()
	}
	ch, err := tester.NewRunner().SetCompiler(newCompiler()).SetStore(inmem.New()).
		EnableTracing(true).SetModules(mods).RunTests(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]string{}
	for res := range ch {
		for _, ev := range res.Trace {
			in := ev.Input()
			if in == nil {
				continue
			}
			if _, ok := seen[in.Hash()]; ok {
				continue
			}
			seen[in.Hash()] = res.Package + "." + res.Name
			raw, err := json.Marshal(ast.MustJSON(in.Value))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := snapshot.Parse(raw, res.Package+"."+res.Name, 1, snapshot.DefaultLimits); err != nil {
				t.Errorf("%s.%s uses an input that is not a valid snapshot: %v", res.Package, res.Name, err)
			}
		}
	}
	if len(seen) < 50 {
		t.Fatalf("only %d distinct test inputs seen; is tracing working?", len(seen))
	}
	t.Logf("%d distinct Rego test inputs validated", len(seen))
}
