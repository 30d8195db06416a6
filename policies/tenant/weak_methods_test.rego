package closeout.tenant.weak_methods_test

import data.closeout.fixtures
import data.closeout.tenant.weak_methods

with_methods(methods) := object.union(fixtures.tenant_input, {"authenticationMethodsPolicy": {"methods": methods}})

test_allow_strong_methods_only if {
	count(weak_methods.warn) == 0 with input as fixtures.tenant_input
	count(weak_methods.warn) == 0 with input as with_methods([{"id": "Fido2", "state": "enabled"}, {"id": "Sms", "state": "disabled"}])
}

test_warn_sms_and_voice if {
	count(weak_methods.warn) == 2 with input as with_methods([{"id": "Sms", "state": "enabled"}, {"id": "Voice", "state": "enabled"}])
}
