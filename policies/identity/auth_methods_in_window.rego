# METADATA
# title: No MFA method registered during the compromise window
# description: >-
#   Attackers register their own authenticator app, OATH token or FIDO2 key so
#   they can pass MFA after the password is reset. Any sign-in method created
#   between the start of the compromise and the session revocation that ended
#   it is treated as the attacker's until removed. Phone and email methods are
#   checked by CO-REC-001.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/graph/api/authentication-list-methods
#     description: List authentication methods
# custom:
#   id: CO-MFA-002
#   severity: critical
#   checklist: mfa-methods-cleaned
#   requires: [authMethods]
#   modes: [incident]
#   fails_on_partial_data: true
#   remediation: >-
#     Delete each method registered during the window: GET https://graph.microsoft.com/v1.0/users/{user:url}/authentication/methods, then
#     DELETE .../users/{user:url}/authentication/microsoftAuthenticatorMethods/<id> (or softwareOathMethods, fido2Methods, ...);
#     PowerShell: Remove-MgUserAuthenticationMicrosoftAuthenticatorMethod -UserId {user} -MicrosoftAuthenticatorAuthenticationMethodId <id>.
package closeout.identity.auth_methods_in_window

import data.closeout.lib

# Phone and email are recovery options (CO-REC-001); the password is CO-PWD-*.
excluded := {"password", "phone", "email"}

deny contains result if {
	some method in input.authMethods
	not object.get(method, "type", null) in excluded
	lib.in_window(method.createdDateTime)
	result := {
		"msg": sprintf("%s method %q was registered %s, during the compromise window", [method.type, object.get(method, "displayName", ""), method.createdDateTime]),
		"methodId": object.get(method, "id", null),
		"type": method.type,
		"createdDateTime": method.createdDateTime,
	}
}
