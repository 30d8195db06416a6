package closeout.tenant.smtp_auth_default_test

import data.closeout.fixtures
import data.closeout.tenant.smtp_auth_default

test_allow_disabled if {
	count(smtp_auth_default.deny) == 0 with input as fixtures.tenant_input
}

test_deny_enabled if {
	inp := object.union(fixtures.tenant_input, {"exchange": {"transportConfig": {"smtpClientAuthenticationDisabled": false}}})
	count(smtp_auth_default.deny) == 1 with input as inp
}
