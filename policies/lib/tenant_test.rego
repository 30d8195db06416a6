package closeout.lib.tenant_test

import data.closeout.fixtures
import data.closeout.lib.tenant

test_enforced_for_everyone if {
	tenant.enforced_for_everyone(fixtures.tenant_input.conditionalAccess[0])
}

test_report_only_is_not_enforced if {
	not tenant.enforced_for_everyone(object.union(fixtures.tenant_input.conditionalAccess[0], {"state": "enabledForReportingButNotEnforced"}))
}

test_some_users_is_not_everyone if {
	not tenant.enforced_for_everyone(object.union(fixtures.tenant_input.conditionalAccess[0], {"includeUsers": ["group-1"]}))
}

test_security_defaults if {
	tenant.security_defaults_on with input as object.union(fixtures.tenant_input, {"securityDefaults": {"isEnabled": true}})
	not tenant.security_defaults_on with input as fixtures.tenant_input
}
