package closeout.tenant.transport_rule_forwarding_test

import data.closeout.fixtures
import data.closeout.tenant.transport_rule_forwarding

with_rule(rule) := object.union(fixtures.tenant_input, {"exchange": {"transportRules": [rule]}})

test_allow_rules_without_recipients if {
	count(transport_rule_forwarding.deny) == 0 with input as fixtures.tenant_input
}

test_deny_bcc_outside if {
	inp := with_rule({"name": "Archive", "state": "Enabled", "blindCopyTo": ["archive@evil.example"]})
	some result in transport_rule_forwarding.deny with input as inp
	result.action == "blindCopyTo"
}

test_allow_internal_redirect if {
	inp := with_rule({"name": "Legal", "state": "Enabled", "redirectMessageTo": ["legal@contoso.com"]})
	count(transport_rule_forwarding.deny) == 0 with input as inp
}

test_allow_disabled_rule if {
	inp := with_rule({"name": "Old", "state": "Disabled", "redirectMessageTo": ["x@evil.example"]})
	count(transport_rule_forwarding.deny) == 0 with input as inp
}

test_unknown_recipient_named_without_an_address if {
	inp := with_rule({"name": "Copy", "state": "Enabled", "blindCopyTo": ["Eve Holt"]})
	count(transport_rule_forwarding.deny) == 0 with input as inp
	some result in transport_rule_forwarding.unknown with input as inp
	result.placement == "unknown"
}

test_deny_guest_recipient if {
	inp := with_rule({"name": "Copy", "state": "Enabled", "copyTo": ["eve_fabrikam.example#EXT#@contoso.onmicrosoft.com"]})
	count(transport_rule_forwarding.deny) == 1 with input as inp
}
