package closeout.identity.password_reset_order_test

import data.closeout.fixtures
import data.closeout.identity.password_reset_order

with_times(changed, revoked) := object.union(fixtures.incident_input, {"user": {
	"lastPasswordChangeDateTime": changed,
	"signInSessionsValidFromDateTime": revoked,
}})

test_allow_same_instant if {
	count(password_reset_order.deny) == 0 with input as fixtures.incident_input
}

test_allow_revoked_first if {
	count(password_reset_order.deny) == 0 with input as with_times("2026-11-21T09:44:12Z", "2026-11-21T09:41:02Z")
}

test_allow_within_tolerance if {
	count(password_reset_order.deny) == 0 with input as with_times("2026-11-21T09:44:12Z", "2026-11-21T09:44:40Z")
}

test_deny_password_before_revocation if {
	some result in password_reset_order.deny with input as with_times("2026-11-21T09:35:20Z", "2026-11-21T09:41:02Z")
	result.lastPasswordChangeDateTime == "2026-11-21T09:35:20Z"
	result.signInSessionsValidFromDateTime == "2026-11-21T09:41:02Z"
}

test_deny_password_changed_sessions_never_revoked if {
	some result in password_reset_order.deny with input as with_times("2026-11-21T09:35:20Z", null)
	contains(result.msg, "never revoked")
}

# A password last changed before the window is CO-PWD-001's finding, not an
# ordering problem.
test_allow_old_password_is_not_an_order_problem if {
	count(password_reset_order.deny) == 0 with input as with_times("2025-01-01T00:00:00Z", "2026-11-21T09:41:02Z")
}
