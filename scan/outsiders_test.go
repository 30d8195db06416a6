package scan

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/closeout-dev/closeout/collectors/exchange"
	"github.com/closeout-dev/closeout/collectors/graph"
	"github.com/closeout-dev/closeout/policies"
	"github.com/closeout-dev/closeout/results"
	"github.com/closeout-dev/closeout/snapshot"
)

// On a generated tenant a scan finds every outsider the generator hid
// (mail contacts picked from the address book or named in
// ForwardingAddress, guests with FullAccess, mail users with a tenant
// address holding SendOnBehalf), every restricted sender and every audit
// bypass, and not one decoy (colleagues picked from the address book,
// colleagues as delegates, contacts nobody forwards to, accounts Identity
// Protection never flagged, roles only eligible), from the tenant-wide
// lists and few Get-Recipient calls.
func TestScanFindsOutsidersAndNoDecoy(t *testing.T) {
	srv, tenant := generated(t, 600)
	dir := t.TempDir()
	opts := options(srv, dir)
	set, err := policies.Load(context.Background(), policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts.Sections = set.Requires(snapshot.ModePosture)
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	failing := map[string]map[string]bool{}
	for _, d := range readSnapshots(t, dir) {
		for _, f := range set.Evaluate(context.Background(), d).Findings {
			switch f.Status {
			case results.Fail:
				if failing[f.PolicyID] == nil {
					failing[f.PolicyID] = map[string]bool{}
				}
				failing[f.PolicyID][f.Subject] = true
			case results.Unknown, results.Error:
				t.Errorf("%s %s: %s %s", f.Subject, f.PolicyID, f.Status, f.Message)
			}
		}
	}
	for _, id := range []string{"CO-MAIL-001", "CO-MAIL-002", "CO-DEL-001", "CO-MAIL-004", "CO-AUD-001"} {
		want, got := tenant.Truth[id], failing[id]
		if len(want) == 0 {
			t.Errorf("%s: the generated tenant has no exposure of this kind", id)
		}
		missed, extra := diff(want, got), diff(got, want)
		if len(missed) > 0 || len(extra) > 0 {
			t.Errorf("%s: missed %v, false alarms %v (%d expected)", id, missed, extra, len(want))
		}
	}
	if len(failing["CO-RISK-001"]) == 0 {
		t.Error("no risk found: the generated tenant has some")
	}
	decoys := 0
	for _, mb := range tenant.Exchange {
		for _, r := range mb.InboxRules {
			if r["Name"] == "Cover for me" {
				decoys++
			}
		}
	}
	if decoys == 0 || len(tenant.RoleEligibilities) == 0 {
		t.Errorf("the generated tenant has %d decoy rules and %d eligible roles: nothing to be quiet about", decoys, len(tenant.RoleEligibilities))
	}
	asked := 0
	for _, r := range srv.Requests() {
		if r.Path == "/adminapi/Get-Recipient" && r.Params["Filter"] != nil {
			asked++
		}
	}
	t.Logf("Get-Recipient asked %d times for %d accounts", asked, len(members(tenant)))
	if asked > len(members(tenant))/10 {
		t.Errorf("Get-Recipient asked %d times: the tenant's list should settle most recipients", asked)
	}
}

// The tenant's own settings: the attacker's outbound connector fails, the
// partner the operator vouches for does not.
func TestTenantConnectorsOnAGeneratedTenant(t *testing.T) {
	srv, _ := generated(t, 20)
	client := graph.ClientOptions{GraphURL: srv.URL(), Credential: graph.StaticToken(token)}
	doc, err := graph.CollectTenant(context.Background(), graph.Options{ClientOptions: client, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := exchange.CollectTenant(context.Background(), exchange.Options{ExchangeURL: srv.URL(), Credential: graph.StaticToken(token)}, doc); err != nil {
		t.Fatal(err)
	}
	doc.KnownPartners = &snapshot.KnownPartners{Connectors: []snapshot.KnownConnector{{Name: "Fabrikam invoices",
		SmartHosts: []string{"smtp.fabrikam.example"}, Justification: "invoices", ApprovedBy: "ciso@contoso.com"}}}
	raw, _ := json.Marshal(doc)
	parsed, err := snapshot.Parse(raw, "tenant.json", 1, snapshot.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	set, err := policies.Load(context.Background(), policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range set.Evaluate(context.Background(), parsed).Findings {
		if f.PolicyID != "CO-TEN-010" {
			continue
		}
		if f.Status != results.Fail || !strings.Contains(f.Message, `"Mail archive"`) || strings.Contains(f.Message, "Fabrikam") {
			t.Errorf("CO-TEN-010: %s %s", f.Status, f.Message)
		}
		return
	}
	t.Error("CO-TEN-010 did not run")
}

func diff(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
