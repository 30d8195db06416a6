package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/internal/testtool"
	"github.com/closeout-dev/closeout/results"
)

// doc is a closeout.results/v1 document of one run.
func doc(t testing.TB, at time.Time, digest string, statuses map[string]results.Status) *bytes.Reader {
	t.Helper()
	var subjects []results.Subject
	for subject, st := range statuses {
		subjects = append(subjects, results.Subject{Subject: subject, Tenant: "t1", Mode: "posture", SHA256: fmt.Sprintf("%x-%s-%s", at.Unix(), subject, st),
			Findings: []results.Finding{{PolicyID: "CO-PROTO-001", Severity: results.High, Checklist: "legacy-protocols-disabled", Status: st}}})
	}
	body := map[string]any{
		"schemaVersion": results.SchemaVersion, "generatedAt": at, "tool": results.Tool{Name: "closeout", Version: "test"},
		"policySet": results.PolicySet{Digest: digest}, "failOn": "high", "strict": false,
		"subjects": subjects, "summary": results.Summary{ByStatus: map[results.Status]int{}},
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// An exposure appears, persists and is fixed: first seen, age and
// time-to-fix come out right, and recording a run again adds nothing.
func TestFirstSeenAgeAndTimeToFix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	day := func(n int) time.Time { return time.Date(2026, 11, 1+n, 6, 0, 0, 0, time.UTC) }
	runs := []map[string]results.Status{
		{"alice@x.com": results.Pass, "bob@x.com": results.Fail},
		{"alice@x.com": results.Fail, "bob@x.com": results.Fail},
		{"alice@x.com": results.Fail, "bob@x.com": results.Pass},
	}
	for i, r := range runs {
		if _, added, err := s.Record(doc(t, day(i*3), "sha256:p", r)); err != nil || !added {
			t.Fatalf("run %d: added %v, %v", i, added, err)
		}
	}
	// The same evaluation again (a retried CI job): no new run.
	if _, added, err := s.Record(doc(t, day(6), "sha256:p", runs[2])); err != nil || added {
		t.Fatalf("re-recording: added %v, %v", added, err)
	}
	rep, err := s.Report(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 3 {
		t.Fatalf("%d runs", len(rep.Runs))
	}
	if len(rep.Open) != 1 || rep.Open[0].Subject != "alice@x.com" || !rep.Open[0].FirstSeen.Equal(day(3)) || rep.Open[0].AgeDays != 3 {
		t.Errorf("open = %+v", rep.Open)
	}
	if len(rep.Fixed) != 1 || rep.Fixed[0].Subject != "bob@x.com" || !rep.Fixed[0].FirstSeen.Equal(day(0)) || !rep.Fixed[0].FixedAt.Equal(day(6)) {
		t.Errorf("fixed = %+v", rep.Fixed)
	}
	if len(rep.Fixes) != 1 || rep.Fixes[0].Checklist != "legacy-protocols-disabled" || rep.Fixes[0].MedianDays != 6 {
		t.Errorf("time to fix = %+v", rep.Fixes)
	}
}

// Two writers at once (two scans recording) leave a consistent file with
// every run.
func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(path)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			for i := range 20 {
				at := time.Date(2026, 11, 1, 0, w*100+i, 0, 0, time.UTC)
				if _, _, err := s.Record(doc(t, at, fmt.Sprintf("sha256:w%d", w), map[string]results.Status{"alice@x.com": results.Fail})); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.Runs()
	if err != nil || len(runs) != 40 {
		t.Fatalf("%d runs, %v", len(runs), err)
	}
	var check string
	if err := s.db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check: %q, %v", check, err)
	}
}

// The stock sqlite3 shell reads a history file.
func TestStockShellReadsHistory(t *testing.T) {
	bin, err := exec.LookPath("sqlite3")
	if err != nil {
		testtool.Skip(t, "sqlite3", "apt-get install sqlite3 (.ci/run does)")
	}
	path := filepath.Join(t.TempDir(), "history.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Record(doc(t, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "sha256:p", map[string]results.Status{"alice@x.com": results.Fail}))
	s.Close()
	out, err := exec.Command(bin, path, "SELECT subject, status FROM findings;").Output()
	if err != nil || strings.TrimSpace(string(out)) != "alice@x.com|fail" {
		t.Errorf("sqlite3: %q, %v", out, err)
	}
}

// The next run's failing findings are placed in the history: new since the
// last run, or open since when; and the trend has a point per run.
func TestAnnotator(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	day := func(n int) time.Time { return time.Date(2026, 11, 1+n, 6, 0, 0, 0, time.UTC) }
	s.Record(doc(t, day(0), "sha256:p", map[string]results.Status{"alice@x.com": results.Fail, "bob@x.com": results.Pass}))
	s.Record(doc(t, day(1), "sha256:p", map[string]results.Status{"alice@x.com": results.Fail, "bob@x.com": results.Pass}))
	a, err := s.Annotator()
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Trend) != 2 || a.Trend[1].Failing[results.High] != 1 {
		t.Errorf("trend = %+v", a.Trend)
	}
	next := func(upn string) *results.Subject {
		return &results.Subject{Subject: upn, Tenant: "t1", Findings: []results.Finding{{PolicyID: "CO-PROTO-001", Severity: results.High, Status: results.Fail}}}
	}
	alice, bob := next("alice@x.com"), next("bob@x.com")
	a.Annotate(alice, day(4))
	a.Annotate(bob, day(4))
	if h := alice.Findings[0].History; h == nil || h.New || !h.FirstSeen.Equal(day(0)) || h.AgeDays != 4 {
		t.Errorf("alice = %+v", h)
	}
	if h := bob.Findings[0].History; h == nil || !h.New || h.AgeDays != 0 {
		t.Errorf("bob = %+v", h)
	}
}

// A run recorded again, or a document cut short, leaves the file as it
// was: the streamed findings of either are rolled back.
func TestRecordLeavesNothingOfARepeatOrABrokenDocument(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	count := func() (runs, findings int) {
		t.Helper()
		if err := s.db.QueryRow("SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM findings)").Scan(&runs, &findings); err != nil {
			t.Fatal(err)
		}
		return runs, findings
	}
	at := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	statuses := map[string]results.Status{"alice@x.com": results.Fail, "bob@x.com": results.Pass}
	first, added, err := s.Record(doc(t, at, "sha256:p", statuses))
	if err != nil || !added || first.Findings != 2 || first.Subjects != 2 {
		t.Fatalf("first record: %+v added %v: %v", first, added, err)
	}
	again, added, err := s.Record(doc(t, at, "sha256:p", statuses))
	if err != nil || added || again.ID != first.ID {
		t.Fatalf("the same run again: %+v added %v: %v; want run %d, not added", again, added, err, first.ID)
	}
	if runs, findings := count(); runs != 1 || findings != 2 {
		t.Errorf("after a repeat: %d runs and %d findings, want 1 and 2", runs, findings)
	}
	whole, _ := io.ReadAll(doc(t, at.Add(time.Hour), "sha256:q", statuses))
	if _, _, err := s.Record(bytes.NewReader(whole[:len(whole)*2/3])); err == nil {
		t.Fatal("a document cut short was recorded")
	}
	if runs, findings := count(); runs != 1 || findings != 2 {
		t.Errorf("after a broken document: %d runs and %d findings, want 1 and 2", runs, findings)
	}
}

// BenchmarkRecord records a run of 10,000 accounts with 40 findings each
// (make bench-history). peak-heap-MB is the most the heap grew over the
// document already in memory: one subject at a time, not the run's
// 400,000 findings.
func BenchmarkRecord(b *testing.B) {
	var subjects []results.Subject
	for i := range 10000 {
		sub := results.Subject{Subject: fmt.Sprintf("user%05d@x.com", i), Tenant: "t1", Mode: "posture", SHA256: fmt.Sprintf("%064d", i)}
		for p := range 40 {
			sub.Findings = append(sub.Findings, results.Finding{PolicyID: fmt.Sprintf("CO-X-%03d", p), Severity: results.High, Checklist: "x", Status: results.Fail})
		}
		subjects = append(subjects, sub)
	}
	for i := range b.N {
		b.StopTimer()
		raw, err := json.Marshal(map[string]any{
			"schemaVersion": results.SchemaVersion, "generatedAt": time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "tool": results.Tool{Name: "closeout"},
			"policySet": results.PolicySet{Digest: fmt.Sprintf("sha256:%d", i)}, "failOn": "high", "subjects": subjects,
			"summary": results.Summary{ByStatus: map[results.Status]int{}}})
		if err != nil {
			b.Fatal(err)
		}
		s, err := Open(filepath.Join(b.TempDir(), "history.db"))
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		stop := make(chan struct{})
		peak := make(chan uint64)
		go func() {
			var m runtime.MemStats
			var most uint64
			for {
				runtime.ReadMemStats(&m)
				most = max(most, m.HeapAlloc)
				select {
				case <-stop:
					peak <- most
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}()
		b.StartTimer()
		if _, added, err := s.Record(bytes.NewReader(raw)); err != nil || !added {
			b.Fatal(added, err)
		}
		b.StopTimer()
		close(stop)
		if most := <-peak; most > base.HeapAlloc {
			b.ReportMetric(float64(most-base.HeapAlloc)/(1<<20), "peak-heap-MB")
		}
		s.Close()
		b.StartTimer()
	}
}

// The history file is a regular file of mode 0600 whatever its name holds
// (a '?' or '#' is the name's, not a SQLite URI parameter), and a link put
// where it belongs is refused, not followed.
func TestHistoryFileIsOnlyItself(t *testing.T) {
	dir := t.TempDir()
	odd := filepath.Join(dir, "nightly?mode=memory#x%41.db")
	s, err := Open(odd)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Record(doc(t, time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), "sha256:p", map[string]results.Status{"a@x.com": results.Fail})); err != nil {
		t.Fatal(err)
	}
	s.Close()
	st, err := os.Stat(odd)
	if err != nil {
		t.Fatalf("the history went elsewhere than the file named: %v", err)
	}
	if st.Mode().Perm() != 0o600 || st.Size() == 0 {
		t.Errorf("history file mode %v, %d bytes", st.Mode().Perm(), st.Size())
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 3 { // the file, its -wal and -shm
		t.Errorf("files beside the history: %v", entries)
	}

	target := filepath.Join(dir, "elsewhere.db")
	link := filepath.Join(dir, "linked.db")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if _, err := Open(link); err == nil || !strings.Contains(err.Error(), "link") {
		t.Errorf("history through a link: %v", err)
	}
	if _, err := os.Stat(target); err == nil {
		t.Error("the link's target was created")
	}
}
