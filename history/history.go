// Package history keeps closeout's runs in one SQLite file (pure Go, no
// cgo): every recorded run and every finding's status in it, so that a
// posture program can say when a finding was first seen, how old it is,
// when it was fixed, and how long fixes take. The same evaluation is
// recorded once, however often it is recorded, and concurrent writers
// (two scans at once) are serialised by SQLite's WAL and a busy timeout.
package history

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/internal/safefile"
	"github.com/closeout-dev/closeout/results"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is an open history file.
type Store struct{ db *sql.DB }

// Open opens (creating and migrating) the history file at path: a regular
// file, created mode 0600, never opened through a link.
func Open(path string) (*Store, error) {
	f, err := safefile.Open(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, err
	}
	f.Close()
	dsn := "file:" + uriPath(path) + "?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db}
	if err := retryBusy(s.migrate); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// uriPath is path as a SQLite URI's path: a '?', '#' or '%' in the file's
// name is the name's, not the start of the URI's parameters.
func uriPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// retryBusy runs f again while SQLite says another writer holds the file:
// switching a new file to WAL takes it whole, and the busy timeout does not
// cover that. Writers take turns; none fails for having had to wait.
func retryBusy(f func() error) error {
	deadline := time.Now().Add(60 * time.Second)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		err := f()
		if err == nil || !busy(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}

func busy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// migrate applies the migrations the file has not had, in order, each in
// a transaction that takes the write lock first.
func (s *Store) migrate() error {
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	commit := false
	defer func() {
		if !commit {
			conn.ExecContext(ctx, "ROLLBACK")
		}
	}()
	if _, err := conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := path.Base(name)
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s has no version number", base)
		}
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, _ := migrations.ReadFile(name)
		if _, err := conn.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if _, err := conn.ExecContext(ctx, "INSERT INTO schema_migrations VALUES (?, ?, ?)", version, base, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	commit = true
	return nil
}

// Run is one recorded evaluation.
type Run struct {
	ID           int64     `json:"id"`
	Tenant       string    `json:"tenant"`
	GeneratedAt  time.Time `json:"generatedAt"`
	PolicyDigest string    `json:"policyDigest"`
	Subjects     int       `json:"subjects"`
	Findings     int       `json:"findings"`
	Failing      int       `json:"failing"`
}

// Record adds a closeout.results/v1 document as a run. It reports whether
// the run was new: an evaluation of the same snapshots under the same
// policy set is recorded once (a retried CI job, a merge recorded again).
//
// The findings stream from the document into the file inside one write
// transaction, so a scan of a hundred thousand accounts is never held in
// memory; the run is known to be a repeat only at the end, when every
// subject's digest has been read, and a repeat is rolled back.
func (s *Store) Record(doc io.Reader) (Run, bool, error) {
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return Run{}, false, err
	}
	defer conn.Close()
	if err := retryBusy(func() error { _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); return err }); err != nil {
		return Run{}, false, err
	}
	done := false
	defer func() {
		if !done {
			conn.ExecContext(ctx, "ROLLBACK")
		}
	}()
	// The run goes in first, under a placeholder digest no real run has,
	// so that its findings can refer to it as they stream.
	now := time.Now().UTC().Format(time.RFC3339)
	res, err := conn.ExecContext(ctx, "INSERT INTO runs (tenant, generated_at, policy_digest, input_digest, subjects, findings, recorded_at) VALUES ('', '', '', ?, 0, 0, ?)",
		fmt.Sprintf("pending:%d", time.Now().UnixNano()), now)
	if err != nil {
		return Run{}, false, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Run{}, false, err
	}
	stmt, err := conn.PrepareContext(ctx, "INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?, ?, ?, ?)")
	if err != nil {
		return Run{}, false, err
	}
	defer stmt.Close()
	var meta results.Meta
	var digests []string
	findings := 0
	tenants := map[string]bool{}
	_, err = results.Decode(doc, func(m results.Meta) error { meta = m; return nil }, func(sub *results.Subject) error {
		digests = append(digests, sub.SHA256)
		if sub.Tenant != "" {
			tenants[sub.Tenant] = true
		}
		if sub.Mode == "tenant" && sub.Tenant != "" && sub.Subject != "" {
			// A tenant document's subject is the tenant's default domain.
			if _, err := conn.ExecContext(ctx, "INSERT OR REPLACE INTO tenant_domains VALUES (?, ?)", sub.Tenant, sub.Subject); err != nil {
				return err
			}
		}
		for _, f := range sub.Findings {
			if _, err := stmt.ExecContext(ctx, id, sub.Tenant, sub.Subject, f.PolicyID, string(f.Severity), f.Checklist, string(f.Status)); err != nil {
				return err
			}
			findings++
		}
		return nil
	})
	if err != nil {
		return Run{}, false, err
	}
	sort.Strings(digests)
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", meta.PolicySet.Digest)
	for _, d := range digests {
		fmt.Fprintf(h, "%s\n", d)
	}
	inputDigest := hex.EncodeToString(h.Sum(nil))
	var names []string
	for t := range tenants {
		names = append(names, t)
	}
	sort.Strings(names)
	run := Run{ID: id, Tenant: strings.Join(names, ","), GeneratedAt: meta.GeneratedAt.UTC(), PolicyDigest: meta.PolicySet.Digest, Subjects: len(digests), Findings: findings}
	var existing int64
	if err := conn.QueryRowContext(ctx, "SELECT id FROM runs WHERE input_digest = ?", inputDigest).Scan(&existing); err == nil {
		run.ID = existing
		return run, false, nil // recorded already: the deferred rollback drops this copy
	} else if !errors.Is(err, sql.ErrNoRows) {
		return Run{}, false, err
	}
	if _, err := conn.ExecContext(ctx, "UPDATE runs SET tenant = ?, generated_at = ?, policy_digest = ?, input_digest = ?, subjects = ?, findings = ? WHERE id = ?",
		run.Tenant, run.GeneratedAt.Format(time.RFC3339), run.PolicyDigest, inputDigest, run.Subjects, run.Findings, id); err != nil {
		return Run{}, false, err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return Run{}, false, err
	}
	done = true
	return run, true, nil
}

