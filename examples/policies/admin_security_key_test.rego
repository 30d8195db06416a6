package custom.acme.admin_security_key_test

import data.custom.acme.admin_security_key

admin := {"displayName": "Global Administrator", "privileged": true}

test_deny_admin_without_key if {
	some result in admin_security_key.deny with input as {"roles": [admin], "authMethods": [{"type": "microsoftAuthenticator"}]}
	result.roles == ["Global Administrator"]
}

test_allow_admin_with_key if {
	count(admin_security_key.deny) == 0 with input as {"roles": [admin], "authMethods": [{"type": "fido2"}]}
}

test_allow_user_without_role if {
	count(admin_security_key.deny) == 0 with input as {"roles": [{"displayName": "Reports Reader", "privileged": false}], "authMethods": []}
}
