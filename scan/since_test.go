package scan

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/collectors/fake"
	"github.com/closeout-dev/closeout/policies"
	"github.com/closeout-dev/closeout/snapshot"
)

// sinceOptions scans at the given time, the fake tenant's audit log
// keeping the same clock.
func at(o Options, when time.Time) Options {
	o.Now = func() time.Time { return when }
	return o
}

// scanNight scans the fake tenant into a new directory as of when, reading
// sections, incrementally when since is set.
func scanNight(t testing.TB, srv *fake.Server, sections []string, when time.Time, since *Since) (string, *Result) {
	t.Helper()
	o := at(options(srv, t.TempDir()), when)
	o.Sections, o.Since = sections, since
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return o.Dir, res
}

// verdicts are every account's findings, policy by policy, as a policy
// set judges the scan's snapshots.
func verdicts(t *testing.T, dir string) map[string]string { return verdictsOf(t, dir) }

func verdictsOf(t testing.TB, dir string) map[string]string {
	t.Helper()
	set, err := policies.Load(context.Background(), policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	docs, err := snapshot.LoadFile(filepath.Join(dir, "snapshots.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		id := d.Value["user"].(map[string]any)["id"].(string)
		var b strings.Builder
		for _, f := range set.Evaluate(context.Background(), d).Findings {
			b.WriteString(f.PolicyID + "=" + string(f.Status) + " ")
		}
		out[id] = b.String()
	}
	return out
}

// An incremental scan reads again the accounts the change feeds name and
// carries the rest: its findings are a full scan's of the changed
// tenant, account by account, for a fraction of the reads.
func TestSinceReadsWhatChanged(t *testing.T) {
	srv, tenant := generated(t, 200)
	night1 := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	first := t.TempDir()
	if _, err := Run(context.Background(), at(options(srv, first), night1)); err != nil {
		t.Fatal(err)
	}
	// During the day an administrator changes some mailboxes; the audit
	// log records each, visible 90 minutes later.
	day := night1.Add(12 * time.Hour)
	tenant.Audit.Now = func() time.Time { return day }
	tenant.Audit.Delay = 90 * time.Minute
	changes := tenant.Night(2)
	night2 := night1.Add(24 * time.Hour)
	tenant.Audit.Now = func() time.Time { return night2 }

	full := t.TempDir()
	if _, err := Run(context.Background(), at(options(srv, full), night2)); err != nil {
		t.Fatal(err)
	}
	before := len(srv.Requests())
	inc := t.TempDir()
	o := at(options(srv, inc), night2)
	o.Since = &Since{Dir: first, MaxAge: 30 * 24 * time.Hour}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	requests := len(srv.Requests()) - before
	if res.Incremental == nil || res.Incremental.Full != "" {
		t.Fatalf("not incremental: %+v", res.Incremental)
	}
	changed := map[string]bool{}
	for _, c := range append(changes.Fixed, changes.Introduced...) {
		changed[strings.ToLower(c.UPN)] = true
	}
	docs := readSnapshots(t, inc)
	read := 0
	for _, d := range docs {
		upn := strings.ToLower(d.Value["user"].(map[string]any)["userPrincipalName"].(string))
		prov, _ := d.Value["provenance"].(map[string]any)
		carried := prov != nil && prov["carried"] == true
		if changed[upn] && carried {
			t.Errorf("%s changed and was carried", upn)
		}
		if !carried {
			read++
		}
		if carried && d.Value["collectedAt"] != night1.Format(time.RFC3339) {
			t.Errorf("%s carried with collectedAt %v, want its first read", upn, d.Value["collectedAt"])
		}
	}
	if read != res.Incremental.ReadTotal() || res.Incremental.Carried != len(docs)-read {
		t.Errorf("counts %+v for %d read of %d", res.Incremental, read, len(docs))
	}
	if read > len(changed)+len(docs)/30+5 {
		t.Errorf("read %d accounts for %d changed", read, len(changed))
	}
	want, got := verdicts(t, full), verdicts(t, inc)
	for id, v := range want {
		if got[id] != v {
			t.Errorf("%s: incremental %s\nfull        %s", id, got[id], v)
		}
	}
	t.Logf("%d of %d accounts read (%v), %d requests; feeds %v", read, len(docs), res.Incremental.Read, requests, res.Incremental.FeedRequests)
}

// A change made while the tenant's audit log is off cannot be seen: the
// scan reads every account, and says why.
func TestSinceReadsEverythingWhenTheAuditLogIsOff(t *testing.T) {
	srv, tenant := generated(t, 60)
	night1 := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	first := t.TempDir()
	if _, err := Run(context.Background(), at(options(srv, first), night1)); err != nil {
		t.Fatal(err)
	}
	tenant.Audit.Off = true
	tenant.Night(2)
	o := at(options(srv, t.TempDir()), night1.Add(24*time.Hour))
	o.Since = &Since{Dir: first}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Incremental.Full, "unified audit log is off") || res.Incremental.Carried != 0 {
		t.Errorf("incremental %+v, want a full read because the audit log is off", res.Incremental)
	}
	for _, d := range readSnapshots(t, o.Dir) {
		if p, _ := d.Value["provenance"].(map[string]any); p == nil || !strings.HasPrefix(p["reason"].(string), "full read:") {
			t.Fatalf("provenance %v, want a full read's", d.Value["provenance"])
		}
	}
}

// Every kind of change the posture policies judge, each recorded where
// Microsoft records it, is seen by the incremental scan: each changed
// account is read again and fails its policy, and every account's
// findings are a full scan's.
func TestSinceSeesEveryKindOfChange(t *testing.T) {
	srv, tenant := generated(t, 250)
	sections := append(slices.Clone(postureSections), "mailbox.audit", "mailbox.restricted")
	scanAt := func(when time.Time, since string) (string, *Result) {
		var s *Since
		if since != "" {
			s = &Since{Dir: since, MaxAge: 30 * 24 * time.Hour}
		}
		return scanNight(t, srv, sections, when, s)
	}
	night1 := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	first, _ := scanAt(night1, "")
	tenant.Audit.Now = func() time.Time { return night1.Add(10 * time.Hour) }
	tenant.Audit.Delay = 90 * time.Minute
	changes := tenant.Change(30)
	night2 := night1.Add(24 * time.Hour)
	tenant.Audit.Now = func() time.Time { return night2 }
	full, _ := scanAt(night2, "")
	inc, res := scanAt(night2, first)
	if res.Incremental.Full != "" {
		t.Fatalf("a full read: %s", res.Incremental.Full)
	}
	docs := readSnapshots(t, inc)
	byUPN := map[string]*snapshot.Document{}
	for _, d := range docs {
		byUPN[strings.ToLower(d.Value["user"].(map[string]any)["userPrincipalName"].(string))] = d
	}
	set, err := policies.Load(context.Background(), policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, c := range changes {
		d := byUPN[strings.ToLower(c.UPN)]
		if d == nil {
			t.Errorf("%s: not in the incremental scan", c.UPN)
			continue
		}
		if p, _ := d.Value["provenance"].(map[string]any); p["carried"] == true {
			t.Errorf("%s (%s) was carried", c.UPN, c.PolicyID)
		}
		for _, f := range set.Evaluate(context.Background(), d).Findings {
			if f.PolicyID == c.PolicyID && f.Status != "fail" && f.Status != "warn" {
				t.Errorf("%s: %s is %s after the change, want it to fail (or warn: a role held)", c.UPN, c.PolicyID, f.Status)
			}
		}
		kinds[c.PolicyID] = true
	}
	if len(kinds) != len(fake.ChangeKinds) {
		t.Errorf("changes of %d kinds, want %d", len(kinds), len(fake.ChangeKinds))
	}
	want, got := verdicts(t, full), verdicts(t, inc)
	for id, v := range want {
		if got[id] != v {
			t.Errorf("%s: incremental %s\nfull        %s", id, got[id], v)
		}
	}
	t.Logf("read %d (%v), carried %d; feeds %v", res.Incremental.ReadTotal(), res.Incremental.Read, res.Incremental.Carried, res.Incremental.FeedRequests)
}

// A change the audit log dates before the previous scan began (the scan
// read a replica that did not have it yet) is inside the overlap: seen.
// Without the overlap it would have been missed. And a mailbox whose
// auditing is bypassed is read again every night: its owner's own changes
// go unlogged.
func TestSinceOverlapAndUnauditedMailboxes(t *testing.T) {
	srv, tenant := generated(t, 120)
	sections := append(slices.Clone(postureSections), "mailbox.audit")
	scanAt := func(when time.Time, since string, overlap time.Duration) (string, *Result) {
		var s *Since
		if since != "" {
			s = &Since{Dir: since, MaxAge: 30 * 24 * time.Hour, Overlap: overlap}
		}
		return scanNight(t, srv, sections, when, s)
	}
	night1 := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	first, _ := scanAt(night1, "", 0)
	var mailboxes []string
	for _, u := range tenant.Users {
		if upn := u["userPrincipalName"].(string); !strings.Contains(upn, "#EXT#") {
			mailboxes = append(mailboxes, upn)
		}
	}
	late, bypass := mailboxes[10], mailboxes[20]
	// The rule was made two hours before night one's scan; the scan did
	// not see it.
	tenant.Audit.Now = func() time.Time { return night1.Add(-2 * time.Hour) }
	if err := tenant.ChangeAccount("CO-MAIL-002", late); err != nil {
		t.Fatal(err)
	}
	tenant.Audit.Now = func() time.Time { return night1.Add(8 * time.Hour) }
	if err := tenant.ChangeAccount("CO-AUD-001", bypass); err != nil {
		t.Fatal(err)
	}
	night2 := night1.Add(24 * time.Hour)
	tenant.Audit.Now = func() time.Time { return night2 }
	reason := func(dir, upn string) string {
		for _, d := range readSnapshots(t, dir) {
			if strings.EqualFold(d.Value["user"].(map[string]any)["userPrincipalName"].(string), upn) {
				p, _ := d.Value["provenance"].(map[string]any)
				if p["carried"] == true {
					return "carried"
				}
				return p["reason"].(string)
			}
		}
		return "absent"
	}
	noOverlap, _ := scanAt(night2, first, time.Nanosecond)
	if got := reason(noOverlap, late); got != "carried" && !strings.HasPrefix(got, "due") {
		t.Errorf("without the overlap the late change was read (%s): the test does not show what the overlap is for", got)
	}
	second, _ := scanAt(night2, first, 24*time.Hour)
	if got := reason(second, late); !strings.Contains(got, "New-InboxRule") {
		t.Errorf("the change dated before the previous scan: %s, want read for New-InboxRule", got)
	}
	if got := reason(second, bypass); !strings.HasPrefix(got, "changed") {
		t.Errorf("the mailbox whose audit bypass was switched on: %s, want read as changed", got)
	}
	// Night three: nothing changed, but the bypassed mailbox is read again.
	night3 := night2.Add(24 * time.Hour)
	tenant.Audit.Now = func() time.Time { return night3 }
	third, res := scanAt(night3, second, 2*time.Hour)
	if got := reason(third, bypass); got != "mailbox audit off or bypassed" {
		t.Errorf("night three, the bypassed mailbox: %s", got)
	}
	if got := reason(third, late); got != "carried" {
		t.Errorf("night three, the mailbox changed on night two: %s, want carried", got)
	}
	t.Logf("night three: %+v", res.Incremental)
}

// Nothing carried is older than --max-age: a share is read each night,
// and whatever would pass the age by the next night is read tonight.
func TestSinceKeepsNothingOlderThanMaxAge(t *testing.T) {
	srv, _ := generated(t, 80)
	night1 := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	first := t.TempDir()
	if _, err := Run(context.Background(), at(options(srv, first), night1)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		after   time.Duration
		allRead bool
	}{{3 * 24 * time.Hour, false}, {6*24*time.Hour + 12*time.Hour, true}} {
		o := at(options(srv, t.TempDir()), night1.Add(tc.after))
		o.Since = &Since{Dir: first, MaxAge: 7 * 24 * time.Hour}
		res, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if tc.allRead != (res.Incremental.Carried == 0) {
			t.Errorf("%s after: %+v", tc.after, res.Incremental)
		}
		for id, d := range readSnapshots(t, o.Dir) {
			at, _ := time.Parse(time.RFC3339, d.Value["collectedAt"].(string))
			if age := night1.Add(tc.after).Sub(at); age > 7*24*time.Hour-24*time.Hour {
				t.Errorf("%s after: %s carried at %s old", tc.after, id, age)
			}
		}
	}
}
