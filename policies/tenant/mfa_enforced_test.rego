package closeout.tenant.mfa_enforced_test

import data.closeout.fixtures
import data.closeout.tenant.mfa_enforced

without_mfa_policy := object.union(fixtures.tenant_input, {"conditionalAccess": [fixtures.tenant_input.conditionalAccess[1]]})

test_allow_conditional_access_mfa if {
	count(mfa_enforced.deny) == 0 with input as fixtures.tenant_input
}

test_allow_builtin_mfa_control if {
	policy := object.union(fixtures.tenant_input.conditionalAccess[0], {"builtInControls": ["mfa"], "authenticationStrength": null})
	count(mfa_enforced.deny) == 0 with input as object.union(fixtures.tenant_input, {"conditionalAccess": [policy]})
}

test_allow_security_defaults if {
	count(mfa_enforced.deny) == 0 with input as object.union(without_mfa_policy, {"securityDefaults": {"isEnabled": true}})
}

test_deny_no_enforcement if {
	some result in mfa_enforced.deny with input as without_mfa_policy
	contains(result.msg, "security defaults are off")
}

test_deny_report_only_policy if {
	report_only := object.union(fixtures.tenant_input.conditionalAccess[0], {"state": "enabledForReportingButNotEnforced"})
	some result in mfa_enforced.deny with input as object.union(fixtures.tenant_input, {"conditionalAccess": [report_only]})
	result.report_only == ["Require MFA for everyone"]
}
