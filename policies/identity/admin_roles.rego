# METADATA
# title: No unjustified privileged directory role
# description: >-
#   A privileged directory role (Global Administrator, Exchange Administrator,
#   Privileged Role Administrator, ...) on an account turns its compromise into
#   a tenant compromise. In incident mode each privileged role fails until it
#   is removed or waived with a justification; in a posture scan standing
#   privileged roles on ordinary accounts are a warning. A role the account is
#   only eligible for in Privileged Identity Management counts in an incident
#   too: whoever holds the account (and its MFA) can activate it; in a posture
#   scan it is the just-in-time practice to prefer, and raises nothing. A role
#   whose template the collector does not know (a custom role, or one newer
#   than closeout) may be privileged: it is unknown until someone looks.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/privileged-roles-permissions
#     description: Privileged roles and permissions in Microsoft Entra ID
#   - ref: https://learn.microsoft.com/en-us/graph/api/directoryrole-delete-member
#     description: Remove directory role member
# custom:
#   id: CO-ROLE-001
#   severity: high
#   checklist: admin-roles-reviewed
#   requires: [roles]
#   modes: [incident, posture]
#   fails_on_partial_data: true
#   remediation: >-
#     Remove each privileged role that is not justified, or move it to just-in-time PIM activation:
#     Get-MgUserTransitiveMemberOfAsDirectoryRole -UserId {user}; then
#     Remove-MgDirectoryRoleMemberDirectoryObjectByRef -DirectoryRoleId <role id> -DirectoryObjectId <user id>.
package closeout.identity.admin_roles

import data.closeout.lib

privileged contains role if {
	some role in input.roles
	role.privileged == true
}

eligible(role) if object.get(role, "assignment", "active") == "eligible"

unknown contains result if {
	some role in input.roles
	not is_boolean(object.get(role, "privileged", null))
	result := finding(role, "the account holds or can activate role %s, whose template closeout does not know: whether it is privileged cannot be judged")
}

deny contains result if {
	lib.incident_mode
	some role in privileged
	not eligible(role)
	result := finding(role, "the compromised account holds privileged role %s; remove it or record a justified exception")
}

deny contains result if {
	lib.incident_mode
	some role in privileged
	eligible(role)
	result := object.union(finding(role, "the compromised account can activate privileged role %s through PIM; remove the eligibility or record a justified exception"), {
		"assignment": "eligible",
		"startDateTime": object.get(role, "startDateTime", null),
	})
}

warn contains result if {
	not lib.incident_mode
	some role in privileged
	not eligible(role)
	result := finding(role, "account holds standing privileged role %s; prefer just-in-time activation (PIM)")
}

finding(role, format) := {
	"msg": sprintf(format, [role.displayName]),
	"role": role.displayName,
	"roleTemplateId": object.get(role, "roleTemplateId", null),
}
