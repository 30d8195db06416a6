# METADATA
# title: Security info registered during the window was removed
# description: >-
#   Phone methods carry no creation time, so the directory audit is the only
#   record of an attacker registering one. Security info registered during the
#   window fails unless a later removal of security info is in the audit log;
#   when one is, the finding warns so the responder confirms the right method
#   went.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/entra/identity/authentication/howto-mfa-reporting
#     description: Security info registration audit events
# custom:
#   id: CO-MFA-003
#   severity: high
#   checklist: mfa-methods-cleaned
#   requires: [audits]
#   modes: [incident]
#   remediation: >-
#     Review the methods registered in the window and delete the attacker's:
#     GET https://graph.microsoft.com/v1.0/users/{user:url}/authentication/methods;
#     Get-MgAuditLogDirectoryAudit -Filter "activityDisplayName eq 'User registered security info'" lists when each was added.
package closeout.identity.security_info_audit

import data.closeout.lib

registrations := {
	"User registered security info",
	"Admin registered security info",
	"User registered all required security info",
	"User changed default security info",
}

removals := {
	"User deleted security info",
	"Admin deleted security info",
}

registered contains audit if {
	some audit in input.audits
	audit.activityDisplayName in registrations
	lower(object.get(audit, "result", "success")) == "success"
	lib.in_window(audit.activityDateTime)
}

removed_after(audit) if {
	some later in input.audits
	later.activityDisplayName in removals
	lib.ns(later.activityDateTime) > lib.ns(audit.activityDateTime)
}

deny contains result if {
	some audit in registered
	not removed_after(audit)
	result := finding(audit, "and no removal of security info is recorded since")
}

warn contains result if {
	some audit in registered
	removed_after(audit)
	result := finding(audit, "and security info was removed later; confirm the attacker's method is the one that went")
}

finding(audit, tail) := {
	"msg": sprintf("%q at %s by %s, during the compromise window, %s", [audit.activityDisplayName, audit.activityDateTime, object.get(audit, "initiatedBy", "unknown"), tail]),
	"activity": audit.activityDisplayName,
	"activityDateTime": audit.activityDateTime,
	"initiatedBy": object.get(audit, "initiatedBy", null),
}
