package closeout.attest.user_notified_test

import data.closeout.attest.user_notified
import data.closeout.fixtures

test_pass_when_attested if {
	count(user_notified.manual) == 0 with input as fixtures.incident_input
	count(user_notified.deny) == 0 with input as fixtures.incident_input
}

test_manual_when_missing if {
	inp := json.remove(fixtures.incident_input, ["incident/attestations/userNotified"])
	some result in user_notified.manual with input as inp
	result.attestation == "userNotified"
}

test_manual_without_by if {
	inp := json.remove(fixtures.incident_input, ["incident/attestations/userNotified/by"])
	count(user_notified.manual) == 1 with input as inp
}

test_deny_dated_before_the_window if {
	inp := object.union(fixtures.incident_input, {"incident": {"attestations": {"userNotified": {"at": "2026-01-01T00:00:00Z"}}}})
	count(user_notified.deny) == 1 with input as inp
	count(user_notified.manual) == 0 with input as inp
}
