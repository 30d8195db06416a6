package closeout.mail.mailbox_audit_test

import data.closeout.fixtures
import data.closeout.mail.mailbox_audit

with_audit(audit) := object.union(fixtures.posture_input, {"mailbox": {"audit": audit}})

test_allow_audited_mailbox if {
	inp := with_audit({"auditEnabled": true, "auditBypassEnabled": false})
	count(mailbox_audit.deny) == 0 with input as inp
	count(mailbox_audit.unknown) == 0 with input as inp
}

test_deny_bypass if {
	inp := with_audit({"auditEnabled": true, "auditBypassEnabled": true})
	some result in mailbox_audit.deny with input as inp
	result.field == "auditBypassEnabled"
}

test_deny_audit_off if {
	inp := with_audit({"auditEnabled": false, "auditBypassEnabled": false})
	some result in mailbox_audit.deny with input as inp
	result.field == "auditEnabled"
}

test_unknown_when_a_value_is_missing if {
	inp := with_audit({"auditEnabled": true, "auditBypassEnabled": null})
	count(mailbox_audit.deny) == 0 with input as inp
	some result in mailbox_audit.unknown with input as inp
	result.field == "auditBypassEnabled"
}
