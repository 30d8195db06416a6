package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/collectors/fake"
	"github.com/closeout-dev/closeout/collectors/safehttp"
	"github.com/closeout-dev/closeout/snapshot"
)

const testToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.c2VjcmV0LXRlc3QtdG9rZW4.c2lnbmF0dXJl"

func startFake(t *testing.T) *fake.Server {
	t.Helper()
	tenant, err := fake.LoadTenant(filepath.Join("..", "..", "testdata", "tenants", "contoso.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := fake.New(tenant)
	srv.Token = testToken
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func incident() *snapshot.Incident {
	detected := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	return &snapshot.Incident{ID: "INC-4711", WindowStart: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC), DetectedAt: &detected,
		Indicators: snapshot.Indicators{IPs: []string{"203.0.113.7"}, Domains: []string{"evil.example"}}}
}

func options(srv *fake.Server, user string) Options {
	return Options{
		ClientOptions: ClientOptions{GraphURL: srv.URL(), Credential: StaticToken(testToken), MaxRetries: 3, RequestTimeout: 10 * time.Second,
			RetryDelay: quickRetries},
		User:     user,
		Incident: incident(),
		Version:  "test",
		Now:      func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) },
	}
}

// quickRetries waits a hundredth of what Retry-After or the back-off
// would: the tests' retries come back at once.
func quickRetries(retryAfter string, retry int) time.Duration {
	return safehttp.RetryDelay(retryAfter, retry) / 100
}

// validate runs the snapshot through the contract, as check will.
func validate(t *testing.T, snap *snapshot.Snapshot) *snapshot.Document {
	t.Helper()
	raw, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := snapshot.Parse(raw, "collected.json", 1, snapshot.DefaultLimits)
	if err != nil {
		t.Fatalf("collected snapshot is not valid: %v", err)
	}
	return doc
}

