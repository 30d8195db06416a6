package closeout.apps.app_roles_in_window_test

import data.closeout.apps.app_roles_in_window
import data.closeout.fixtures

with_assigned(at) := object.union(fixtures.incident_input, {"appRoleAssignments": [{
	"resourceId": "res-9",
	"resourceDisplayName": "Sync Tool",
	"appRoleId": "00000000-0000-0000-0000-000000000000",
	"createdDateTime": at,
}]})

test_allow_old_assignments if {
	count(app_roles_in_window.deny) == 0 with input as fixtures.incident_input
}

test_deny_assignment_in_window if {
	some result in app_roles_in_window.deny with input as with_assigned("2026-11-20T11:00:00Z")
	result.resource == "Sync Tool"
}
