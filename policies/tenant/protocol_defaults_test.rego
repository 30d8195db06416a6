package closeout.tenant.protocol_defaults_test

import data.closeout.fixtures
import data.closeout.tenant.protocol_defaults

test_allow_off if {
	count(protocol_defaults.warn) == 0 with input as fixtures.tenant_input
}

test_warn_each_protocol if {
	inp := object.union(fixtures.tenant_input, {"exchange": {"casMailboxPlans": [{"name": "Plan", "imapEnabled": true, "popEnabled": true}]}})
	count(protocol_defaults.warn) == 2 with input as inp
}