// Every section, parsed by the real SDK from responses shaped like
// Microsoft's documented examples.
func TestCollectEverySection(t *testing.T) {
	srv := startFake(t)
	snap, err := Collect(context.Background(), options(srv, "bob@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	validate(t, snap)
	if snap.Tenant.ID != "6f1c2d3e-0000-4000-8000-0000000c0a50" || snap.Tenant.DefaultDomain != "contoso.com" || len(snap.Tenant.Domains) != 2 {
		t.Errorf("tenant = %+v", snap.Tenant)
	}
	u := snap.User
	if u.ID != "b0b00000-0000-4000-8000-0000000000b0" || u.SignInSessionsValidFromDateTime == nil || u.LastPasswordChangeDateTime == nil || u.AccountEnabled == nil || !*u.AccountEnabled {
		t.Errorf("user = %+v", u)
	}
	types := map[string]snapshot.AuthMethod{}
	for _, m := range snap.AuthMethods {
		types[m.Type] = m
	}
	if p := types["phone"]; p.PhoneNumber == nil || *p.PhoneNumber != "+1 2065550199" || p.PhoneType == nil || *p.PhoneType != "mobile" {
		t.Errorf("phone method = %+v", p)
	}
	if _, ok := types["password"]; !ok || len(snap.AuthMethods) != 2 {
		t.Errorf("methods = %+v", snap.AuthMethods)
	}
	if snap.Registration == nil || !snap.Registration.IsMfaRegistered || strings.Join(snap.Registration.MethodsRegistered, ",") != "mobilePhone" {
		t.Errorf("registration = %+v", snap.Registration)
	}
	if snap.Risk == nil || *snap.Risk.RiskState != "atRisk" || *snap.Risk.RiskLevel != "high" {
		t.Errorf("risk = %+v", snap.Risk)
	}
	// The user's own grant; the tenant-wide Teams grant predates the window
	// (no consent audit names it), so one account's read does not list it.
	if len(snap.OAuthGrants) != 1 {
		t.Fatalf("grants = %+v", snap.OAuthGrants)
	}
	for _, g := range snap.OAuthGrants {
		switch g.AppDisplayName {
		case "Mail Backup Pro":
			if g.ConsentType != "Principal" || strings.Join(g.Scopes, " ") != "Mail.ReadWrite offline_access User.Read" || g.VerifiedPublisher != nil ||
				g.GrantedDateTime == nil || !g.GrantedDateTime.Equal(time.Date(2026, 11, 20, 8, 55, 0, 0, time.UTC)) {
				t.Errorf("attacker grant = %+v", g)
			}
		case "Microsoft Teams":
			if g.ConsentType != "AllPrincipals" || g.PublisherTenantID == nil || *g.PublisherTenantID != "f8cdef31-a31e-4b4a-93e4-5f571e91255a" {
				t.Errorf("tenant-wide grant = %+v", g)
			}
		default:
			t.Errorf("unexpected grant %+v", g)
		}
	}
	// BOB-LAPTOP was registered in 2024: no audit of the window names it.
	if len(snap.Devices) != 0 || !strings.Contains(snap.Coverage["devices"].Detail, "directory audits") {
		t.Errorf("devices = %+v, coverage %+v", snap.Devices, snap.Coverage["devices"])
	}
	if snap.Mailbox == nil || len(snap.Mailbox.InboxRules) != 1 {
		t.Fatalf("mailbox = %+v", snap.Mailbox)
	}
	rule := snap.Mailbox.InboxRules[0]
	if rule.Name != "Invoices" || !rule.Enabled || rule.Actions.MoveToFolder == nil || *rule.Actions.MoveToFolder != "RSS Subscriptions" ||
		strings.Join(rule.Actions.RedirectTo, ",") != "collector@evil.example" || !rule.Actions.MarkAsRead {
		t.Errorf("rule = %+v", rule)
	}
	if snap.Mailbox.AutoReply == nil || deref(snap.Mailbox.AutoReply.Status) != "disabled" {
		t.Errorf("auto reply = %+v", snap.Mailbox.AutoReply)
	}
	if len(snap.SignIns) != 2 || snap.SignIns[0].IPAddress != "203.0.113.7" || snap.SignIns[0].CountryOrRegion != "RU" || snap.SignIns[0].ClientAppUsed != "IMAP4" {
		t.Errorf("sign-ins = %+v", snap.SignIns)
	}
	if len(snap.Audits) != 2 || snap.Audits[0].ActivityDisplayName != "User registered security info" || snap.Audits[0].InitiatedBy != "bob@contoso.com" {
		t.Errorf("audits = %+v", snap.Audits)
	}
	for _, section := range []string{"user", "authMethods", "registration", "roles", "risk", "oauthGrants", "appRoleAssignments", "devices", "mailbox.autoReply", "signIns", "audits"} {
		if c := snap.Coverage[section]; c.Status != snapshot.StatusCollected {
			t.Errorf("coverage %s = %+v", section, c)
		}
	}
	// Graph does not see hidden rules or FullAccess/SendAs: those sections
	// are never called complete from Graph alone.
	for _, section := range []string{"mailbox.inboxRules", "mailbox.permissions", "mailbox.forwarding", "mailbox.protocols"} {
		if c := snap.Coverage[section]; c.Status == snapshot.StatusCollected || c.Detail == "" {
			t.Errorf("coverage %s = %+v; Graph alone cannot complete it", section, c)
		}
	}
	for _, r := range srv.Requests() {
		if r.Authorization != "Bearer "+testToken {
			t.Errorf("%s %s sent without the token", r.Method, r.Path)
		}
	}
}

func TestCollectClassifiesSectionErrors(t *testing.T) {
	srv := startFake(t)
	srv.AddFault(fake.Forbidden("authMethods"))
	srv.AddFault(fake.Unlicensed("signIns"))
	srv.AddFault(fake.Fault{Path: fake.SectionPaths["roles"], Status: 500, Code: "UnknownError", Message: "boom"})
	snap, err := Collect(context.Background(), options(srv, "bob@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	validate(t, snap)
	want := map[string]string{"authMethods": snapshot.StatusForbidden, "signIns": snapshot.StatusUnlicensed, "roles": snapshot.StatusError, "risk": snapshot.StatusCollected}
	for section, status := range want {
		if got := snap.Coverage[section]; got.Status != status {
			t.Errorf("%s: %+v, want %s", section, got, status)
		}
	}
	if d := snap.Coverage["authMethods"].Detail; !strings.Contains(d, "UserAuthenticationMethod.Read.All") {
		t.Errorf("forbidden detail does not name the permission: %q", d)
	}
	if len(snap.AuthMethods) != 0 || len(snap.SignIns) != 0 {
		t.Error("a refused section left data behind")
	}
}

// A body over the cap fails its section as error, naming the limit; the
// other sections are still collected.
func TestCollectCapsResponseBodies(t *testing.T) {
	srv := startFake(t)
	// The second page of the methods comes on its own, 3 MiB long.
	srv.PageSize = 1
	srv.AddFault(fake.Fault{Path: fake.SectionPaths["authMethods"], Pad: 3 << 20})
	opts := options(srv, "bob@contoso.com")
	opts.MaxBody = 1 << 20
	snap, err := Collect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, snap)
	if c := snap.Coverage["authMethods"]; c.Status != snapshot.StatusError || !strings.Contains(c.Detail, "size limit") {
		t.Errorf("authMethods coverage = %+v, want error naming the size limit", c)
	}
	if c := snap.Coverage["risk"]; c.Status != snapshot.StatusCollected {
		t.Errorf("risk coverage = %+v", c)
	}
}

func TestCollectFollowsEveryPage(t *testing.T) {
	srv := startFake(t)
	srv.PageSize = 1 // every collection spans several pages
	snap, err := Collect(context.Background(), options(srv, "bob@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.SignIns) != 2 || len(snap.AuthMethods) != 2 || len(snap.OAuthGrants) != 1 || len(snap.Audits) != 2 {
		t.Errorf("pages dropped: %d sign-ins, %d methods, %d grants, %d audits", len(snap.SignIns), len(snap.AuthMethods), len(snap.OAuthGrants), len(snap.Audits))
	}
	pages := 0
	for _, r := range srv.Requests() {
		if r.Query.Get("$skiptoken") != "" {
			pages++
		}
	}
	if pages < 2 {
		t.Errorf("%d next pages read, want at least 2 (methods, audits)", pages)
	}
}

func TestCollectSurvivesThrottling(t *testing.T) {
	srv := startFake(t)
	// A storm: the first six requests, whatever they are, are throttled.
	srv.AddFault(fake.Fault{Path: `.`, Status: 429, Code: "TooManyRequests", Message: "Too many requests", RetryAfter: 1, Times: 6})
	start := time.Now()
	opts := options(srv, "bob@contoso.com")
	opts.MaxRetries = 8
	opts.RetryDelay = safehttp.RetryDelay // Retry-After, as the service says
	snap, err := Collect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, snap)
	for section, c := range snap.Coverage {
		if c.Status == snapshot.StatusError {
			t.Errorf("%s failed under throttling: %s", section, c.Detail)
		}
	}
	if throttled := countStatus(srv, 429); throttled != 6 {
		t.Errorf("%d throttled answers, want 6", throttled)
	}
	if time.Since(start) < time.Second {
		t.Error("Retry-After was not honoured")
	}
}

func TestCollectFatalErrors(t *testing.T) {
	srv := startFake(t)
	cases := []struct {
		name string
		opts func(Options) Options
		want string
	}{
		{"bad token", func(o Options) Options { o.Credential = StaticToken("wrong"); return o }, "credentials were refused"},
		{"no such user", func(o Options) Options { o.User = "nobody@contoso.com"; return o }, "no such user"},
		{"unreachable", func(o Options) Options { o.GraphURL = "http://127.0.0.1:1"; return o }, "could not be reached"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Collect(context.Background(), tc.opts(options(srv, "bob@contoso.com")))
			var ce *CollectionError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a CollectionError saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "wrong") && tc.name == "bad token" && strings.Contains(err.Error(), "Bearer") {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

// The token reaches the server and nothing else: not the snapshot, not the
// debug log, not an error.
func TestTokenNeverLeaks(t *testing.T) {
	srv := startFake(t)
	srv.AddFault(fake.Forbidden("risk"))
	var debug bytes.Buffer
	opts := options(srv, "bob@contoso.com")
	opts.Debug = &debug
	snap, err := Collect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(snap)
	for name, text := range map[string]string{"snapshot": string(raw), "debug": debug.String()} {
		if strings.Contains(text, testToken) || strings.Contains(text, "c2VjcmV0LXRlc3QtdG9rZW4") {
			t.Errorf("the token appears in the %s", name)
		}
	}
	if !strings.Contains(debug.String(), "GET ") || !strings.Contains(debug.String(), "403") {
		t.Errorf("debug log is empty or lacks statuses:\n%s", debug.String())
	}
}

// A truncated body and a dropped connection are retried once; the section
// is collected.
func TestCollectRecoversFromBrokenConnections(t *testing.T) {
	srv := startFake(t)
	srv.AddFault(fake.Fault{Path: fake.SectionPaths["authMethods"], Truncate: true, Times: 1})
	srv.AddFault(fake.Fault{Path: fake.SectionPaths["signIns"], Drop: true, Times: 1})
	snap, err := Collect(context.Background(), options(srv, "bob@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	for _, section := range []string{"authMethods", "signIns"} {
		if c := snap.Coverage[section]; c.Status != snapshot.StatusCollected {
			t.Errorf("%s: %+v", section, c)
		}
	}
	if len(snap.AuthMethods) != 2 || len(snap.SignIns) != 2 {
		t.Errorf("after retry: %d methods, %d sign-ins", len(snap.AuthMethods), len(snap.SignIns))
	}
	// Broken twice in a row: recorded as an error, never as empty.
	srv.ClearFaults()
	srv.AddFault(fake.Fault{Path: fake.SectionPaths["authMethods"], Drop: true})
	snap, err = Collect(context.Background(), options(srv, "bob@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	if c := snap.Coverage["authMethods"]; c.Status != snapshot.StatusError {
		t.Errorf("authMethods after repeated drops: %+v", c)
	}
}

// Under the throttle model (identity units, Outlook's per-mailbox
// concurrency, the reports budget) the collection completes by honouring
// Retry-After.
func TestCollectUnderThrottleModel(t *testing.T) {
	srv := startFake(t)
	srv.SetThrottle(fake.Throttle{IdentityUnitsPer10s: 12, MailboxConcurrency: 1, ReportsPer10s: 2, Window: time.Second})
	opts := options(srv, "bob@contoso.com")
	opts.MaxRetries = 10
	opts.RetryDelay = safehttp.RetryDelay // the model's windows are real time
	snap, err := Collect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for section, c := range snap.Coverage {
		if c.Status == snapshot.StatusError {
			t.Errorf("%s: %s", section, c.Detail)
		}
	}
	throttled := countStatus(srv, 429)
	if throttled == 0 {
		t.Error("the throttle model never throttled: the test proves nothing")
	}
	t.Logf("%d requests throttled and retried", throttled)
}

// countStatus counts the fake's answers with a status.
func countStatus(srv *fake.Server, status int) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Status == status {
			n++
		}
	}
	return n
}

func TestCollectTenant(t *testing.T) {
	srv := startFake(t)
	doc, err := CollectTenant(context.Background(), options(srv, ""))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(doc)
	if _, err := snapshot.Parse(raw, "tenant.json", 1, snapshot.DefaultLimits); err != nil {
		t.Fatalf("not a valid tenant document: %v", err)
	}
	if doc.SecurityDefaults == nil || *doc.SecurityDefaults.IsEnabled {
		t.Errorf("security defaults = %+v", doc.SecurityDefaults)
	}
	if len(doc.ConditionalAccess) != 2 {
		t.Fatalf("conditional access = %+v", doc.ConditionalAccess)
	}
	mfa, legacy := doc.ConditionalAccess[0], doc.ConditionalAccess[1]
	if mfa.State != "enabled" || mfa.AuthenticationStrength == nil || *mfa.AuthenticationStrength != "Multifactor authentication" || mfa.IncludeUsers[0] != "All" {
		t.Errorf("MFA policy = %+v", mfa)
	}
	if legacy.State != "enabledForReportingButNotEnforced" || strings.Join(legacy.ClientAppTypes, ",") != "exchangeActiveSync,other" || legacy.BuiltInControls[0] != "block" {
		t.Errorf("legacy policy = %+v", legacy)
	}
	if doc.AuthorizationPolicy == nil || !strings.HasSuffix(doc.AuthorizationPolicy.PermissionGrantPoliciesAssigned[0], "legacy") {
		t.Errorf("authorization policy = %+v", doc.AuthorizationPolicy)
	}
	if doc.AuthMethodsPolicy == nil || len(doc.AuthMethodsPolicy.Methods) != 3 || doc.AuthMethodsPolicy.Methods[0].ID != "Sms" || doc.AuthMethodsPolicy.Methods[0].State != "enabled" {
		t.Errorf("methods policy = %+v", doc.AuthMethodsPolicy)
	}
	srv.AddFault(fake.Unlicensed("conditionalAccess"))
	doc, err = CollectTenant(context.Background(), options(srv, ""))
	if err != nil {
		t.Fatal(err)
	}
	if c := doc.Coverage["conditionalAccess"]; c.Status != snapshot.StatusUnlicensed || doc.Coverage["securityDefaults"].Status != snapshot.StatusCollected {
		t.Errorf("coverage = %+v", doc.Coverage)
	}
}

// Every enum the collector reads, spelled PascalCase as some of Microsoft's
// documented examples do, gives the same snapshot as the documented
// spelling; spelled as a value newer than the SDK, it fails its section,
// naming the field and the value, and is never read as a default.
func TestEnumSpellings(t *testing.T) {
	collectWith := func(spelling fake.EnumSpelling) (*snapshot.Snapshot, *snapshot.TenantSettings) {
		srv := startFake(t)
		srv.Enums = spelling
		snap, err := Collect(context.Background(), options(srv, "bob@contoso.com"))
		if err != nil {
			t.Fatal(err)
		}
		validate(t, snap)
		doc, err := CollectTenant(context.Background(), options(srv, ""))
		if err != nil {
			t.Fatal(err)
		}
		return snap, doc
	}
	asJSON := func(v any) string { b, _ := json.MarshalIndent(v, "", " "); return string(b) }
	docSnap, docTenant := collectWith(fake.EnumsAsDocumented)
	pascalSnap, pascalTenant := collectWith(fake.EnumsPascalCase)
	if a, b := asJSON(docSnap), asJSON(pascalSnap); a != b {
		t.Errorf("PascalCase enums change the account snapshot:\n%s\nvs\n%s", a, b)
	}
	if a, b := asJSON(docTenant), asJSON(pascalTenant); a != b {
		t.Errorf("PascalCase enums change the tenant document:\n%s\nvs\n%s", a, b)
	}
	newSnap, newTenant := collectWith(fake.EnumsNewer)
	// Each section whose data holds an enum in bob's fixture.
	for section, field := range map[string]string{
		"risk": "risk.riskLevel", "mailbox.autoReply": "mailbox.autoReply.status", "signIns": "signIns.riskLevelDuringSignIn",
		"audits": "audits.result", "authMethods": "authMethods.phoneType", "registration": "registration.defaultMethod",
		"oauthGrants": "oauthGrants.consentType",
	} {
		c := newSnap.Coverage[section]
		if c.Status != snapshot.StatusError || !strings.Contains(c.Detail, field+" \"") || !strings.Contains(c.Detail, "is not a value this closeout knows") {
			t.Errorf("%s with a newer enum: %+v, want error naming %s", section, c, field)
		}
	}
	for section, field := range map[string]string{
		"conditionalAccess": "conditionalAccess.state", "authenticationMethodsPolicy": "authenticationMethodsPolicy.state",
	} {
		if c := newTenant.Coverage[section]; c.Status != snapshot.StatusError || !strings.Contains(c.Detail, field) {
			t.Errorf("tenant %s with a newer enum: %+v, want error naming %s", section, c, field)
		}
	}
	if newSnap.Risk != nil || newSnap.SignIns != nil || newSnap.AuthMethods != nil || newSnap.Mailbox != nil && newSnap.Mailbox.AutoReply != nil {
		t.Errorf("a section that could not be read left data behind: risk %+v", newSnap.Risk)
	}
}
