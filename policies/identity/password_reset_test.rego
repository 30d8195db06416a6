package closeout.identity.password_reset_test

import data.closeout.fixtures
import data.closeout.identity.password_reset

with_user(user) := object.union(fixtures.incident_input, {"user": user})

test_allow_changed_after_detection if {
	count(password_reset.deny) == 0 with input as fixtures.incident_input
}

test_deny_never_changed if {
	some result in password_reset.deny with input as with_user({"lastPasswordChangeDateTime": null})
	contains(result.msg, "no password change")
}

test_deny_changed_before_window if {
	some result in password_reset.deny with input as with_user({"lastPasswordChangeDateTime": "2025-01-01T00:00:00Z"})
	result.lastPasswordChangeDateTime == "2025-01-01T00:00:00Z"
}

test_deny_attacker_change_before_detection if {
	count(password_reset.deny) == 1 with input as with_user({"lastPasswordChangeDateTime": "2026-11-20T10:00:00Z"})
}
