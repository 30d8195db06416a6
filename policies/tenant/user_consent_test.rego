package closeout.tenant.user_consent_test

import data.closeout.fixtures
import data.closeout.tenant.user_consent

with_assigned(assigned) := object.union(fixtures.tenant_input, {"authorizationPolicy": {"permissionGrantPoliciesAssigned": assigned}})

test_allow_low_impact_consent if {
	count(user_consent.deny) == 0 with input as fixtures.tenant_input
}

test_allow_no_user_consent if {
	count(user_consent.deny) == 0 with input as with_assigned([])
}

test_deny_legacy_consent if {
	count(user_consent.deny) == 1 with input as with_assigned(["ManagePermissionGrantsForSelf.microsoft-user-default-legacy"])
}
