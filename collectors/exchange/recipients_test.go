package exchange

import (
	"strings"
	"testing"

	"github.com/closeout-dev/closeout/collectors/fake"
	"github.com/closeout-dev/closeout/results"
	"github.com/closeout-dev/closeout/snapshot"
)

func TestParseRecipient(t *testing.T) {
	dn := "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=7c1d-eve"
	for _, tc := range []struct {
		value              string
		smtp, legacy, name string
	}{
		{`"Eve Holt" [EX:` + dn + `]`, "", strings.ToLower(dn), "eve holt"},
		{dn, "", strings.ToLower(dn), ""},
		{"X500:" + dn, "", strings.ToLower(dn), ""},
		{"SMTP:Eve@Contoso.com", "eve@contoso.com", "", ""},
		{`"Eve" [SMTP:eve@contoso.com]`, "eve@contoso.com", "", "eve"},
		{"eve@contoso.com", "eve@contoso.com", "", ""},
		{"Payroll Desk", "", "", "payroll desk"},
		{"Bob <bob@x.com>", "", "", "bob <bob@x.com>"},
	} {
		r := parseRecipient(tc.value)
		if r.smtp != tc.smtp || r.legacyDN != tc.legacy || r.name != tc.name {
			t.Errorf("%q: smtp %q dn %q name %q; want %q %q %q", tc.value, r.smtp, r.legacyDN, r.name, tc.smtp, tc.legacy, tc.name)
		}
	}
}

// Only what its form does not decide is asked about.
func TestDecidedForms(t *testing.T) {
	domains := newDomainSet([]snapshot.AcceptedDomain{{DomainName: "contoso.com", DomainType: "Authoritative"}}, nil)
	for value, want := range map[string]bool{
		"ben_wingtiptoys.example#EXT#@contoso.onmicrosoft.com": true,
		`NT AUTHORITY\SELF`:                            true,
		"S-1-5-21-3623811015-3361044348-30300820-1013": true,
		"x@evil.example":                               true,
		"x@contoso.com":                                false, // a mail user can hide behind a tenant address
		"Eve Holt":                                     false,
		`"Eve" [EX:/o=ExchangeLabs/cn=eve]`:            false,
	} {
		if got := decided(parseRecipient(value), domains); got != want {
			t.Errorf("decided(%q) = %v, want %v", value, got, want)
		}
	}
}

func TestDirectoryLookup(t *testing.T) {
	dir := NewDirectory("test")
	dir.Add(map[string]any{"Name": "Eve Holt", "DisplayName": "Eve Holt", "RecipientTypeDetails": "MailContact",
		"EmailAddresses": []any{"SMTP:eve@contoso.com", "X500:/o=Old/cn=eve"}, "LegacyExchangeDN": "/o=ExchangeLabs/cn=eve",
		"ExternalEmailAddress": "SMTP:eve@evil.example"})
	dir.Add(map[string]any{"Name": "Sam One", "DisplayName": "Sam", "RecipientTypeDetails": "UserMailbox", "PrimarySmtpAddress": "sam1@contoso.com"})
	dir.Add(map[string]any{"Name": "Sam Two", "DisplayName": "Sam", "RecipientTypeDetails": "UserMailbox", "PrimarySmtpAddress": "sam2@contoso.com"})
	for value, want := range map[string]string{
		`"Eve" [EX:/o=ExchangeLabs/cn=eve]`: "MailContact",
		"X500:/o=Old/cn=eve":                "MailContact",
		"EVE@contoso.com":                   "MailContact",
		"eve holt":                          "MailContact",
		"Sam":                               snapshot.RecipientAmbiguous,
		"Nobody":                            "",
	} {
		rec, found := dir.lookup(parseRecipient(value))
		got := ""
		if found {
			got = rec.Status
			if rec.Status == snapshot.RecipientResolved {
				got = *rec.RecipientTypeDetails
			}
		}
		if got != want {
			t.Errorf("%q: %q, want %q", value, got, want)
		}
	}
}

// Ivan's attacker used every recipient that does not look external; each
// is resolved and fails.
func TestOutsidersWhoDoNotLookLikeIt(t *testing.T) {
	srv := start(t)
	snap := collect(t, srv, "ivan@contoso.com")
	eve := snap.Recipients["Eve Holt"]
	if eve.Status != snapshot.RecipientResolved || *eve.RecipientTypeDetails != "MailContact" || *eve.ExternalEmailAddress != "SMTP:eve.holt@mailbox-drop.example" {
		t.Errorf("Eve Holt resolved to %+v", eve)
	}
	found := evaluate(t, snap)
	for id, want := range map[string]string{
		"CO-MAIL-001": "MailContact whose mail goes to SMTP:eve.holt@mailbox-drop.example",
		"CO-MAIL-002": `redirects mail to "Eve Holt" [EX:`,
		"CO-DEL-001":  "a guest account",
		"CO-MAIL-004": "restricted users list",
		"CO-AUD-001":  "bypasses mailbox audit logging",
	} {
		if f := found[id]; f.Status != results.Fail || !strings.Contains(f.Message, want) {
			t.Errorf("%s: %s %q, want fail with %q", id, f.Status, f.Message, want)
		}
	}
	if f := found["CO-DEL-001"]; !strings.Contains(f.Message, "Payroll Desk holds SendOnBehalf") {
		t.Errorf("CO-DEL-001 misses the mail user lookalike: %s", f.Message)
	}
}

