package collectors

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/collectors/exchange"
	"github.com/closeout-dev/closeout/collectors/fake"
	"github.com/closeout-dev/closeout/collectors/graph"
	"github.com/closeout-dev/closeout/policies"
	"github.com/closeout-dev/closeout/results"
	"github.com/closeout-dev/closeout/snapshot"
)

const token = "account-test-token"

func startFake(t testing.TB) *fake.Server {
	t.Helper()
	tenant, err := fake.LoadTenant(filepath.Join("..", "testdata", "tenants", "contoso.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := fake.New(tenant)
	srv.Token = token
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func collect(t testing.TB, srv *fake.Server, upn string) *snapshot.Snapshot {
	t.Helper()
	client := graph.ClientOptions{GraphURL: srv.URL(), Credential: graph.StaticToken(token), MaxRetries: 3}
	incident := &snapshot.Incident{ID: "INC-1", WindowStart: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC),
		Indicators: snapshot.Indicators{IPs: []string{}, Domains: []string{}}}
	snap, err := Account(context.Background(), graph.Options{ClientOptions: client, User: upn, Incident: incident, Version: "test"},
		&exchange.Options{ExchangeURL: srv.URL(), Credential: graph.StaticToken(token)})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// perAccount are the reads whose cost does not grow with the tenant: one
// object by id, one account's relations, a report or a list filtered to
// the account (or to one app), the organization, and $batch itself.
var perAccount = []struct {
	path   *regexp.Regexp
	filter *regexp.Regexp // nil: no $filter allowed
}{
	{regexp.MustCompile(`^/\$batch$`), nil},
	{regexp.MustCompile(`^/organization$`), nil},
	{regexp.MustCompile(`^/users/[^/]+(/.+)?$`), nil},
	{regexp.MustCompile(`^/reports/authenticationMethods/userRegistrationDetails/[^/]+$`), nil},
	{regexp.MustCompile(`^/identityProtection/riskyUsers$`), regexp.MustCompile(`^id eq '[^']+'$`)},
	{regexp.MustCompile(`^/servicePrincipals/[^/]+$`), nil},
	{regexp.MustCompile(`^/devices/[^/]+$`), nil},
	{regexp.MustCompile(`^/oauth2PermissionGrants$`), regexp.MustCompile(`^clientId eq '[^']+' and `)},
	{regexp.MustCompile(`^/auditLogs/signIns$`), regexp.MustCompile(`^userId eq '[^']+' and `)},
	{regexp.MustCompile(`^/roleManagement/directory/(roleEligibilityScheduleInstances|roleAssignments)$`), regexp.MustCompile(`^principalId eq '[^']+'$`)},
	{regexp.MustCompile(`^/auditLogs/directoryAudits$`), regexp.MustCompile(`^(targetResources/any\(t:t/id eq '[^']+'\)|initiatedBy/user/id eq '[^']+') and `)},
	{regexp.MustCompile(`^/adminapi/Get-(Mailbox|CASMailbox|InboxRule|MailboxPermission|RecipientPermission|MailboxAuditBypassAssociation)$`), nil},
	// The organisation's settings, whose size does not grow with the
	// accounts: its domains and connectors.
	{regexp.MustCompile(`^/adminapi/Get-(AcceptedDomain|InboundConnector|OutboundConnector)$`), nil},
	{regexp.MustCompile(`^/adminapi/Get-(BlockedSenderAddress|Recipient)$`), nil},
}

// cmdletScope are the parameters that keep a cmdlet to the account (or to
// the recipients it names); without them it lists the tenant.
var cmdletScope = map[string]string{
	"/adminapi/Get-Mailbox": "Identity", "/adminapi/Get-CASMailbox": "Identity", "/adminapi/Get-InboxRule": "Mailbox",
	"/adminapi/Get-MailboxPermission": "Identity", "/adminapi/Get-RecipientPermission": "Identity",
	"/adminapi/Get-MailboxAuditBypassAssociation": "Identity", "/adminapi/Get-BlockedSenderAddress": "SenderAddress",
	"/adminapi/Get-Recipient": "Filter",
}

// Collecting one account makes no request whose cost grows with the
// tenant, and no identical request twice.
func TestOneAccountCostsWhatItIs(t *testing.T) {
	srv := startFake(t)
	snap := collect(t, srv, "bob@contoso.com")
	for section, c := range snap.Coverage {
		if c.Status == snapshot.StatusError {
			t.Errorf("%s: %+v", section, c)
		}
	}
	seen := map[string]bool{}
	http, steps := 0, 0
	for _, r := range srv.Requests() {
		if r.InBatch {
			steps++
		} else {
			http++
		}
		ok := false
		for _, p := range perAccount {
			if !p.path.MatchString(r.Path) {
				continue
			}
			filter := r.Query.Get("$filter")
			if (p.filter == nil && filter == "") || (p.filter != nil && p.filter.MatchString(filter)) {
				ok = true
			}
		}
		if param, scoped := cmdletScope[r.Path]; scoped && r.Params[param] == nil {
			ok = false
		}
		if !ok {
			t.Errorf("%s %s?%s %v: a read whose cost grows with the tenant", r.Method, r.Path, r.Query.Encode(), r.Params)
		}
		key := r.Method + " " + r.Path + "?" + r.Query.Encode()
		if seen[key] && !strings.HasPrefix(r.Path, "/adminapi/") && r.Path != "/$batch" {
			t.Errorf("%s: requested twice", key)
		}
		seen[key] = true
	}
	t.Logf("one account: %d HTTP requests (%d Graph reads inside $batch)", http, steps)
}

// Every Graph read asks only for the fields the snapshot uses.
func TestEveryGraphReadSelects(t *testing.T) {
	srv := startFake(t)
	collect(t, srv, "bob@contoso.com")
	for _, r := range srv.Requests() {
		if r.Path == "/$batch" || strings.HasPrefix(r.Path, "/adminapi/") || r.Query.Get("$skiptoken") != "" {
			continue
		}
		// Authentication methods are polymorphic: each type has its own
		// fields, and Graph does not take $select across them.
		if strings.HasSuffix(r.Path, "/authentication/methods") {
			continue
		}
		if r.Query.Get("$select") == "" {
			t.Errorf("GET %s?%s has no $select", r.Path, r.Query.Encode())
		}
	}
}

// A device registered in the window is found through the audits that name
// the account, and read by id.
func TestDevicesFromAudits(t *testing.T) {
	tenant, err := fake.LoadTenant(filepath.Join("..", "testdata", "tenants", "contoso.json"))
	if err != nil {
		t.Fatal(err)
	}
	bob := "b0b00000-0000-4000-8000-0000000000b0"
	tenant.Devices = append(tenant.Devices, map[string]any{"id": "d0000000-0000-4000-8000-0000000000e9", "displayName": "EVIL-PC",
		"operatingSystem": "Windows", "trustType": "Workplace", "registrationDateTime": "2026-11-20T09:10:00Z", "isCompliant": false})
	tenant.DirectoryAudits = append(tenant.DirectoryAudits, map[string]any{
		"id": "Directory_dev1", "category": "Device", "result": "success", "activityDisplayName": "Register device",
		"activityDateTime": "2026-11-20T09:10:00Z",
		"initiatedBy":      map[string]any{"user": map[string]any{"id": bob, "userPrincipalName": "bob@contoso.com"}},
		"targetResources": []any{
			map[string]any{"id": "d0000000-0000-4000-8000-0000000000e9", "type": "Device", "modifiedProperties": []any{}},
			map[string]any{"id": bob, "type": "User", "modifiedProperties": []any{}},
		},
	})
	srv := fake.New(tenant)
	srv.Token = token
	srv.Start()
	defer srv.Close()
	snap := collect(t, srv, "bob@contoso.com")
	if len(snap.Devices) != 1 || snap.Devices[0].DisplayName != "EVIL-PC" {
		t.Fatalf("devices = %+v", snap.Devices)
	}
	if c := snap.Coverage["devices"]; c.Status != snapshot.StatusCollected || !strings.Contains(c.Detail, "directory audits (1)") {
		t.Errorf("coverage = %+v", c)
	}
	for _, r := range srv.Requests() {
		if r.Path == "/devices" {
			t.Errorf("the tenant's device list was read: %s?%s", r.Path, r.Query.Encode())
		}
	}
}

// BenchmarkAccountRoundTrips collects one account with Graph and Exchange
// from the fake tenant at 0 ms and at 100 ms per request, and reports the
// round trips the latency adds: (wall at 100 ms − wall at 0 ms) / 100 ms.
// make bench-verify runs it.
func BenchmarkAccountRoundTrips(b *testing.B) {
	// bob: the compromised account; ivan: every recipient to resolve,
	// application credentials to read in round 3.
	for _, upn := range []string{"bob@contoso.com", "ivan@contoso.com"} {
		b.Run(strings.TrimSuffix(upn, "@contoso.com"), func(b *testing.B) { roundTrips(b, upn) })
	}
}

func roundTrips(b *testing.B, upn string) {
	const latency = 100 * time.Millisecond
	wall := map[time.Duration]time.Duration{}
	for _, l := range []time.Duration{0, latency} {
		srv := startFake(b)
		srv.Latency = l
		collect(b, srv, upn) // warm the connections
		start := time.Now()
		for range b.N {
			collect(b, srv, upn)
		}
		wall[l] = time.Since(start) / time.Duration(b.N)
		requests := 0
		for _, r := range srv.Requests() {
			if !r.InBatch {
				requests++
			}
		}
		b.ReportMetric(float64(requests)/float64(b.N+1), fmt.Sprintf("requests/account@%s", l))
	}
	extra := float64(wall[latency]-wall[0]) / float64(latency)
	b.ReportMetric(wall[0].Seconds()*1000, "ms@0ms")
	b.ReportMetric(wall[latency].Seconds()*1000, "ms@100ms")
	b.ReportMetric(extra, "extra-round-trips")
	fmt.Printf("%s, Graph and Exchange: %s at 0 ms, %s at 100 ms per request: %.1f extra round trips\n",
		upn, wall[0].Round(time.Millisecond), wall[latency].Round(time.Millisecond), extra)
}

// On a generated tenant, verify's collection finds each secret added to an
// application the account owns during the window, and passes an owner
// whose credentials are old.
func TestVerifyFindsApplicationSecretsOnAGeneratedTenant(t *testing.T) {
	base, err := fake.LoadTenant(filepath.Join("..", "testdata", "tenants", "contoso.json"))
	if err != nil {
		t.Fatal(err)
	}
	tenant := fake.Generate(base, 400, 3)
	srv := fake.New(tenant)
	srv.Token = token
	srv.Start()
	defer srv.Close()
	set, err := policies.Load(context.Background(), policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]bool{}
	for _, u := range tenant.Users {
		if len(tenant.OwnedObjects[u["id"].(string)]) > 0 {
			owners[u["userPrincipalName"].(string)] = true
		}
	}
	if len(tenant.Truth["CO-APP-004"]) == 0 || len(owners) == len(tenant.Truth["CO-APP-004"]) {
		t.Fatalf("%d owners, %d with a new secret: the generated tenant has no case to tell apart", len(owners), len(tenant.Truth["CO-APP-004"]))
	}
	for upn := range owners {
		raw, err := json.Marshal(collect(t, srv, upn))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := snapshot.Parse(raw, upn, 1, snapshot.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		want := results.Pass
		if tenant.Truth["CO-APP-004"][upn] {
			want = results.Fail
		}
		for _, f := range set.Evaluate(context.Background(), doc).Findings {
			if f.PolicyID == "CO-APP-004" && f.Status != want {
				t.Errorf("%s: CO-APP-004 %s (%s), want %s", upn, f.Status, f.Message, want)
			}
		}
	}
}
