# METADATA
# title: No OAuth consent given during the compromise window
# description: >-
#   Apps the attacker consented to while holding the account keep their
#   delegated access after the password reset. Any grant whose consent time
#   (from the directory audit) falls inside the window fails, whatever its
#   scopes, until it is revoked or confirmed with the user.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/defender-office-365/detect-and-remediate-illicit-consent-grants
#     description: Detect and remediate illicit consent grants
# custom:
#   id: CO-APP-002
#   severity: critical
#   checklist: oauth-apps-reviewed
#   requires: [oauthGrants]
#   modes: [incident]
#   fails_on_partial_data: true
#   remediation: >-
#     Revoke the grant: DELETE https://graph.microsoft.com/v1.0/oauth2PermissionGrants/<id>
#     (PowerShell: Get-MgUserOauth2PermissionGrant -UserId {user}; Remove-MgOauth2PermissionGrant -OAuth2PermissionGrantId <id>).
package closeout.apps.grants_in_window

import data.closeout.lib

deny contains result if {
	some grant in input.oauthGrants
	lib.in_window(grant.grantedDateTime)
	result := {
		"msg": sprintf("consent to app %q (%s) was given %s, during the compromise window", [
			object.get(grant, "appDisplayName", grant.clientId),
			concat(" ", object.get(grant, "scopes", [])), grant.grantedDateTime,
		]),
		"app": object.get(grant, "appDisplayName", null),
		"clientId": grant.clientId,
		"grantedDateTime": grant.grantedDateTime,
	}
}
