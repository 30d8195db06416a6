// Command closeout-fake serves a fake Microsoft 365 tenant on loopback for
// the demo and for trying closeout without a tenant:
//
//	closeout-fake -tenant testdata/tenants/contoso.json -listen 127.0.0.1:8089 -token demo [-enums pascal|newer] [-latency 100ms]
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"

	"github.com/closeout-dev/closeout/collectors/fake"
)

func main() {
	tenantPath := flag.String("tenant", "testdata/tenants/contoso.json", "tenant fixture")
	listen := flag.String("listen", "127.0.0.1:8089", "loopback address to serve on")
	token := flag.String("token", "", "the bearer token to require (none: any)")
	enums := flag.String("enums", "documented", "how Graph answers spell enum values: documented, pascal (AtRisk, as some of Microsoft's examples) or newer (values newer than msgraph-sdk-go)")
	latency := flag.Duration("latency", 0, "added to every request, as a network round trip")
	generate := flag.Int("generate", 0, "serve `N` synthesised accounts (with a realistic mix of exposures) instead of the fixture's")
	seed := flag.Uint64("seed", 1, "the seed of -generate: the same seed, the same tenant")
	night := flag.Int("night", 1, "serve the tenant as it is on night `N`: from 2 on, some exposures are fixed and others new (the same N, the same changes)")
	throttle := flag.Bool("throttle", false, "enforce Microsoft's documented budgets: 3,500 identity units, 5 report requests and 10 Identity Protection requests per 10 s, 4 concurrent requests per mailbox; 1,000 Exchange cmdlets per 10 s")
	identityBudget := flag.Int("identity-budget", 0, "enforce this many identity `UNITS` per 10 s (another app spending the rest, say); implies -throttle")
	exchangeBudget := flag.Int("exchange-budget", 0, "enforce this many Exchange `CMDLETS` per 10 s (published values range from 25 per 5 s to 200 per 5 s); implies -throttle")
	auditDelay := flag.Duration("audit-delay", 0, "the unified audit log's delay: a change is visible to Search-UnifiedAuditLog this long after it was made (Exchange's are typically 60 to 90 minutes)")
	auditOff := flag.Bool("audit-off", false, "the tenant's unified audit log is off: nothing is recorded, and Get-AdminAuditLogConfig says so")
	faults := flag.String("faults", "", "switch faults on: 503=SHARE, reset=SHARE, truncate=SHARE, storm=N, outage-graph=AFTER+FOR, outage-exchange=AFTER+FOR (comma-separated; e.g. 503=0.05,reset=0.01,outage-exchange=30s+60s)")
	flag.Parse()
	faultList, err := fake.ParseFaults(*faults)
	if err != nil {
		fmt.Fprintln(os.Stderr, "closeout-fake: -faults:", err)
		os.Exit(2)
	}
	spelling, ok := fake.ParseEnumSpelling(*enums)
	if !ok {
		fmt.Fprintf(os.Stderr, "closeout-fake: -enums %q: want documented, pascal or newer\n", *enums)
		os.Exit(2)
	}
	tenant, err := fake.LoadTenant(*tenantPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "closeout-fake:", err)
		os.Exit(2)
	}
	host, _, err := net.SplitHostPort(*listen)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(os.Stderr, "closeout-fake: -listen %s: serve on a loopback address only\n", *listen)
		os.Exit(2)
	}
	if *generate > 0 {
		tenant = fake.Generate(tenant, *generate, *seed)
	}
	tenant.Audit.Delay, tenant.Audit.Off = *auditDelay, *auditOff
	changes := tenant.Night(*night)
	srv := fake.New(tenant)
	if *throttle || *identityBudget > 0 || *exchangeBudget > 0 {
		t := fake.Throttle{IdentityUnitsPer10s: 3500, MailboxConcurrency: 4, ReportsPer10s: 5, ProtectionPer10s: 10, ExchangePer10s: 1000}
		if *identityBudget > 0 {
			t.IdentityUnitsPer10s = *identityBudget
		}
		if *exchangeBudget > 0 {
			t.ExchangePer10s = *exchangeBudget
		}
		srv.SetThrottle(t)
	}
	srv.Token = *token
	srv.Enums = spelling
	for _, f := range faultList {
		srv.AddFault(f)
	}
	srv.Latency = *latency
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "closeout-fake:", err)
		os.Exit(1)
	}
	if *night > 1 {
		fmt.Printf("night %d: %d exposures fixed, %d new since night 1\n", *night, len(changes.Fixed), len(changes.Introduced))
	}
	fmt.Printf("fake tenant %s serving Graph at http://%s\n", tenant.TenantID(), ln.Addr())
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt)
		<-stop
		ln.Close()
	}()
	if err := http.Serve(ln, srv); err != nil && !isClosed(err) {
		fmt.Fprintln(os.Stderr, "closeout-fake:", err)
		os.Exit(1)
	}
}

func isClosed(err error) bool { return err != nil && (err == http.ErrServerClosed || isNetClosed(err)) }

func isNetClosed(err error) bool {
	ne, ok := err.(*net.OpError)
	return ok && ne.Err != nil && ne.Err.Error() == "use of closed network connection"
}
