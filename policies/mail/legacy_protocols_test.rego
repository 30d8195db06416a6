package closeout.mail.legacy_protocols_test

import data.closeout.fixtures
import data.closeout.mail.legacy_protocols

with_protocols(protocols) := object.union(fixtures.posture_input, {"mailbox": {"protocols": protocols}})

test_allow_all_off if {
	count(legacy_protocols.deny) == 0 with input as fixtures.posture_input
}

test_deny_imap if {
	some result in legacy_protocols.deny with input as with_protocols({"imap": true})
	result.protocol == "imap"
}

test_deny_each_enabled_protocol if {
	count(legacy_protocols.deny) == 3 with input as with_protocols({"imap": true, "pop": true, "smtpAuth": true})
}

# null means the organisation default, which the tenant policies judge.
test_allow_smtp_auth_org_default if {
	count(legacy_protocols.deny) == 0 with input as with_protocols({"smtpAuth": null})
}

test_unknown_when_imap_null if {
	some result in legacy_protocols.unknown with input as with_protocols({"imap": null})
	result.protocol == "imap"
}

test_unknown_when_pop_missing if {
	inp := json.remove(fixtures.posture_input, ["mailbox/protocols/pop"])
	some result in legacy_protocols.unknown with input as inp
	result.protocol == "pop"
}

test_smtp_auth_null_is_the_org_default if {
	count(legacy_protocols.unknown) == 0 with input as with_protocols({"smtpAuth": null})
}
