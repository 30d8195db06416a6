package closeout.mail.restricted_sender_test

import data.closeout.fixtures
import data.closeout.mail.restricted_sender

with_restricted(base, restricted) := object.union(base, {"mailbox": {"restricted": restricted}})

test_allow_account_not_restricted if {
	count(restricted_sender.deny) == 0 with input as with_restricted(fixtures.incident_input, {"blocked": false})
}

test_deny_restricted_in_incident if {
	inp := with_restricted(fixtures.incident_input, {"blocked": true, "reason": "Outbound spam", "createdDateTime": "2026-11-20T11:02:00Z"})
	some result in restricted_sender.deny with input as inp
	contains(result.msg, "unblock it once remediation is done")
	contains(result.msg, "2026-11-20T11:02:00Z")
	result.reason == "Outbound spam"
}

test_deny_restricted_in_posture_as_a_compromise_signal if {
	inp := with_restricted(fixtures.posture_input, {"blocked": true})
	some result in restricted_sender.deny with input as inp
	contains(result.msg, "treat it as compromised")
}
