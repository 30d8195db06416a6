package fake

import (
	"fmt"
	"sort"
	"strings"
)

// Change is one exposure a night fixed or introduced: a policy that an
// account now passes or now fails.
type Change struct {
	UPN, PolicyID string
}

// NightChanges are what Night did.
type NightChanges struct {
	Fixed, Introduced []Change
}

// Night changes the tenant as the day before night n would (n ≥ 2; night
// 1 is the tenant as loaded or generated): about a third of the mailboxes
// that forward outside stop (at least one), as do about a third of those
// with a legacy protocol on; about one clean mailbox in fifty (at least
// one) starts forwarding to an outside address. Which ones is fixed by n
// and the mailboxes, so two runs agree. It says what changed, and keeps a
// generated tenant's Truth in step.
//
// Night changes the tenant in place: call it between scans, never while
// a scan is reading. Each change is written into the unified audit log
// (t.Audit) as the cmdlet an administrator would have run.
func (t *Tenant) Night(n int) NightChanges {
	t.index()
	var ch NightChanges
	if n < 2 {
		return ch
	}
	var forwarding, legacy, clean []string
	for _, upn := range t.upns {
		m := t.mailboxes[strings.ToLower(upn)]
		if forwardsOutside(m.Mailbox) {
			forwarding = append(forwarding, upn)
		} else if m.Mailbox["ForwardingAddress"] == nil {
			clean = append(clean, upn)
		}
		if legacyOn(m.CASMailbox) {
			legacy = append(legacy, upn)
		}
	}
	pick := func(list []string, every int) []string {
		var out []string
		for i, upn := range list {
			if (i+n)%every == 0 {
				out = append(out, upn)
			}
		}
		if len(out) == 0 && len(list) > 0 {
			out = append(out, list[n%len(list)])
		}
		return out
	}
	for _, upn := range pick(forwarding, 3) {
		m := t.mailboxes[strings.ToLower(upn)]
		m.Mailbox["ForwardingSmtpAddress"] = nil
		m.Mailbox["DeliverToMailboxAndForward"] = false
		t.Audit.Record("Set-Mailbox", upn, map[string]any{"Identity": upn, "ForwardingSmtpAddress": "", "DeliverToMailboxAndForward": false})
		ch.Fixed = append(ch.Fixed, Change{upn, "CO-MAIL-001"})
	}
	for _, upn := range pick(legacy, 3) {
		cas := t.mailboxes[strings.ToLower(upn)].CASMailbox
		cas["ImapEnabled"], cas["PopEnabled"], cas["SmtpClientAuthenticationDisabled"] = false, false, true
		t.Audit.Record("Set-CASMailbox", upn, map[string]any{"Identity": upn, "ImapEnabled": false, "PopEnabled": false, "SmtpClientAuthenticationDisabled": true})
		ch.Fixed = append(ch.Fixed, Change{upn, "CO-PROTO-001"})
	}
	for _, upn := range pick(clean, 50) {
		m := t.mailboxes[strings.ToLower(upn)]
		local, _, _ := strings.Cut(upn, "@")
		m.Mailbox["ForwardingSmtpAddress"] = fmt.Sprintf("smtp:%s-night%d@exfil.example", local, n)
		m.Mailbox["DeliverToMailboxAndForward"] = true
		t.Audit.Record("Set-Mailbox", upn, map[string]any{"Identity": upn, "ForwardingSmtpAddress": m.Mailbox["ForwardingSmtpAddress"], "DeliverToMailboxAndForward": true})
		ch.Introduced = append(ch.Introduced, Change{upn, "CO-MAIL-001"})
	}
	if t.Truth != nil {
		for _, c := range ch.Fixed {
			if c.PolicyID == "CO-MAIL-001" {
				delete(t.Truth[c.PolicyID], c.UPN)
			}
		}
		for _, c := range ch.Introduced {
			if t.Truth[c.PolicyID] == nil {
				t.Truth[c.PolicyID] = map[string]bool{}
			}
			t.Truth[c.PolicyID][c.UPN] = true
		}
	}
	sort.Slice(ch.Fixed, func(i, j int) bool {
		return ch.Fixed[i].UPN+ch.Fixed[i].PolicyID < ch.Fixed[j].UPN+ch.Fixed[j].PolicyID
	})
	return ch
}

// forwardsOutside is a mailbox forwarding by SMTP address (the fake's
// outside forwards; ForwardingAddress names a recipient of the tenant).
func forwardsOutside(m map[string]any) bool {
	s, _ := m["ForwardingSmtpAddress"].(string)
	return s != ""
}

// legacyOn is a CAS mailbox with IMAP or POP on.
func legacyOn(cas map[string]any) bool {
	return cas["ImapEnabled"] == true || cas["PopEnabled"] == true
}

// Night moves the tenant the server serves to night n (Tenant.Night),
// between requests.
func (s *Server) Night(n int) NightChanges {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tenant.Night(n)
}
