package closeout.identity.sessions_revoked_test

import data.closeout.fixtures
import data.closeout.identity.sessions_revoked

with_user(user) := object.union(fixtures.incident_input, {"user": user})

test_allow_revoked_after_detection if {
	count(sessions_revoked.deny) == 0 with input as fixtures.incident_input
}

test_deny_never_revoked if {
	some result in sessions_revoked.deny with input as with_user({"signInSessionsValidFromDateTime": null})
	contains(result.msg, "never revoked")
}

test_deny_field_missing if {
	inp := json.remove(fixtures.incident_input, ["user/signInSessionsValidFromDateTime"])
	count(sessions_revoked.deny) == 1 with input as inp
}

test_deny_revoked_before_window if {
	some result in sessions_revoked.deny with input as with_user({"signInSessionsValidFromDateTime": "2026-06-02T08:15:00Z"})
	result.signInSessionsValidFromDateTime == "2026-06-02T08:15:00Z"
}

# An attacker's own password change inside the window moves the validity
# time too; it does not count when it precedes detection.
test_deny_revoked_inside_window_before_detection if {
	some result in sessions_revoked.deny with input as with_user({"signInSessionsValidFromDateTime": "2026-11-20T09:00:00Z"})
	result["incident.detectedAt"] == "2026-11-21T09:30:00Z"
}

test_allow_inside_window_when_detection_unknown if {
	inp := object.union(with_user({"signInSessionsValidFromDateTime": "2026-11-20T09:00:00Z"}), {"incident": {"detectedAt": null}})
	count(sessions_revoked.deny) == 0 with input as inp
}
