package closeout.apps.grants_in_window_test

import data.closeout.apps.grants_in_window
import data.closeout.fixtures

with_granted(at) := object.union(fixtures.incident_input, {"oauthGrants": [{
	"clientId": "sp-x",
	"appDisplayName": "PDF Viewer",
	"consentType": "Principal",
	"scopes": ["User.Read"],
	"grantedDateTime": at,
}]})

test_allow_old_grants if {
	count(grants_in_window.deny) == 0 with input as fixtures.incident_input
}

test_deny_grant_in_window if {
	some result in grants_in_window.deny with input as with_granted("2026-11-20T08:55:00Z")
	result.app == "PDF Viewer"
}

test_allow_grant_time_unknown if {
	count(grants_in_window.deny) == 0 with input as with_granted(null)
}
