# METADATA
# title: Identity Protection risk remediated or dismissed
# description: >-
#   Microsoft Entra ID Protection marks a user atRisk or confirmedCompromised
#   from leaked credentials, anomalous sign-ins and admin action. Until the
#   risk is remediated (a secure password reset, or an admin's dismissal after
#   review), risk-based Conditional Access keeps treating the account as
#   compromised and the detections remain open.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/entra/id-protection/howto-identity-protection-remediate-unblock
#     description: Remediate risks and unblock users
#   - ref: https://learn.microsoft.com/en-us/graph/api/riskyuser-dismiss
#     description: "riskyUser: dismiss"
# custom:
#   id: CO-RISK-001
#   severity: high
#   checklist: risk-remediated
#   requires: [risk]
#   modes: [incident, posture]
#   fails_on_partial_data: true
#   remediation: >-
#     After a secure password reset the risk is remediated automatically; if it remains, confirm or dismiss it:
#     POST https://graph.microsoft.com/v1.0/identityProtection/riskyUsers/dismiss with {"userIds": ["<object id of {user:text}>"]}
#     (PowerShell: Invoke-MgDismissRiskyUser -UserIds (Get-MgUser -UserId {user}).Id).
package closeout.identity.risk_remediated

open_states := {"atRisk", "confirmedCompromised"}

# closed_states are the states in which nothing is left to do. Anything
# else (null, or a state newer than this library) cannot be judged.
closed_states := {"none", "confirmedSafe", "remediated", "dismissed"}

default risk_state := null

risk_state := input.risk.riskState if is_object(input.risk)

default risk_detail := null

risk_detail := input.risk.riskDetail if is_object(input.risk)

unknown contains result if {
	not risk_state in open_states
	not risk_state in closed_states
	result := {
		"msg": sprintf("Identity Protection riskState is %v, which says neither open nor remediated", [json.marshal(risk_state)]),
		"riskState": risk_state,
		"riskDetail": risk_detail,
	}
}

deny contains result if {
	state := input.risk.riskState
	state in open_states
	result := {
		"msg": sprintf("Identity Protection risk is %s (level %v) and was not remediated or dismissed", [state, object.get(input.risk, "riskLevel", "unknown")]),
		"riskState": state,
		"riskLevel": object.get(input.risk, "riskLevel", null),
		"riskLastUpdatedDateTime": object.get(input.risk, "riskLastUpdatedDateTime", null),
	}
}
