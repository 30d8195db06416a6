# METADATA
# title: No usable Temporary Access Pass left on the account
# description: >-
#   A Temporary Access Pass signs in without the password or MFA for its whole
#   lifetime. Responders issue one to re-bootstrap a user; attackers with admin
#   reach issue one to themselves. When the incident closes, none should remain
#   usable.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/entra/identity/authentication/howto-authentication-temporary-access-pass
#     description: Temporary Access Pass
# custom:
#   id: CO-MFA-004
#   severity: high
#   checklist: mfa-methods-cleaned
#   requires: [authMethods]
#   modes: [incident]
#   fails_on_partial_data: true
#   remediation: >-
#     Delete the pass: GET https://graph.microsoft.com/v1.0/users/{user:url}/authentication/temporaryAccessPassMethods, then
#     DELETE .../temporaryAccessPassMethods/<id> (PowerShell: Remove-MgUserAuthenticationTemporaryAccessPassMethod -UserId {user} -TemporaryAccessPassAuthenticationMethodId <id>).
package closeout.identity.temporary_access_pass

deny contains result if {
	some method in input.authMethods
	method.type == "temporaryAccessPass"
	object.get(method, "isUsable", true) != false
	result := {
		"msg": sprintf("a Temporary Access Pass (created %v) is still usable", [object.get(method, "createdDateTime", "at an unknown time")]),
		"methodId": object.get(method, "id", null),
		"createdDateTime": object.get(method, "createdDateTime", null),
	}
}
