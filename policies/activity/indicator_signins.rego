# METADATA
# title: No successful sign-in from the attacker's addresses after remediation
# description: >-
#   A successful sign-in from an indicator IP after sessions were revoked (or,
#   if they never were, after detection) means the attacker still gets in:
#   a credential, a method or a token they hold was missed.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/graph/api/signin-list
#     description: List sign-ins
# custom:
#   id: CO-ACT-001
#   severity: critical
#   checklist: attacker-access-ended
#   requires: [signIns, user]
#   modes: [incident]
#   remediation: >-
#     The attacker still has a way in: block sign-in (Update-MgUser -UserId {user} -AccountEnabled:$false),
#     revoke sessions again (Revoke-MgUserSignInSession -UserId {user}), and find what was missed
#     (methods, app grants, devices) before unblocking.
package closeout.activity.indicator_signins

import data.closeout.lib

# Sign-ins count from the revocation that ended the compromise, or from
# detection when there was none.
default cutoff_ns := 0

cutoff_ns := lib.remediated_ns

cutoff_ns := lib.remediation_floor_ns if not lib.remediated_ns

indicator_ips := {ip | some ip in input.incident.indicators.ips}

deny contains result if {
	some signin in input.signIns
	object.get(signin, "errorCode", -1) == 0
	signin.ipAddress in indicator_ips
	lib.ns(signin.createdDateTime) >= cutoff_ns
	result := {
		"msg": sprintf("successful sign-in from indicator IP %s at %s (%v, %v), after remediation", [signin.ipAddress, signin.createdDateTime, object.get(signin, "appDisplayName", ""), object.get(signin, "clientAppUsed", "")]),
		"ipAddress": signin.ipAddress,
		"createdDateTime": signin.createdDateTime,
		"countryOrRegion": object.get(signin, "countryOrRegion", null),
		"clientAppUsed": object.get(signin, "clientAppUsed", null),
	}
}
