# METADATA
# title: No recovery phone or email added during the window
# description: >-
#   A phone number or email address the attacker adds lets them receive MFA
#   codes and self-service password reset links after they lose the session.
#   Phone and email methods created inside the compromise window fail.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/graph/api/authentication-list-phonemethods
#     description: List phone methods
#   - ref: https://learn.microsoft.com/en-us/graph/api/authentication-list-emailmethods
#     description: List email methods
# custom:
#   id: CO-REC-001
#   severity: critical
#   checklist: recovery-options-cleaned
#   requires: [authMethods]
#   modes: [incident]
#   fails_on_partial_data: true
#   remediation: >-
#     Delete the phone or email method: DELETE https://graph.microsoft.com/v1.0/users/{user:url}/authentication/phoneMethods/<id>
#     or .../emailMethods/<id> (PowerShell: Remove-MgUserAuthenticationPhoneMethod -UserId {user} -PhoneAuthenticationMethodId <id>).
package closeout.identity.recovery_methods_in_window

import data.closeout.lib

recovery_types := {"phone", "email"}

deny contains result if {
	some method in input.authMethods
	method.type in recovery_types
	lib.in_window(method.createdDateTime)
	target := object.get(method, "phoneNumber", object.get(method, "emailAddress", null))
	result := {
		"msg": sprintf("%s method %v was added %s, during the compromise window", [method.type, target, method.createdDateTime]),
		"methodId": object.get(method, "id", null),
		"type": method.type,
		"value": target,
		"createdDateTime": method.createdDateTime,
	}
}
