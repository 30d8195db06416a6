package closeout.identity.admin_roles_test

import data.closeout.fixtures
import data.closeout.identity.admin_roles

global_admin := {"id": "r-ga", "displayName": "Global Administrator", "roleTemplateId": "62e90394-69f5-4237-9190-012177145e10", "privileged": true}

test_allow_unprivileged_roles if {
	count(admin_roles.deny) == 0 with input as fixtures.incident_input
	count(admin_roles.warn) == 0 with input as fixtures.posture_input
}

test_deny_privileged_role_in_incident if {
	inp := object.union(fixtures.incident_input, {"roles": [global_admin]})
	some result in admin_roles.deny with input as inp
	result.role == "Global Administrator"
	count(admin_roles.warn) == 0 with input as inp
}

test_warn_privileged_role_in_posture if {
	inp := object.union(fixtures.posture_input, {"roles": [global_admin]})
	count(admin_roles.deny) == 0 with input as inp
	some result in admin_roles.warn with input as inp
	contains(result.msg, "just-in-time")
}

test_unknown_role_template if {
	newer := {"id": "r-new", "displayName": "Future Administrator", "roleTemplateId": "00000000-0000-4000-8000-00000000f00d", "privileged": null}
	inp := object.union(fixtures.incident_input, {"roles": [newer]})
	count(admin_roles.deny) == 0 with input as inp
	some result in admin_roles.unknown with input as inp
	result.roleTemplateId == "00000000-0000-4000-8000-00000000f00d"
}

test_privileged_role_outranks_an_unknown_one if {
	newer := {"id": "r-new", "displayName": "Future Administrator", "roleTemplateId": "00000000-0000-4000-8000-00000000f00d"}
	inp := object.union(fixtures.incident_input, {"roles": [global_admin, newer]})
	count(admin_roles.deny) == 1 with input as inp
	count(admin_roles.unknown) == 1 with input as inp
}

eligible_admin := object.union(global_admin, {"assignment": "eligible", "startDateTime": "2026-11-20T09:12:00Z"})

test_deny_eligible_privileged_role_in_incident if {
	inp := object.union(fixtures.incident_input, {"roles": [eligible_admin]})
	some result in admin_roles.deny with input as inp
	contains(result.msg, "through PIM")
	result.startDateTime == "2026-11-20T09:12:00Z"
}

test_allow_eligible_privileged_role_in_posture if {
	inp := object.union(fixtures.posture_input, {"roles": [eligible_admin]})
	count(admin_roles.warn) == 0 with input as inp
	count(admin_roles.deny) == 0 with input as inp
}
