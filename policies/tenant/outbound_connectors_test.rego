package closeout.tenant.outbound_connectors_test

import data.closeout.fixtures
import data.closeout.tenant.outbound_connectors

connector(extra) := object.union(
	{
		"name": "Relay", "enabled": true, "connectorType": "Partner", "recipientDomains": ["*"],
		"smartHosts": ["relay.evil.example"], "useMxRecord": false, "whenChanged": "2026-11-20T09:00:00Z",
	},
	extra,
)

with_connectors(outbound, partners) := object.union(fixtures.tenant_input, {
	"exchange": {"connectors": {"inbound": [], "outbound": outbound}},
	"knownPartners": {"connectors": partners},
})

partner := {"name": "Fabrikam", "smartHosts": ["smtp.fabrikam.example"], "justification": "invoices", "approvedBy": "ciso@contoso.com"}

test_deny_relay_of_all_mail_to_an_unknown_host if {
	some result in outbound_connectors.deny with input as with_connectors([connector({})], [])
	contains(result.msg, "every domain")
	result.smartHosts == ["relay.evil.example"]
}

test_allow_known_partner if {
	inp := with_connectors([connector({"name": "Fabrikam", "recipientDomains": ["fabrikam.example"], "smartHosts": ["smtp.fabrikam.example"]})], [partner])
	count(outbound_connectors.deny) == 0 with input as inp
}

test_deny_known_name_with_a_host_nobody_vouched_for if {
	inp := with_connectors([connector({"name": "Fabrikam", "smartHosts": ["smtp.fabrikam.example", "relay.evil.example"]})], [partner])
	count(outbound_connectors.deny) == 1 with input as inp
}

test_deny_expired_partner if {
	inp := with_connectors(
		[connector({"name": "Fabrikam", "smartHosts": ["smtp.fabrikam.example"]})],
		[object.union(partner, {"expires": "2026-01-01T00:00:00Z"})],
	)
	count(outbound_connectors.deny) == 1 with input as inp
}

test_allow_on_premises_hosts_in_a_tenant_domain if {
	inp := with_connectors([connector({"connectorType": "OnPremises", "recipientDomains": ["contoso.com"], "smartHosts": ["mail.contoso.com"]})], [])
	count(outbound_connectors.deny) == 0 with input as inp
}

test_allow_mx_delivery_and_disabled_connectors if {
	inp := with_connectors([connector({"useMxRecord": true, "smartHosts": []}), connector({"name": "Old", "enabled": false})], [])
	count(outbound_connectors.deny) == 0 with input as inp
}

test_deny_ip_smart_host if {
	inp := with_connectors([connector({"recipientDomains": ["gmail.com"], "smartHosts": ["203.0.113.25"]})], [])
	some result in outbound_connectors.deny with input as inp
	contains(result.msg, "gmail.com")
}
