package closeout.identity.recovery_methods_in_window_test

import data.closeout.fixtures
import data.closeout.identity.recovery_methods_in_window

with_method(method) := object.union(fixtures.incident_input, {"authMethods": array.concat(fixtures.incident_input.authMethods, [method])})

test_allow_no_recovery_added if {
	count(recovery_methods_in_window.deny) == 0 with input as fixtures.incident_input
}

test_deny_phone_added_in_window if {
	inp := with_method({"id": "p", "type": "phone", "phoneNumber": "+1 2065550199", "createdDateTime": "2026-11-20T09:00:00Z"})
	some result in recovery_methods_in_window.deny with input as inp
	result.value == "+1 2065550199"
}

test_deny_email_added_in_window if {
	inp := with_method({"id": "e", "type": "email", "emailAddress": "bob.recovery@evil.example", "createdDateTime": "2026-11-20T09:00:00Z"})
	count(recovery_methods_in_window.deny) == 1 with input as inp
}

test_allow_phone_from_before if {
	inp := with_method({"id": "p", "type": "phone", "phoneNumber": "+1 2065550100", "createdDateTime": "2025-01-01T00:00:00Z"})
	count(recovery_methods_in_window.deny) == 0 with input as inp
}
