package closeout.identity.password_never_expires_test

import data.closeout.fixtures
import data.closeout.identity.password_never_expires

test_allow_default_policy if {
	count(password_never_expires.deny) == 0 with input as fixtures.incident_input
}

test_allow_null_policy if {
	inp := object.union(fixtures.incident_input, {"user": {"passwordPolicies": null}})
	count(password_never_expires.deny) == 0 with input as inp
}

test_deny_never_expires if {
	inp := object.union(fixtures.incident_input, {"user": {"passwordPolicies": "DisableStrongPassword, DisablePasswordExpiration"}})
	some result in password_never_expires.deny with input as inp
	contains(result.msg, "never to expire")
}
