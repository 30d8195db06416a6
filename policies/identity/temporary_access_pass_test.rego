package closeout.identity.temporary_access_pass_test

import data.closeout.fixtures
import data.closeout.identity.temporary_access_pass

with_tap(tap) := object.union(fixtures.incident_input, {"authMethods": array.concat(fixtures.incident_input.authMethods, [tap])})

test_allow_no_tap if {
	count(temporary_access_pass.deny) == 0 with input as fixtures.incident_input
}

test_deny_usable_tap if {
	inp := with_tap({"id": "tap", "type": "temporaryAccessPass", "createdDateTime": "2026-11-21T09:50:00Z", "isUsable": true})
	some result in temporary_access_pass.deny with input as inp
	result.methodId == "tap"
}

test_deny_tap_of_unknown_usability if {
	count(temporary_access_pass.deny) == 1 with input as with_tap({"id": "tap", "type": "temporaryAccessPass"})
}

test_allow_expired_tap if {
	count(temporary_access_pass.deny) == 0 with input as with_tap({"id": "tap", "type": "temporaryAccessPass", "isUsable": false})
}
