package closeout.tenant.external_forwarding_test

import data.closeout.fixtures
import data.closeout.tenant.external_forwarding

with_mode(mode) := object.union(fixtures.tenant_input, {"exchange": {"outboundSpamPolicies": [{"name": "Default", "autoForwardingMode": mode, "isDefault": true}]}})

test_allow_off if {
	count(external_forwarding.deny) == 0 with input as fixtures.tenant_input
}

test_allow_automatic if {
	count(external_forwarding.deny) == 0 with input as with_mode("Automatic")
}

test_deny_on if {
	some result in external_forwarding.deny with input as with_mode("On")
	result.policy == "Default"
}
