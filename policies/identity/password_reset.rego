# METADATA
# title: Password changed after the compromise began
# description: >-
#   The attacker knows the password that was in place during the window. It
#   must have been changed after the compromise began (and after detection,
#   when recorded), or the attacker can simply sign in again.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/entra/identity/authentication/howto-sspr-deployment
#     description: Reset a user's password in Microsoft Entra ID
# custom:
#   id: CO-PWD-001
#   severity: critical
#   checklist: password-reset
#   requires: [user]
#   modes: [incident]
#   remediation: >-
#     After revoking sessions, reset the password and require a change at next sign-in:
#     PATCH https://graph.microsoft.com/v1.0/users/{user:url} with passwordProfile
#     {"password": "<new>", "forceChangePasswordNextSignIn": true}
#     (PowerShell: Update-MgUser -UserId {user} -PasswordProfile @{Password='<new>'; ForceChangePasswordNextSignIn=$true}).
package closeout.identity.password_reset

import data.closeout.lib

deny contains result if {
	not lib.has_time(lib.user, "lastPasswordChangeDateTime")
	result := {
		"msg": "no password change is recorded: lastPasswordChangeDateTime is empty",
		"windowStart": input.incident.windowStart,
	}
}

deny contains result if {
	changed := input.user.lastPasswordChangeDateTime
	lib.ns(changed) < lib.remediation_floor_ns
	result := {
		"msg": sprintf("password last changed %s, before %s %s", [changed, lib.remediation_floor.name, lib.remediation_floor_text]),
		"lastPasswordChangeDateTime": changed,
		lib.remediation_floor.name: lib.remediation_floor_text,
	}
}
