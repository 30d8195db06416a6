# METADATA
# title: Sign-in unblocked once remediated
# description: >-
#   Blocking sign-in is the right first move, but a ticket is not closed while
#   the user still cannot work. Once the other checks pass, re-enable the
#   account; until then this is a reminder, not a blocker. An account whose
#   enabled state was not read is unknown: it may still be blocked.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/entra/fundamentals/users-revoke-access
#     description: Revoke user access in Microsoft Entra ID
# custom:
#   id: CO-ACCT-001
#   severity: low
#   checklist: account-restored
#   requires: [user]
#   modes: [incident]
#   remediation: >-
#     When every other item passes, unblock sign-in: PATCH https://graph.microsoft.com/v1.0/users/{user:url} with {"accountEnabled": true}
#     (PowerShell: Update-MgUser -UserId {user} -AccountEnabled:$true).
package closeout.identity.account_restored

unknown contains result if {
	enabled := object.get(input.user, "accountEnabled", null)
	not is_boolean(enabled)
	result := {"msg": sprintf("whether sign-in is enabled was not read (accountEnabled is %s)", [json.marshal(enabled)])}
}

warn contains result if {
	input.user.accountEnabled == false
	result := {"msg": "sign-in is still blocked (accountEnabled is false); unblock it once remediation is verified"}
}
