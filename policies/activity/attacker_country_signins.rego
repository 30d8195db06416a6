# METADATA
# title: No successful sign-in after revocation from the attacker's countries
# description: >-
#   The attacker's countries are those of the window's sign-ins that came from
#   an indicator IP or that Identity Protection rated medium or high risk, and
#   that do not appear in the account's sign-ins before the window. A
#   successful sign-in from one of them after sessions were revoked means the
#   attacker may still get in from a new address.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/graph/api/signin-list
#     description: List sign-ins
# custom:
#   id: CO-ACT-002
#   severity: high
#   checklist: attacker-access-ended
#   requires: [signIns, user]
#   modes: [incident]
#   remediation: >-
#     Check the sign-in with {user:text}; if it was not them, block sign-in (Update-MgUser -UserId {user} -AccountEnabled:$false),
#     revoke sessions (Revoke-MgUserSignInSession -UserId {user}) and look for the access that was missed.
package closeout.activity.attacker_country_signins

import data.closeout.lib

risky_levels := {"medium", "high"}

indicator_ips := {ip | some ip in input.incident.indicators.ips}

attacker_signin(signin) if signin.ipAddress in indicator_ips

attacker_signin(signin) if signin.riskLevelDuringSignIn in risky_levels

baseline_countries := {signin.countryOrRegion |
	some signin in input.signIns
	lib.ns(signin.createdDateTime) < lib.window_start_ns
}

attacker_countries := {signin.countryOrRegion |
	some signin in input.signIns
	lib.in_window(signin.createdDateTime)
	attacker_signin(signin)
	country := signin.countryOrRegion
	lib.present(country)
	not country in baseline_countries
}

deny contains result if {
	revoked := lib.remediated_ns
	some signin in input.signIns
	object.get(signin, "errorCode", -1) == 0
	lib.ns(signin.createdDateTime) >= revoked
	signin.countryOrRegion in attacker_countries
	not object.get(signin, "ipAddress", null) in indicator_ips
	result := {
		"msg": sprintf("successful sign-in at %s from %s (%s), a country seen only in the attacker's sign-ins, after sessions were revoked", [signin.createdDateTime, signin.countryOrRegion, object.get(signin, "ipAddress", "unknown IP")]),
		"ipAddress": object.get(signin, "ipAddress", null),
		"countryOrRegion": signin.countryOrRegion,
		"createdDateTime": signin.createdDateTime,
	}
}
