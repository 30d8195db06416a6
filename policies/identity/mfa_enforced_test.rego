package closeout.identity.mfa_enforced_test

import data.closeout.fixtures
import data.closeout.identity.mfa_enforced

with_methods(types) := object.union(fixtures.posture_input, {"authMethods": [{"id": t, "type": t} | some t in types]})

test_allow_authenticator if {
	count(mfa_enforced.deny) == 0 with input as fixtures.posture_input
}

test_allow_fido2_beside_sms if {
	count(mfa_enforced.deny) == 0 with input as with_methods(["password", "phone", "fido2"])
}

test_deny_sms_only if {
	some result in mfa_enforced.deny with input as with_methods(["password", "phone"])
	contains(result.msg, "only weak second factors")
	result.methods == ["password", "phone"]
}

test_deny_email_only if {
	count(mfa_enforced.deny) == 1 with input as with_methods(["password", "email"])
}

test_deny_password_only if {
	some result in mfa_enforced.deny with input as with_methods(["password"])
	contains(result.msg, "no MFA method")
}

test_deny_temporary_access_pass_is_not_mfa if {
	count(mfa_enforced.deny) == 1 with input as with_methods(["password", "temporaryAccessPass"])
}

test_deny_no_methods_at_all if {
	count(mfa_enforced.deny) == 1 with input as object.union(fixtures.posture_input, {"authMethods": []})
}

test_allow_hardware_token_and_certificate if {
	count(mfa_enforced.deny) == 0 with input as with_methods(["password", "hardwareOath"])
	count(mfa_enforced.deny) == 0 with input as with_methods(["password", "x509Certificate"])
}

test_deny_qr_code_is_not_mfa if {
	count(mfa_enforced.deny) == 1 with input as with_methods(["password", "qrCodePin"])
}

test_unknown_method_type_is_unknown_not_fail if {
	inp := with_methods(["password", "phone", "other"])
	count(mfa_enforced.deny) == 0 with input as inp
	count(mfa_enforced.unknown) == 1 with input as inp
}

test_unknown_method_beside_a_strong_one_passes if {
	inp := with_methods(["password", "fido2", "other"])
	count(mfa_enforced.deny) == 0 with input as inp
	count(mfa_enforced.unknown) == 0 with input as inp
}
