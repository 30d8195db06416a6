# METADATA
# title: No outbound connector routes mail to an unknown smart host
# description: >-
#   An outbound connector sends mail for the domains it lists (or for every
#   domain: *) through smart hosts instead of the recipients' own mail
#   servers. An attacker with admin rights adds one to copy or relay the
#   organisation's mail through a host they control. An enabled outbound
#   connector that routes to a smart host outside the tenant's own domains
#   fails, unless the operator lists it as a known partner (--partners) with
#   every host it routes to. Connectors that deliver by MX record are not
#   judged.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/use-connectors-to-configure-mail-flow/use-connectors-to-configure-mail-flow
#     description: Configure mail flow using connectors in Exchange Online
#   - ref: https://learn.microsoft.com/en-us/powershell/module/exchange/get-outboundconnector
#     description: Get-OutboundConnector
# custom:
#   id: CO-TEN-010
#   severity: high
#   checklist: tenant-connectors-reviewed
#   requires: [exchange.connectors]
#   modes: [tenant]
#   remediation: >-
#     Confirm who created the connector and why (Search-UnifiedAuditLog -Operations New-OutboundConnector,Set-OutboundConnector);
#     remove it if nobody vouches for it: Remove-OutboundConnector -Identity <name>; or list it in the --partners file.
#     Tenant: {user:text}.
package closeout.tenant.outbound_connectors

import data.closeout.lib
import data.closeout.lib.tenant

deny contains result if {
	tenant.is_tenant
	some connector in input.exchange.connectors.outbound
	connector.enabled != false
	connector.useMxRecord != true
	hosts := {host | some host in object.get(connector, "smartHosts", []); not own_host(host)}
	count(hosts) > 0
	not known(connector)
	domains := object.get(connector, "recipientDomains", [])
	result := {
		"msg": sprintf("outbound connector %q routes mail for %s to %s, outside the tenant's domains, and is not a known partner", [
			connector.name, routed(domains), concat(", ", sort(hosts)),
		]),
		"connector": connector.name,
		"smartHosts": sort(hosts),
		"recipientDomains": domains,
		"whenChanged": object.get(connector, "whenChanged", null),
	}
}

# own_host holds for a smart host in one of the tenant's accepted domains:
# the organisation's own (on-premises) mail servers.
own_host(host) if {
	some name, _ in lib.accepted
	lower(host) == name
}

own_host(host) if {
	some name, _ in lib.accepted
	endswith(lower(host), concat("", [".", name]))
}

# known holds for a connector the operator vouches for by name, with every
# smart host it routes to, while the vouching has not expired.
known(connector) if {
	some partner in input.knownPartners.connectors
	lower(partner.name) == lower(connector.name)
	vouched := {lower(h) | some h in partner.smartHosts}
	every host in object.get(connector, "smartHosts", []) {
		lower(host) in vouched
	}
	not expired(partner)
}

expired(partner) if lib.ns(partner.expires) <= lib.ns(input.collectedAt)

routed(domains) := "every domain" if "*" in domains

routed(domains) := concat(", ", domains) if {
	not "*" in domains
	count(domains) > 0
}

routed(domains) := "the domains its transport rules send it" if count(domains) == 0
