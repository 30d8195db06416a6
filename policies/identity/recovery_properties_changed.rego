# METADATA
# title: No recovery contact changed during the window
# description: >-
#   Alternate email addresses (otherMails), the strong-authentication phone and
#   email, and the mobile phone are where password-reset links and codes go.
#   The directory audit records each change with its old and new value; a
#   change inside the compromise window is treated as the attacker's until the
#   responder restores the user's own values.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/entra/identity/monitoring-health/reference-audit-activities
#     description: Microsoft Entra audit log activity reference
# custom:
#   id: CO-REC-002
#   severity: high
#   checklist: recovery-options-cleaned
#   requires: [audits]
#   modes: [incident]
#   fails_on_partial_data: true
#   remediation: >-
#     Restore the recovery contacts to the user's own: PATCH https://graph.microsoft.com/v1.0/users/{user:url} with
#     {"otherMails": [...], "mobilePhone": "..."}, and review GET .../users/{user:url}/authentication/methods
#     (PowerShell: Update-MgUser -UserId {user} -OtherMails @(...)).
package closeout.identity.recovery_properties_changed

import data.closeout.lib

# Property names as the directory audit writes them, lower-cased.
recovery_properties := {
	"othermail",
	"othermails",
	"strongauthenticationuserdetails",
	"strongauthenticationphoneappdetail",
	"strongauthenticationmethod",
	"mobilephone",
	"alternatemobilephones",
	"alternativesecurityid",
}

deny contains result if {
	some audit in input.audits
	lib.in_window(audit.activityDateTime)
	lower(object.get(audit, "result", "success")) == "success"
	some prop in object.get(audit, "targetProperties", [])
	lower(prop.name) in recovery_properties
	result := {
		"msg": sprintf("%s changed at %s by %s (%q), during the compromise window", [prop.name, audit.activityDateTime, object.get(audit, "initiatedBy", "unknown"), audit.activityDisplayName]),
		"property": prop.name,
		"oldValue": object.get(prop, "oldValue", null),
		"newValue": object.get(prop, "newValue", null),
		"activityDateTime": audit.activityDateTime,
		"initiatedBy": object.get(audit, "initiatedBy", null),
	}
}
