# METADATA
# title: Guests hold no privileged role
# description: >-
#   An example of a custom policy that builds on closeout's library
#   (import data.closeout.lib): ACME allows guests in its directory, never
#   with a privileged role. lib.guest_form is the library's test for a guest's
#   user principal name (#EXT#).
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/best-practices
#     description: Best practices for Microsoft Entra roles
# custom:
#   id: ACME-002
#   severity: critical
#   checklist: custom-guest-admin
#   requires: [user, roles]
#   modes: [posture, incident]
#   remediation: >-
#     Remove the privileged roles from {user}; invite the person as a member of
#     the tenant if they need them.
package custom.acme.guest_admin

import data.closeout.lib

guest if input.user.userType == "Guest"

guest if lib.guest_form(input.user.userPrincipalName)

privileged_roles contains role.displayName if {
	some role in input.roles
	role.privileged == true
}

deny contains result if {
	guest
	count(privileged_roles) > 0
	result := {
		"msg": sprintf("a guest holds %s", [concat(", ", sort(privileged_roles))]),
		"roles": sort(privileged_roles),
	}
}
