# METADATA
# title: No mail or file access granted to apps outside Microsoft's verified publishers
# description: >-
#   Consent phishing gets an OAuth app delegated access to mail and files that
#   survives a password reset and MFA changes. A grant with mail, mailbox
#   settings, file, site or full-mailbox scopes (Mail.*, MailboxSettings.ReadWrite,
#   Files.*, Sites.*, EWS.AccessAsUser.All, full_access_as_user, or
#   offline_access together with a mail scope) fails when the publisher is not
#   verified, and warns when a verified publisher other than Microsoft holds it.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/defender-office-365/detect-and-remediate-illicit-consent-grants
#     description: Detect and remediate illicit consent grants
#   - ref: https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-delete
#     description: Delete oAuth2PermissionGrant
# custom:
#   id: CO-APP-001
#   severity: high
#   checklist: oauth-apps-reviewed
#   requires: [oauthGrants]
#   modes: [incident, posture]
#   fails_on_partial_data: true
#   remediation: >-
#     Revoke the grant: GET https://graph.microsoft.com/v1.0/users/{user:url}/oauth2PermissionGrants, then
#     DELETE https://graph.microsoft.com/v1.0/oauth2PermissionGrants/<id>
#     (PowerShell: Remove-MgOauth2PermissionGrant -OAuth2PermissionGrantId <id>); disable the service principal if it is malicious.
package closeout.apps.risky_grants

import data.closeout.lib

# Tenants that publish Microsoft's first-party applications.
microsoft_tenants := {"f8cdef31-a31e-4b4a-93e4-5f571e91255a", "72f988bf-86f1-41af-91ab-2d7cd011db47"}

mail_scope_pattern := `(?i)^(mail\.|mailboxsettings\.readwrite$|ews\.accessasuser\.all$|full_access_as_user$|imap\.accessasuser\.all$|pop\.accessasuser\.all$|smtp\.send$)`

file_scope_pattern := `(?i)^(files\.|sites\.)`

risky_scopes(grant) := ({scope |
	some scope in grant.scopes
	regex.match(mail_scope_pattern, scope)
} | {scope |
	some scope in grant.scopes
	regex.match(file_scope_pattern, scope)
}) | {scope |
	some scope in grant.scopes
	lower(scope) == "offline_access"
	some other in grant.scopes
	regex.match(mail_scope_pattern, other)
}

microsoft(grant) if grant.publisherTenantId in microsoft_tenants

verified(grant) if lib.present(grant.verifiedPublisher)

deny contains result if {
	some grant in input.oauthGrants
	count(risky_scopes(grant)) > 0
	not microsoft(grant)
	not verified(grant)
	result := finding(grant, "from an unverified publisher")
}

warn contains result if {
	some grant in input.oauthGrants
	count(risky_scopes(grant)) > 0
	not microsoft(grant)
	verified(grant)
	result := finding(grant, sprintf("from verified publisher %s; confirm the user needs it", [grant.verifiedPublisher]))
}

finding(grant, why) := {
	"msg": sprintf("app %q holds %s %s (%s consent)", [
		object.get(grant, "appDisplayName", grant.clientId),
		concat(", ", sort(risky_scopes(grant))), why, object.get(grant, "consentType", "unknown"),
	]),
	"app": object.get(grant, "appDisplayName", null),
	"appId": object.get(grant, "appId", null),
	"clientId": grant.clientId,
	"scopes": sort(risky_scopes(grant)),
	"consentType": object.get(grant, "consentType", null),
	"verifiedPublisher": object.get(grant, "verifiedPublisher", null),
}