// Judy forwards to a colleague and a group picked from the address book,
// delegates to colleagues: nothing fails, nothing is unknown.
func TestDecoysInsideStayQuiet(t *testing.T) {
	srv := start(t)
	snap := collect(t, srv, "judy@contoso.com")
	if len(snap.Recipients) < 3 {
		t.Fatalf("recipients = %+v", snap.Recipients)
	}
	for id, f := range evaluate(t, snap) {
		if f.Status != results.Pass && f.Status != results.Manual {
			t.Errorf("%s: %s %s", id, f.Status, f.Message)
		}
	}
}

// When Exchange cannot say what a recipient is, the rule naming it is
// unknown, never a pass; so is a name two recipients answer to.
func TestUnresolvedRecipientIsUnknown(t *testing.T) {
	t.Run("Get-Recipient refused", func(t *testing.T) {
		srv := start(t)
		srv.AddFault(fake.Forbidden("exchange.Get-Recipient"))
		snap := collect(t, srv, "judy@contoso.com")
		found := evaluate(t, snap)
		for _, id := range []string{"CO-MAIL-002", "CO-DEL-001"} {
			if f := found[id]; f.Status != results.Unknown || !strings.Contains(f.Message, "Exchange could not resolve it (error") {
				t.Errorf("%s: %s %s", id, f.Status, f.Message)
			}
		}
	})
	t.Run("two recipients answer to the name", func(t *testing.T) {
		srv, tenant := startTenant(t)
		tenant.Recipients = append(tenant.Recipients, map[string]any{"Name": "Grace Example", "DisplayName": "Grace Example",
			"RecipientTypeDetails": "MailContact", "ExternalEmailAddress": "SMTP:grace@evil.example", "EmailAddresses": []any{}})
		found := evaluate(t, collect(t, srv, "judy@contoso.com"))
		if f := found["CO-DEL-001"]; f.Status != results.Unknown || !strings.Contains(f.Message, "ambiguous: 2 recipients answer to it") {
			t.Errorf("CO-DEL-001: %s %s", f.Status, f.Message)
		}
	})
	t.Run("a legacy DN nobody holds", func(t *testing.T) {
		srv, tenant := startTenant(t)
		rules := tenant.Exchange["judy@contoso.com"].InboxRules
		rules[1]["ForwardTo"] = []any{`"Gone" [EX:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=deadbeef-gone]`}
		found := evaluate(t, collect(t, srv, "judy@contoso.com"))
		if f := found["CO-MAIL-002"]; f.Status != results.Unknown || !strings.Contains(f.Message, "notFound") {
			t.Errorf("CO-MAIL-002: %s %s", f.Status, f.Message)
		}
	})
}

// A mailbox naming more recipients than closeout asks about leaves the
// rest unknown, never inside.
func TestResolutionIsBounded(t *testing.T) {
	srv, tenant := startTenant(t)
	var many []any
	for i := range maxResolved + 5 {
		many = append(many, "Someone "+strings.Repeat("x", i%7)+string(rune('A'+i%26))+string(rune('a'+i/26%26)))
	}
	tenant.Exchange["judy@contoso.com"].InboxRules[1]["ForwardTo"] = many
	snap := collect(t, srv, "judy@contoso.com")
	asked := 0
	for _, r := range srv.Requests() {
		if r.Path == "/adminapi/Get-Recipient" {
			asked++
		}
	}
	if max := (maxResolved + maxFilterTerms - 1) / maxFilterTerms; asked > max+1 {
		t.Errorf("%d Get-Recipient requests, want at most %d", asked, max+1)
	}
	answered, unasked := 0, 0
	for _, rec := range snap.Recipients {
		if rec.Status == snapshot.RecipientError && strings.Contains(rec.Detail, "not asked") {
			unasked++
		} else {
			answered++
		}
	}
	if answered != maxResolved || unasked < 5 {
		t.Errorf("%d recipients answered, %d left unasked; want %d answered and at least 5 unasked", answered, unasked, maxResolved)
	}
	if f := evaluate(t, snap)["CO-MAIL-002"]; f.Status != results.Unknown {
		t.Errorf("CO-MAIL-002: %s", f.Status)
	}
}

// The restricted users list, the audit bypass and the connectors, refused,
// are forbidden sections naming the role; the rest stands.
func TestNewSectionsRefused(t *testing.T) {
	srv := start(t)
	for _, s := range []string{"mailbox.restricted", "mailbox.audit"} {
		srv.AddFault(fake.Forbidden(s))
	}
	snap := collect(t, srv, "ivan@contoso.com")
	for _, s := range []string{"mailbox.restricted", "mailbox.audit"} {
		if c := snap.Coverage[s]; c.Status != snapshot.StatusForbidden || !strings.Contains(c.Detail, "View-Only") {
			t.Errorf("%s: %+v", s, c)
		}
	}
	if c := snap.Coverage["mailbox.forwarding"]; c.Status != snapshot.StatusCollected {
		t.Errorf("forwarding: %+v", c)
	}
}
