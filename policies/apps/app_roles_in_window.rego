# METADATA
# title: No app role assigned to the account during the compromise window
# description: >-
#   An app role assignment gives the account access to an enterprise app, or
#   registers an app the attacker can use with the account's identity. Any
#   assignment made inside the window fails until it is removed or confirmed.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/graph/api/user-delete-approleassignments
#     description: Delete appRoleAssignment
# custom:
#   id: CO-APP-003
#   severity: high
#   checklist: oauth-apps-reviewed
#   requires: [appRoleAssignments]
#   modes: [incident]
#   fails_on_partial_data: true
#   remediation: >-
#     Remove the assignment: DELETE https://graph.microsoft.com/v1.0/users/{user:url}/appRoleAssignments/<id>
#     (PowerShell: Remove-MgUserAppRoleAssignment -UserId {user} -AppRoleAssignmentId <id>).
package closeout.apps.app_roles_in_window

import data.closeout.lib

deny contains result if {
	some assignment in input.appRoleAssignments
	lib.in_window(assignment.createdDateTime)
	result := {
		"msg": sprintf("app role on %q was assigned %s, during the compromise window", [object.get(assignment, "resourceDisplayName", assignment.resourceId), assignment.createdDateTime]),
		"resource": object.get(assignment, "resourceDisplayName", null),
		"resourceId": assignment.resourceId,
		"createdDateTime": assignment.createdDateTime,
	}
}
