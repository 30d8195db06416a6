package custom.acme.guest_admin_test

import data.custom.acme.guest_admin

admin := {"displayName": "Global Administrator", "privileged": true}

test_deny_guest_by_type if {
	some result in guest_admin.deny with input as {"user": {"userPrincipalName": "x@contoso.com", "userType": "Guest"}, "roles": [admin]}
	result.roles == ["Global Administrator"]
}

test_deny_guest_by_name if {
	count(guest_admin.deny) == 1 with input as {"user": {"userPrincipalName": "x_fabrikam.com#EXT#@contoso.onmicrosoft.com", "userType": "Member"}, "roles": [admin]}
}

test_allow_member_admin if {
	count(guest_admin.deny) == 0 with input as {"user": {"userPrincipalName": "x@contoso.com", "userType": "Member"}, "roles": [admin]}
}

test_allow_guest_without_privilege if {
	count(guest_admin.deny) == 0 with input as {"user": {"userPrincipalName": "x@contoso.com", "userType": "Guest"}, "roles": [{"displayName": "Reports Reader", "privileged": false}]}
}
