package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/results"
)

func diffGoldenPath(format string) string {
	ext := map[string]string{"table": "txt", "json": "json", "markdown": "md"}[format]
	return filepath.Join(goldenDir, "diff."+ext)
}

// resultsDoc renders subjects as a closeout.results/v1 document.
func resultsDoc(t *testing.T, at time.Time, digest string, policies []results.PolicyInfo, subs []*results.Subject) *bytes.Buffer {
	t.Helper()
	meta := results.Meta{SchemaVersion: results.SchemaVersion, GeneratedAt: at, Tool: results.Tool{Name: "closeout", Version: "test"},
		PolicySet: results.PolicySet{Digest: digest, Count: len(policies)}, FailOn: results.High, Policies: policies}
	tally := results.NewTally(results.GateOf(meta))
	for _, s := range subs {
		tally.Add(s)
	}
	var buf bytes.Buffer
	r, _ := New("json", &buf, Options{})
	if err := Render(r, meta, subs, tally.Summary); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// Two runs with known changes give exactly those changes, in each format.
func TestDiffGolden(t *testing.T) {
	p1 := results.PolicyInfo{ID: "CO-MAIL-001", Title: "No forwarding", Severity: results.Critical, Checklist: "forwarding-removed", Modes: []string{"posture"}, Requires: []string{"mailbox.forwarding"}}
	p2 := results.PolicyInfo{ID: "CO-PROTO-001", Title: "No IMAP", Severity: results.High, Checklist: "legacy-protocols-disabled", Modes: []string{"posture"}, Requires: []string{"mailbox.protocols"}}
	p3 := results.PolicyInfo{ID: "CO-RISK-001", Title: "Risk remediated", Severity: results.High, Checklist: "risk-remediated", Modes: []string{"posture"}, Requires: []string{"risk"}}
	p3now := p3
	p3now.Severity = results.Critical // the policy change
	p4 := results.PolicyInfo{ID: "ACME-001", Title: "Admins use a key", Severity: results.High, Checklist: "custom-admin-security-key", Modes: []string{"posture"}, Requires: []string{"roles"}}
	finding := func(p results.PolicyInfo, st results.Status, msg string) results.Finding {
		return results.Finding{PolicyID: p.ID, Title: p.Title, Severity: p.Severity, Checklist: p.Checklist, Status: st, Message: msg}
	}
	account := func(upn string, fs ...results.Finding) *results.Subject {
		return &results.Subject{Subject: upn, Tenant: "t1", Mode: "posture", Source: "snapshots.jsonl", Findings: fs}
	}
	monday := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
	old := resultsDoc(t, monday, "sha256:old", []results.PolicyInfo{p1, p2, p3}, []*results.Subject{
		account("alice@contoso.com", finding(p1, results.Pass, ""), finding(p2, results.Pass, ""), finding(p3, results.Pass, "")),
		account("bob@contoso.com", finding(p1, results.Fail, "forwards to evil.example"), finding(p2, results.Fail, "IMAP on"), finding(p3, results.Fail, "atRisk")),
		account("carol@contoso.com", finding(p1, results.Pass, ""), finding(p2, results.Pass, ""), finding(p3, results.Pass, "")),
	})
	new := resultsDoc(t, monday.AddDate(0, 0, 1), "sha256:new", []results.PolicyInfo{p1, p2, p3now, p4}, []*results.Subject{
		account("alice@contoso.com", finding(p1, results.Fail, "forwards to partner.example"), finding(p2, results.Pass, ""), finding(p3now, results.Unknown, "risk is forbidden"), finding(p4, results.Pass, "")),
		account("bob@contoso.com", finding(p1, results.Pass, ""), finding(p2, results.Fail, "IMAP on"), finding(p3now, results.Fail, "atRisk"), finding(p4, results.Fail, "admin without a key")),
		account("dan@contoso.com", finding(p1, results.Pass, ""), finding(p2, results.Fail, "POP on"), finding(p3now, results.Pass, ""), finding(p4, results.Pass, "")),
	})
	d, err := results.Compare(bytes.NewReader(old.Bytes()), bytes.NewReader(new.Bytes()), results.High)
	if err != nil {
		t.Fatal(err)
	}
	want := map[results.Change]int{results.NewlyFailing: 3, results.Fixed: 1, results.StatusChanged: 1, results.StillFailing: 2}
	for c, n := range want {
		if got := d.Count(c); got != n {
			t.Errorf("%s: %d, want %d", c, got, n)
		}
	}
	if len(d.NewSubjects) != 1 || d.NewSubjects[0] != "dan@contoso.com" || len(d.RemovedSubjects) != 1 || d.RemovedSubjects[0] != "carol@contoso.com" {
		t.Errorf("accounts: new %v removed %v", d.NewSubjects, d.RemovedSubjects)
	}
	if len(d.PoliciesAdded) != 1 || len(d.PoliciesChanged) != 1 || d.PoliciesChanged[0] != "CO-RISK-001" || d.Blocking != 3 {
		t.Errorf("policies added %v changed %v, blocking %d", d.PoliciesAdded, d.PoliciesChanged, d.Blocking)
	}
	for _, e := range d.Entries {
		if e.PolicyID == "CO-RISK-001" && !e.PolicyChanged {
			t.Errorf("%s %s: not labelled as moved by the policy change", e.Subject, e.PolicyID)
		}
	}
	for _, format := range DiffFormats {
		var buf bytes.Buffer
		if err := WriteDiff(&buf, d, format); err != nil {
			t.Fatal(err)
		}
		path := diffGoldenPath(format)
		if *update {
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		golden, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./reports -update)", err)
		}
		if !bytes.Equal(golden, buf.Bytes()) {
			t.Errorf("diff %s differs from %s:\n%s", format, path, firstDiff(string(golden), buf.String()))
		}
	}
}
