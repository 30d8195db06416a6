package scan

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/collectors/fake"
	"github.com/closeout-dev/closeout/snapshot"
)

// Exchange answers nothing but 503 for a while in the middle of the scan:
// the scan stops sending to it, probes until it answers, and goes on;
// every account is written once, complete, with the findings of a scan
// that saw no outage.
func TestScanWaitsOutAnOutage(t *testing.T) {
	clean, _ := generated(t, 120)
	want := scanned(t, clean, options)
	srv, tenant := generated(t, 120)
	srv.Latency = 5 * time.Millisecond
	outage, err := fake.Outage("exchange", "300ms+2s")
	if err != nil {
		t.Fatal(err)
	}
	srv.AddFault(outage)
	dir := t.TempDir()
	opts := options(srv, dir)
	opts.Workers = 8
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	readWhole(t, dir, tenant)
	if n, d := res.Outages(); n == 0 || d == 0 {
		t.Errorf("no outage waited out (%d, %s)", n, d)
	}
	sameFindings(t, want, "without an outage", dir, "through an outage")
}

// A scan whose deadline runs out writes no account half-read (none with a
// section in error because time ran out), and --resume ends with the
// findings of a scan that was not stopped.
func TestScanStoppedByItsDeadlineResumes(t *testing.T) {
	srv, _ := generated(t, 150)
	whole := scanned(t, srv, options)
	srv.Latency = 10 * time.Millisecond
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	opts := options(srv, dir)
	opts.Workers = 4
	res, err := Run(ctx, opts)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	for id, d := range readSnapshots(t, dir) {
		for sec, c := range coverageOf(d) {
			if c.Status == snapshot.StatusError {
				t.Errorf("%s: %s written as error when time ran out: %s", id, sec, c.Detail)
			}
		}
	}
	if res.Done == 0 {
		t.Fatal("nothing written before the deadline: nothing to resume")
	}
	srv.Latency = 0
	opts = options(srv, dir)
	opts.Resume = true
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	sameFindings(t, whole, "uninterrupted", dir, "stopped by its deadline, then resumed")
}

// An account written with a section that failed on a fault (here a 503
// that outlasted its retries and the second read at the end) is read again
// when an unfinished scan is resumed, not kept: the resumed scan has it
// complete, once.
func TestResumeReadsAgainWhatFailedOnAFault(t *testing.T) {
	srv, tenant := generated(t, 30)
	var ids []string
	for id := range members(tenant) {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	srv.AddFault(fake.Fault{Path: "^/users/" + regexp.QuoteMeta(ids[0]) + "/authentication/methods$", Status: 503, Code: "ServiceUnavailable", Message: "down"})
	dir := t.TempDir()
	opts := options(srv, dir)
	opts.Graph.MaxRetries = 1
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if c := readSnapshots(t, dir)[ids[0]].Coverage("authMethods"); c.Status != snapshot.StatusError {
		t.Fatalf("authMethods of %s is %s, want error", ids[0], c.Status)
	}
	// The scan stopped before it could say it finished (killed while
	// evaluating, say): --resume continues it.
	man, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	man.Finished = nil
	if err := writeManifest(dir, man); err != nil {
		t.Fatal(err)
	}
	srv.ClearFaults()
	opts = options(srv, dir)
	opts.Resume = true
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	got := readSnapshots(t, dir)
	if c := got[ids[0]].Coverage("authMethods"); c.Status != snapshot.StatusCollected {
		t.Errorf("after --resume, authMethods of %s is %s (%s)", ids[0], c.Status, c.Detail)
	}
	if res.Done != 1 || res.Resumed != len(ids)-1 || res.Reread != 1 || len(got) != len(ids) {
		t.Errorf("resume read %d, kept %d, read again %d; %d accounts in all; want 1, %d, 1, %d", res.Done, res.Resumed, res.Reread, len(got), len(ids)-1, len(ids))
	}
}

// Exchange's budget in force (120 cmdlets a window of 2 s) is below what
// the scan was told (200): the scan learns it, and few cmdlets are refused.
func TestScanLearnsExchangesBudget(t *testing.T) {
	srv, _ := generated(t, 150)
	srv.SetThrottle(fake.Throttle{ExchangePer10s: 120, Window: 2 * time.Second})
	dir := t.TempDir()
	opts := options(srv, dir)
	opts.Window, opts.ExchangePer10s = 2*time.Second, 200
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var ex Budget
	for _, b := range res.Budgets {
		if b.Name == "exchange" {
			ex = b
		}
	}
	t.Logf("exchange: %+v", ex)
	if ex.Throttled > ex.Spent*2/100+3 {
		t.Errorf("%d of %d cmdlets throttled", ex.Throttled, ex.Spent)
	}
	if ex.Learned <= 0 || ex.Learned > 60*1.3 {
		t.Errorf("learned %.1f cmdlets/s, the budget in force is 60", ex.Learned)
	}
}

func coverageOf(d *snapshot.Document) map[string]snapshot.CoverageItem {
	out := map[string]snapshot.CoverageItem{}
	for _, sec := range snapshot.Sections {
		out[sec] = d.Coverage(sec)
	}
	return out
}
