package scan

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/collectors/fake"
)

// BenchmarkIncremental is make bench-incremental: a generated tenant
// (INCREMENTAL_N accounts, default 10,000) behind the fake tenant's
// latency and throttle model; a full scan, then 1% of the accounts
// changed across every kind of change the posture policies judge, then a
// full scan and an incremental one (--since the first, --max-age 30d) of
// the changed tenant. It fails unless the incremental scan's findings are
// the full scan's, account by account, and reports what each spent.
func BenchmarkIncremental(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("INCREMENTAL_N")); err == nil && v > 0 {
		n = v
	}
	for b.Loop() {
		srv, tenant := generated(b, n)
		srv.Latency = 20 * time.Millisecond
		srv.SetThrottle(fake.Throttle{IdentityUnitsPer10s: 8000, MailboxConcurrency: 4, ReportsPer10s: 5, ProtectionPer10s: 10, ExchangePer10s: 1000})
		sections := append(append([]string(nil), postureSections...), "mailbox.audit", "mailbox.restricted")
		scanAt := func(when time.Time, since string) (string, *Result, time.Duration) {
			o := at(options(srv, b.TempDir()), when)
			o.Sections, o.Workers = sections, 64
			o.IdentityUnitsPer10s, o.ExchangePer10s, o.ExchangeCeiling = 8000, 1000, true
			o.Window = 10 * time.Second
			if since != "" {
				o.Since = &Since{Dir: since, MaxAge: 30 * 24 * time.Hour}
			}
			start := time.Now()
			res, err := Run(context.Background(), o)
			if err != nil {
				b.Fatal(err)
			}
			return o.Dir, res, time.Since(start)
		}
		night1 := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
		first, _, _ := scanAt(night1, "")
		tenant.Audit.Now = func() time.Time { return night1.Add(10 * time.Hour) }
		tenant.Audit.Delay = 90 * time.Minute
		changes := tenant.Change(n / 100)
		night2 := night1.Add(24 * time.Hour)
		tenant.Audit.Now = func() time.Time { return night2 }
		full, fres, fwall := scanAt(night2, "")
		inc, ires, iwall := scanAt(night2, first)
		if ires.Incremental.Full != "" {
			b.Fatalf("a full read: %s", ires.Incremental.Full)
		}
		want, got := verdictsOf(b, full), verdictsOf(b, inc)
		differ := 0
		for id, v := range want {
			if got[id] != v {
				differ++
			}
		}
		if differ > 0 || len(got) != len(want) {
			b.Fatalf("%d of %d accounts judged otherwise than by the full scan (%d accounts)", differ, len(want), len(got))
		}
		spent := func(r *Result, name string) int {
			for _, bu := range r.Budgets {
				if bu.Name == name {
					return bu.Spent
				}
			}
			return 0
		}
		for _, budget := range []string{"identity", "exchange", "reports", "identityProtection"} {
			f, i := spent(fres, budget), spent(ires, budget)
			b.Logf("%-18s full %7d, incremental %6d (%.2f%%)", budget, f, i, 100*float64(i)/float64(max(f, 1)))
		}
		b.Logf("%d accounts, %d changed: read %d (%v), carried %d; feeds %v; wall: full %s, incremental %s",
			len(want), len(changes), ires.Incremental.ReadTotal(), ires.Incremental.Read, ires.Incremental.Carried, ires.Incremental.FeedRequests,
			fwall.Round(time.Millisecond), iwall.Round(time.Millisecond))
		b.ReportMetric(100*float64(spent(ires, "exchange"))/float64(max(spent(fres, "exchange"), 1)), "%exchange")
		b.ReportMetric(100*float64(spent(ires, "identity"))/float64(max(spent(fres, "identity"), 1)), "%identity")
	}
}