// Runs lists the recorded runs, oldest first.
func (s *Store) Runs() ([]Run, error) {
	rs, err := s.db.Query(`SELECT r.id, r.tenant, r.generated_at, r.policy_digest, r.subjects, r.findings,
		(SELECT count(*) FROM findings f WHERE f.run_id = r.id AND f.status IN ('fail', 'error'))
		FROM runs r ORDER BY r.generated_at, r.id`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []Run
	for rs.Next() {
		var r Run
		var at string
		if err := rs.Scan(&r.ID, &r.Tenant, &at, &r.PolicyDigest, &r.Subjects, &r.Findings, &r.Failing); err != nil {
			return nil, err
		}
		r.GeneratedAt, _ = time.Parse(time.RFC3339, at)
		out = append(out, r)
	}
	return out, rs.Err()
}

// Finding is one finding's history: its open streak, or its last fix.
type Finding struct {
	Tenant    string     `json:"tenant,omitempty"`
	Domain    string     `json:"tenantDomain,omitempty"` // the tenant's default domain, when a run had its tenant document
	Subject   string     `json:"subject"`
	PolicyID  string     `json:"policyId"`
	Severity  string     `json:"severity"`
	Checklist string     `json:"checklist"`
	FirstSeen time.Time  `json:"firstSeen"`         // the start of the current (or last) failing streak
	LastSeen  time.Time  `json:"lastSeen"`          // the last run it failed in
	FixedAt   *time.Time `json:"fixedAt,omitempty"` // the first run after the streak where it did not fail
	AgeDays   float64    `json:"ageDays,omitempty"` // for an open finding: latest run − first seen
}

// Report is what the history says: what is open (oldest first) and how
// long fixes took, per checklist item and severity.
type Report struct {
	Runs []Run `json:"runs"`
	// Open is what fails in the latest run that judged it: most severe
	// first, then oldest first.
	Open   []Finding `json:"open"`
	Fixed  []Finding `json:"fixed"`
	Fixes  []FixStat `json:"timeToFix"`
	Latest time.Time `json:"latest"`
}

// FixStat is how long fixes took for one checklist item and severity.
type FixStat struct {
	Checklist  string  `json:"checklist"`
	Severity   string  `json:"severity"`
	Fixed      int     `json:"fixed"`
	MedianDays float64 `json:"medianDays"`
	MaxDays    float64 `json:"maxDays"`
}

func failingStatus(s string) bool { return s == "fail" || s == "error" }

// Filter narrows a Report to some findings.
type Filter struct {
	// Checklist keeps one checklist item's findings.
	Checklist string
	// MinSeverity keeps findings at or above a severity.
	MinSeverity results.Severity
	// Tenant keeps one tenant's findings, by id or domain.
	Tenant string
}

func (f Filter) keeps(x *Finding) bool {
	switch {
	case f.Checklist != "" && !strings.EqualFold(x.Checklist, f.Checklist):
		return false
	case f.MinSeverity != "" && results.Severity(x.Severity).Rank() < f.MinSeverity.Rank():
		return false
	case f.Tenant != "" && !strings.EqualFold(x.Tenant, f.Tenant) && !strings.EqualFold(x.Domain, f.Tenant):
		return false
	}
	return true
}

// Domains maps each tenant id to its domain, as the runs' tenant
// documents named it.
func (s *Store) Domains() (map[string]string, error) {
	rs, err := s.db.Query("SELECT tenant, domain FROM tenant_domains")
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := map[string]string{}
	for rs.Next() {
		var id, domain string
		if err := rs.Scan(&id, &domain); err != nil {
			return nil, err
		}
		out[id] = domain
	}
	return out, rs.Err()
}

// Report reads every finding's runs in order and works out the streaks.
// A finding absent from a run of its tenant is neither failing nor fixed
// in it: only a run that judged it says so.
func (s *Store) Report(filter Filter) (*Report, error) {
	runs, err := s.Runs()
	if err != nil {
		return nil, err
	}
	domains, err := s.Domains()
	if err != nil {
		return nil, err
	}
	rep := &Report{Runs: runs}
	if len(runs) == 0 {
		return rep, nil
	}
	rep.Latest = runs[len(runs)-1].GeneratedAt
	rs, err := s.db.Query(`SELECT f.tenant, f.subject, f.policy_id, f.severity, f.checklist, f.status, r.generated_at
		FROM findings f JOIN runs r ON r.id = f.run_id ORDER BY f.tenant, f.subject, f.policy_id, r.generated_at, r.id`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var cur *Finding
	var key string
	open := false
	flush := func() {
		if cur != nil && open && filter.keeps(cur) {
			c := *cur
			c.AgeDays = rep.Latest.Sub(c.FirstSeen).Hours() / 24
			rep.Open = append(rep.Open, c)
		}
	}
	for rs.Next() {
		var f Finding
		var status, at string
		if err := rs.Scan(&f.Tenant, &f.Subject, &f.PolicyID, &f.Severity, &f.Checklist, &status, &at); err != nil {
			return nil, err
		}
		when, _ := time.Parse(time.RFC3339, at)
		f.Domain = domains[f.Tenant]
		k := f.Tenant + "\x00" + f.Subject + "\x00" + f.PolicyID
		if k != key {
			flush()
			key, cur, open = k, &f, false
		}
		switch {
		case failingStatus(status) && !open:
			open = true
			cur.FirstSeen, cur.LastSeen, cur.FixedAt = when, when, nil
			cur.Severity, cur.Checklist = f.Severity, f.Checklist
		case failingStatus(status):
			cur.LastSeen = when
		case open && status != "unknown":
			// pass, waived, or a milder warn or manual: no longer failing.
			// unknown closes nothing: the run could not judge it.
			open = false
			fixed := *cur
			fixed.FixedAt = &when
			if filter.keeps(&fixed) {
				rep.Fixed = append(rep.Fixed, fixed)
			}
		}
	}
	flush()
	if err := rs.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(rep.Open, func(i, j int) bool {
		a, b := &rep.Open[i], &rep.Open[j]
		if ra, rb := results.Severity(a.Severity).Rank(), results.Severity(b.Severity).Rank(); ra != rb {
			return ra > rb
		}
		if !a.FirstSeen.Equal(b.FirstSeen) {
			return a.FirstSeen.Before(b.FirstSeen)
		}
		return a.Subject+a.PolicyID < b.Subject+b.PolicyID
	})
	rep.Fixes = fixStats(rep.Fixed)
	return rep, nil
}

func fixStats(fixed []Finding) []FixStat {
	by := map[[2]string][]float64{}
	for _, f := range fixed {
		k := [2]string{f.Checklist, f.Severity}
		by[k] = append(by[k], f.FixedAt.Sub(f.FirstSeen).Hours()/24)
	}
	var out []FixStat
	for k, days := range by {
		sort.Float64s(days)
		median := days[len(days)/2]
		if len(days)%2 == 0 {
			median = (days[len(days)/2-1] + days[len(days)/2]) / 2
		}
		out = append(out, FixStat{Checklist: k[0], Severity: k[1], Fixed: len(days), MedianDays: median, MaxDays: days[len(days)-1]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Checklist != out[j].Checklist {
			return out[i].Checklist < out[j].Checklist
		}
		return results.Severity(out[i].Severity).Rank() > results.Severity(out[j].Severity).Rank()
	})
	return out
}

// Annotator places each failing finding of a new run in the history: new
// since the previous run or not, first seen, age. It holds only the
// findings that failed in the latest recorded run.
type Annotator struct {
	open     map[string]time.Time // key → start of its failing streak
	previous bool                 // the history has a run before this one
	Trend    []results.TrendPoint
}

func findingKey(tenant, subject, policy string) string {
	return strings.ToLower(tenant) + "\x00" + strings.ToLower(subject) + "\x00" + policy
}

// Annotator reads what the next run needs from the history.
func (s *Store) Annotator() (*Annotator, error) {
	rep, err := s.Report(Filter{})
	if err != nil {
		return nil, err
	}
	a := &Annotator{open: map[string]time.Time{}, previous: len(rep.Runs) > 0}
	for _, f := range rep.Open {
		// Open in the latest run that judged it: still failing then.
		if f.LastSeen.Equal(rep.Latest) {
			a.open[findingKey(f.Tenant, f.Subject, f.PolicyID)] = f.FirstSeen
		}
	}
	rs, err := s.db.Query(`SELECT f.run_id, f.severity, count(*) FROM findings f
		WHERE f.status IN ('fail', 'error') GROUP BY f.run_id, f.severity`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	byRun := map[int64]map[results.Severity]int{}
	for rs.Next() {
		var id int64
		var sev string
		var n int
		if err := rs.Scan(&id, &sev, &n); err != nil {
			return nil, err
		}
		if byRun[id] == nil {
			byRun[id] = map[results.Severity]int{}
		}
		byRun[id][results.Severity(sev)] = n
	}
	for _, r := range rep.Runs { // oldest first; a run with nothing failing is a point too
		failing := byRun[r.ID]
		if failing == nil {
			failing = map[results.Severity]int{}
		}
		a.Trend = append(a.Trend, results.TrendPoint{At: r.GeneratedAt, Failing: failing})
	}
	return a, rs.Err()
}

// Annotate sets the history of the subject's failing findings, as of now.
func (a *Annotator) Annotate(s *results.Subject, now time.Time) {
	for i := range s.Findings {
		f := &s.Findings[i]
		if f.Status != results.Fail && f.Status != results.Error {
			continue
		}
		since, was := a.open[findingKey(s.Tenant, s.Subject, f.PolicyID)]
		h := &results.FindingHistory{New: a.previous && !was, FirstSeen: now}
		if was {
			h.FirstSeen = since
		}
		h.AgeDays = now.Sub(h.FirstSeen).Hours() / 24
		f.History = h
	}
}
