# METADATA
# title: Password changed after sessions were revoked
# description: >-
#   Sessions must be revoked before the password is reset. While the
#   attacker's session is live they can read the reset notice, watch the new
#   password arrive, or change it again themselves. Entra moves
#   signInSessionsValidFromDateTime to the time of a password change, so a
#   revocation that came after the reset shows as a validity time more than
#   30 seconds after lastPasswordChangeDateTime.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/graph/api/resources/user
#     description: "user: signInSessionsValidFromDateTime and lastPasswordChangeDateTime"
# custom:
#   id: CO-PWD-002
#   severity: high
#   checklist: password-reset
#   requires: [user]
#   modes: [incident]
#   remediation: >-
#     Sessions are now revoked: reset the password once more so the new password was never visible to a live attacker session
#     (PATCH https://graph.microsoft.com/v1.0/users/{user:url} with a new passwordProfile, or
#     Update-MgUser -UserId {user} -PasswordProfile @{Password='<new>'; ForceChangePasswordNextSignIn=$true}).
package closeout.identity.password_reset_order

import data.closeout.lib

# Both timestamps are written by the directory for a password change; allow
# for them not being identical to the nanosecond.
tolerance_ns := 30 * 1000000000

deny contains result if {
	changed := input.user.lastPasswordChangeDateTime
	revoked := input.user.signInSessionsValidFromDateTime
	lib.ns(changed) + tolerance_ns < lib.ns(revoked)
	lib.ns(changed) >= lib.window_start_ns
	result := {
		"msg": sprintf("password was changed %s, before sessions were revoked %s: a live attacker session could see the new password", [changed, revoked]),
		"lastPasswordChangeDateTime": changed,
		"signInSessionsValidFromDateTime": revoked,
	}
}

deny contains result if {
	changed := input.user.lastPasswordChangeDateTime
	lib.ns(changed) >= lib.window_start_ns
	not lib.has_time(lib.user, "signInSessionsValidFromDateTime")
	result := {
		"msg": sprintf("password was changed %s but sessions were never revoked: attacker sessions stayed live through the reset", [changed]),
		"lastPasswordChangeDateTime": changed,
	}
}
