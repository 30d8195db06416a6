package exchange

import (
	"context"
	"fmt"
	"slices"

	"github.com/closeout-dev/closeout/snapshot"
)

// CollectTenant adds Exchange Online's organisation settings to a tenant
// document: outbound spam policies (automatic forwarding), remote domains,
// the transport config (SMTP AUTH default), CAS mailbox plans (protocol
// defaults), transport rules, the audit log switch, the inbound and
// outbound connectors, and the accepted domains (which decide what is
// inside).
func CollectTenant(ctx context.Context, opts Options, doc *snapshot.TenantSettings) error {
	client, err := NewClient(doc.Tenant.ID, opts)
	if err != nil {
		return err
	}
	anchor := orgAnchor(doc.Tenant.DefaultDomain)
	if !slices.Contains(doc.Source.Collectors, "exchange") {
		doc.Source.Collectors = append(doc.Source.Collectors, "exchange")
	}
	if doc.Exchange == nil {
		doc.Exchange = &snapshot.ExchangeSettings{}
	}
	x := doc.Exchange
	for _, s := range []struct {
		section, cmdlet string
		fill            func([]map[string]any) error
	}{
		{"exchange.outboundSpam", "Get-HostedOutboundSpamFilterPolicy", func(out []map[string]any) error {
			x.OutboundSpamPolicies = []snapshot.OutboundSpamPolicy{}
			for _, p := range out {
				x.OutboundSpamPolicies = append(x.OutboundSpamPolicies, snapshot.OutboundSpamPolicy{
					Name: fmt.Sprint(p["Name"]), AutoForwardingMode: fmt.Sprint(p["AutoForwardingMode"]), IsDefault: boolean(p["IsDefault"])})
			}
			return nil
		}},
		{"exchange.remoteDomains", "Get-RemoteDomain", func(out []map[string]any) error {
			x.RemoteDomains = []snapshot.RemoteDomain{}
			for _, d := range out {
				x.RemoteDomains = append(x.RemoteDomains, snapshot.RemoteDomain{
					Name: fmt.Sprint(d["Name"]), DomainName: fmt.Sprint(d["DomainName"]), AutoForwardEnabled: boolean(d["AutoForwardEnabled"])})
			}
			return nil
		}},
		{"exchange.transportConfig", "Get-TransportConfig", func(out []map[string]any) error {
			if len(out) != 1 {
				return fmt.Errorf("Get-TransportConfig returned %d objects", len(out))
			}
			x.TransportConfig = &snapshot.TransportConfig{SMTPClientAuthenticationDisabled: boolean(out[0]["SmtpClientAuthenticationDisabled"])}
			return nil
		}},
		{"exchange.casMailboxPlans", "Get-CASMailboxPlan", func(out []map[string]any) error {
			x.CASMailboxPlans = []snapshot.CASMailboxPlan{}
			for _, p := range out {
				x.CASMailboxPlans = append(x.CASMailboxPlans, snapshot.CASMailboxPlan{
					Name: fmt.Sprint(p["Name"]), IMAPEnabled: boolean(p["ImapEnabled"]), POPEnabled: boolean(p["PopEnabled"])})
			}
			return nil
		}},
		{"exchange.transportRules", "Get-TransportRule", func(out []map[string]any) error {
			x.TransportRules = []snapshot.TransportRule{}
			for _, r := range out {
				x.TransportRules = append(x.TransportRules, snapshot.TransportRule{
					Name: fmt.Sprint(r["Name"]), State: fmt.Sprint(r["State"]),
					RedirectMessageTo: recipients(r["RedirectMessageTo"]), BlindCopyTo: recipients(r["BlindCopyTo"]),
					CopyTo: recipients(r["CopyTo"]), AddToRecipients: recipients(r["AddToRecipients"])})
			}
			return nil
		}},
		{"exchange.auditConfig", "Get-AdminAuditLogConfig", func(out []map[string]any) error {
			if len(out) != 1 {
				return fmt.Errorf("Get-AdminAuditLogConfig returned %d objects", len(out))
			}
			x.AdminAuditLogConfig = &snapshot.AdminAuditLogConfig{UnifiedAuditLogIngestionEnabled: boolean(out[0]["UnifiedAuditLogIngestionEnabled"])}
			return nil
		}},
	} {
		params := map[string]any{}
		if s.cmdlet == "Get-TransportRule" || s.cmdlet == "Get-CASMailboxPlan" {
			// The only two of these cmdlets that take -ResultSize.
			params["ResultSize"] = "Unlimited"
		}
		out, _, err := client.Invoke(ctx, anchor, s.cmdlet, params)
		if err == nil {
			err = s.fill(out)
		}
		if err != nil {
			doc.Coverage[s.section] = coverageFor(err)
			continue
		}
		doc.Coverage[s.section] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	}
	inbound, _, ierr := client.Invoke(ctx, anchor, "Get-InboundConnector", map[string]any{})
	outbound, _, oerr := client.Invoke(ctx, anchor, "Get-OutboundConnector", map[string]any{})
	if err := firstError(ierr, oerr); err != nil {
		doc.Coverage["exchange.connectors"] = coverageFor(err)
	} else {
		x.Connectors = &snapshot.Connectors{Inbound: ConnectorsFromExchange(inbound), Outbound: ConnectorsFromExchange(outbound)}
		doc.Coverage["exchange.connectors"] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	}
	// The accepted domains are no section: without them, Graph's verified
	// domains stand in, as the policies say.
	if accepted, _, err := client.Invoke(ctx, anchor, "Get-AcceptedDomain", map[string]any{}); err == nil {
		if domains := AcceptedDomainsFromExchange(accepted); len(domains) > 0 {
			doc.Tenant.AcceptedDomains = domains
		}
	}
	// What the mail flow rules name, resolved as a mailbox's recipients are.
	var named []string
	for _, r := range x.TransportRules {
		for _, list := range [][]string{r.RedirectMessageTo, r.BlindCopyTo, r.CopyTo, r.AddToRecipients} {
			named = append(named, list...)
		}
	}
	if recs := resolveRecipients(ctx, client, anchor, named, nil, newDomainSet(doc.Tenant.AcceptedDomains, doc.Tenant.Domains)); len(recs) > 0 {
		doc.Recipients = recs
	}
	return nil
}
