package closeout.identity.auth_methods_in_window_test

import data.closeout.fixtures
import data.closeout.identity.auth_methods_in_window

with_method(method) := object.union(fixtures.incident_input, {"authMethods": array.concat(fixtures.incident_input.authMethods, [method])})

test_allow_methods_before_window if {
	count(auth_methods_in_window.deny) == 0 with input as fixtures.incident_input
}

test_deny_authenticator_added_in_window if {
	inp := with_method({"id": "evil", "type": "microsoftAuthenticator", "displayName": "SM-G991B", "createdDateTime": "2026-11-20T08:41:03Z"})
	some result in auth_methods_in_window.deny with input as inp
	result.methodId == "evil"
}

# Detected 09:30, revoked 09:44: an attacker method added between detection
# and revocation is still in the window.
test_deny_added_after_detection_before_revocation if {
	inp := with_method({"id": "evil", "type": "softwareOath", "createdDateTime": "2026-11-21T09:40:00Z"})
	count(auth_methods_in_window.deny) == 1 with input as inp
}

test_allow_method_added_after_revocation if {
	inp := with_method({"id": "new", "type": "fido2", "createdDateTime": "2026-11-21T10:30:00Z"})
	count(auth_methods_in_window.deny) == 0 with input as inp
}

test_allow_phone_is_recovery_policy if {
	inp := with_method({"id": "p", "type": "phone", "createdDateTime": "2026-11-20T09:00:00Z"})
	count(auth_methods_in_window.deny) == 0 with input as inp
}

test_allow_without_creation_time if {
	inp := with_method({"id": "x", "type": "microsoftAuthenticator", "createdDateTime": null})
	count(auth_methods_in_window.deny) == 0 with input as inp
}

# With sessions never revoked, the window stays open.
test_deny_window_open_without_revocation if {
	inp := object.union(
		with_method({"id": "late", "type": "fido2", "createdDateTime": "2026-11-22T10:30:00Z"}),
		{"user": {"signInSessionsValidFromDateTime": null}},
	)
	count(auth_methods_in_window.deny) == 1 with input as inp
}
