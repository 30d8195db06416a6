package scan

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/policies"
	"github.com/closeout-dev/closeout/snapshot"
)

// sinceOptions scans at the given time, the fake tenant's audit log
// keeping the same clock.
func at(o Options, when time.Time) Options {
	o.Now = func() time.Time { return when }
	return o
}

// verdicts are every account's findings, policy by policy, as a policy
// set judges the scan's snapshots.
func verdicts(t *testing.T, dir string) map[string]string {
	t.Helper()
	set, err := policies.Load(context.Background(), policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for id, d := range readSnapshots(t, dir) {
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

var _ = filepath.Join
var _ = snapshot.SchemaVersion
