# METADATA
# title: Sessions revoked after the compromise began
# description: >-
#   Every refresh and session token issued before the account's
#   signInSessionsValidFromDateTime is invalid. Unless that time is after the
#   compromise began (and after detection, when recorded), tokens the attacker
#   already holds keep working whatever else is changed. A password change by
#   the attacker inside the window also moves this time, which is why the
#   detection time is used when it is known.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/graph/api/user-revokesigninsessions
#     description: "user: revokeSignInSessions"
# custom:
#   id: CO-SESS-001
#   severity: critical
#   checklist: sessions-revoked
#   requires: [user]
#   modes: [incident]
#   remediation: >-
#     Revoke every session: POST https://graph.microsoft.com/v1.0/users/{user:url}/revokeSignInSessions
#     (PowerShell: Revoke-MgUserSignInSession -UserId {user}), then reset the password.
package closeout.identity.sessions_revoked

import data.closeout.lib

deny contains result if {
	not lib.has_time(lib.user, "signInSessionsValidFromDateTime")
	result := {
		"msg": "sessions were never revoked: signInSessionsValidFromDateTime is empty",
		"windowStart": input.incident.windowStart,
	}
}

deny contains result if {
	revoked := input.user.signInSessionsValidFromDateTime
	lib.ns(revoked) < lib.remediation_floor_ns
	result := {
		"msg": sprintf("sessions last revoked %s, before %s %s", [revoked, lib.remediation_floor.name, lib.remediation_floor_text]),
		"signInSessionsValidFromDateTime": revoked,
		lib.remediation_floor.name: lib.remediation_floor_text,
	}
}
