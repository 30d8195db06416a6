package exchange

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/collectors/fake"
	"github.com/closeout-dev/closeout/collectors/graph"
	"github.com/closeout-dev/closeout/policies"
	"github.com/closeout-dev/closeout/results"
	"github.com/closeout-dev/closeout/snapshot"
)

const token = "exchange-test-token"

func start(t *testing.T) *fake.Server {
	t.Helper()
	srv, _ := startTenant(t)
	return srv
}

// startTenant also returns the fixture, for tests that change it.
func startTenant(t *testing.T) (*fake.Server, *fake.Tenant) {
	t.Helper()
	tenant, err := fake.LoadTenant(filepath.Join("..", "..", "testdata", "tenants", "contoso.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := fake.New(tenant)
	srv.Token = token
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, tenant
}

// collect reads an account with Graph, then Exchange, as closeout collect does.
func collect(t *testing.T, srv *fake.Server, upn string) *snapshot.Snapshot {
	t.Helper()
	client := graph.ClientOptions{GraphURL: srv.URL(), Credential: graph.StaticToken(token), MaxRetries: 8}
	snap, err := graph.Collect(context.Background(), graph.Options{ClientOptions: client, User: upn, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Collect(context.Background(), Options{ExchangeURL: srv.URL(), Credential: graph.StaticToken(token), MaxRetries: 8}, snap); err != nil {
		t.Fatal(err)
	}
	return snap
}

func evaluate(t *testing.T, snap *snapshot.Snapshot) map[string]results.Finding {
	t.Helper()
	raw, _ := json.Marshal(snap)
	doc, err := snapshot.Parse(raw, "collected.json", 1, snapshot.DefaultLimits)
	if err != nil {
		t.Fatalf("not a valid snapshot: %v", err)
	}
	set, err := policies.Load(context.Background(), policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]results.Finding{}
	for _, f := range set.Evaluate(context.Background(), doc).Findings {
		out[f.PolicyID] = f
	}
	return out
}

func TestCompromisedMailbox(t *testing.T) {
	srv := start(t)
	snap := collect(t, srv, "bob@contoso.com")
	for _, s := range []string{"mailbox.forwarding", "mailbox.protocols", "mailbox.inboxRules", "mailbox.permissions"} {
		if c := snap.Coverage[s]; c.Status != snapshot.StatusCollected {
			t.Errorf("%s: %+v", s, c)
		}
	}
	m := snap.Mailbox
	if m.ForwardingSMTPAddress == nil || *m.ForwardingSMTPAddress != "smtp:archive-bob@evil.example" || m.DeliverToMailboxAndForward == nil || !*m.DeliverToMailboxAndForward {
		t.Errorf("forwarding = %v %v", m.ForwardingSMTPAddress, m.DeliverToMailboxAndForward)
	}
	if *m.Protocols.IMAP != true || *m.Protocols.POP != false || m.Protocols.SMTPAuth == nil || !*m.Protocols.SMTPAuth {
		t.Errorf("protocols = %+v", m.Protocols)
	}
	// The rule Graph and Exchange both list appears once; the hidden one
	// only Exchange lists is marked hidden.
	byName := map[string][]snapshot.InboxRule{}
	for _, r := range m.InboxRules {
		byName[r.Name] = append(byName[r.Name], r)
	}
	if len(m.InboxRules) != 2 || len(byName["Invoices"]) != 1 || len(byName["."]) != 1 {
		t.Fatalf("rules = %+v", m.InboxRules)
	}
	if inv := byName["Invoices"][0]; inv.Source != "both" || inv.Hidden || inv.ID != "AQAAAJ5dZqE=" || *inv.Actions.MoveToFolder != "RSS Subscriptions" {
		t.Errorf("Invoices = %+v", inv)
	}
	if dot := byName["."][0]; dot.Source != "exchange" || !dot.Hidden || !dot.Actions.Delete || strings.Join(dot.Actions.ForwardTo, ",") != "bob.backup@evil.example" {
		t.Errorf(". = %+v", dot)
	}
	if len(m.Permissions) != 1 || m.Permissions[0].Trustee != "helper@evil.example" || m.Permissions[0].AccessRights[0] != "FullAccess" {
		t.Errorf("permissions = %+v (SELF must be left out)", m.Permissions)
	}
	got := evaluate(t, snap)
	for _, id := range []string{"CO-MAIL-001", "CO-MAIL-002", "CO-RULE-001", "CO-DEL-001", "CO-PROTO-001"} {
		if got[id].Status != results.Fail {
			t.Errorf("%s: %s (%s)", id, got[id].Status, got[id].Message)
		}
	}
	// Posture mode: a hidden rule warns (it fails in incident mode).
	if got["CO-RULE-002"].Status != results.Warn {
		t.Errorf("CO-RULE-002: %s", got["CO-RULE-002"].Status)
	}
}

// A mailbox with none of it passes every mailbox policy.
func TestCleanMailboxPasses(t *testing.T) {
	srv := start(t)
	snap := collect(t, srv, "alice@contoso.com")
	got := evaluate(t, snap)
	for _, id := range []string{"CO-MAIL-001", "CO-MAIL-002", "CO-RULE-001", "CO-RULE-002", "CO-DEL-001", "CO-PROTO-001"} {
		if got[id].Status != results.Pass {
			t.Errorf("%s: %s (%s)", id, got[id].Status, got[id].Message)
		}
	}
	// Exchange's own hidden Junk E-mail rule is collected as hidden, and
	// ignored by the hidden-rule policy.
	hidden := 0
	for _, r := range snap.Mailbox.InboxRules {
		if r.Hidden {
			hidden++
		}
	}
	if hidden != 1 {
		t.Errorf("%d hidden rules, want the Junk E-mail Rule", hidden)
	}
}

func TestForbiddenNamesTheRole(t *testing.T) {
	srv := start(t)
	srv.AddFault(fake.Fault{Path: fake.SectionPaths["exchange"], Status: 403, Code: "Forbidden", Message: "The role assigned to application isn't supported in this scenario."})
	snap := collect(t, srv, "bob@contoso.com")
	for _, s := range []string{"mailbox.forwarding", "mailbox.protocols", "mailbox.inboxRules", "mailbox.permissions"} {
		if c := snap.Coverage[s]; c.Status != snapshot.StatusForbidden || !strings.Contains(c.Detail, "View-Only Recipients") {
			t.Errorf("%s: %+v", s, c)
		}
	}
	got := evaluate(t, snap)
	if got["CO-PROTO-001"].Status != results.Unknown || got["CO-MFA-001"].Status != results.Fail {
		t.Errorf("PROTO %s, MFA %s: Graph sections must still evaluate", got["CO-PROTO-001"].Status, got["CO-MFA-001"].Status)
	}
}

// Paging: every page is read; when Exchange refuses to page, the cmdlet
// runs again with -ResultSize Unlimited.
func TestPagingAndUnlimitedFallback(t *testing.T) {
	srv := start(t)
	srv.PageSize = 1
	snap := collect(t, srv, "bob@contoso.com")
	if len(snap.Mailbox.InboxRules) != 2 || len(snap.Mailbox.Permissions) != 1 {
		t.Fatalf("paged: %d rules, %d permissions", len(snap.Mailbox.InboxRules), len(snap.Mailbox.Permissions))
	}
	srv2 := start(t)
	srv2.PageSize = 1
	srv2.AddFault(fake.Fault{Path: fake.SectionPaths["exchange.Get-InboxRule"], Status: 400, Code: "BadRequest", Message: "Expired or Invalid pagination request. Default Expiry time is 00:30:00", Times: 1})
	snap = collect(t, srv2, "bob@contoso.com")
	if c := snap.Coverage["mailbox.inboxRules"]; c.Status != snapshot.StatusCollected || len(snap.Mailbox.InboxRules) != 2 {
		t.Errorf("after pagination refusal: %+v, %d rules", c, len(snap.Mailbox.InboxRules))
	}
	unlimited := false
	for _, r := range srv2.Requests() {
		if r.Path == "/adminapi/Get-InboxRule" && r.Status == 200 {
			unlimited = true
		}
	}
	if !unlimited {
		t.Error("no successful Get-InboxRule after the refusal")
	}
}

func TestThrottledCmdletsAreRetried(t *testing.T) {
	srv := start(t)
	srv.AddFault(fake.Fault{Path: fake.SectionPaths["exchange"], Status: 429, Code: "TooManyRequests", Message: "throttled", RetryAfter: 1, Times: 3})
	start := time.Now()
	snap := collect(t, srv, "bob@contoso.com")
	for _, s := range []string{"mailbox.forwarding", "mailbox.protocols", "mailbox.inboxRules", "mailbox.permissions"} {
		if c := snap.Coverage[s]; c.Status != snapshot.StatusCollected {
			t.Errorf("%s: %+v", s, c)
		}
	}
	// The cmdlets run side by side, so three throttled ones wait their
	// second together.
	if time.Since(start) < time.Second {
		t.Error("Retry-After was not honoured")
	}
}

// Exchange's warnings reach the coverage detail; the ResultSize fallback is
// one of them.
func TestWarningsAreSurfaced(t *testing.T) {
	srv := start(t)
	srv.PageSize = 1
	srv.AddFault(fake.Fault{Path: fake.SectionPaths["exchange.Get-InboxRule"], Status: 400, Code: "BadRequest", Message: "Expired or Invalid pagination request", Times: 1})
	snap := collect(t, srv, "bob@contoso.com")
	if d := snap.Coverage["mailbox.inboxRules"].Detail; !strings.Contains(d, "Exchange warned: Get-InboxRule: paging was refused") {
		t.Errorf("detail = %q", d)
	}
}

// An outbound spam policy that allows automatic external forwarding fails
// CO-TEN-003 once collected; Microsoft's Automatic does not.
func TestTenantExternalForwarding(t *testing.T) {
	srv, tenant := startTenant(t)
	tenantStatus := func() results.Status {
		client := graph.ClientOptions{GraphURL: srv.URL(), Credential: graph.StaticToken(token)}
		doc, err := graph.CollectTenant(context.Background(), graph.Options{ClientOptions: client})
		if err != nil {
			t.Fatal(err)
		}
		if err := CollectTenant(context.Background(), Options{ExchangeURL: srv.URL(), Credential: graph.StaticToken(token)}, doc); err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(doc)
		parsed, err := snapshot.Parse(raw, "tenant.json", 1, snapshot.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		set, _ := policies.Load(context.Background(), policies.Options{})
		for _, f := range set.Evaluate(context.Background(), parsed).Findings {
			if f.PolicyID == "CO-TEN-003" {
				return f.Status
			}
		}
		return ""
	}
	if got := tenantStatus(); got != results.Pass {
		t.Errorf("Automatic: %s", got)
	}
	tenant.ExchangeOrganization["Get-HostedOutboundSpamFilterPolicy"][0]["AutoForwardingMode"] = "On"
	if got := tenantStatus(); got != results.Fail {
		t.Errorf("On: %s", got)
	}
}

func TestRightsSplitJoinedStrings(t *testing.T) {
	got := rights([]any{"FullAccess, ReadPermission", "SendAs"})
	if strings.Join(got, "|") != "FullAccess|ReadPermission|SendAs" {
		t.Errorf("rights = %v", got)
	}
}
