package closeout.mail.auto_reply_external_test

import data.closeout.fixtures
import data.closeout.mail.auto_reply_external

with_reply(status, audience) := object.union(fixtures.incident_input, {"mailbox": {"autoReply": {"status": status, "externalAudience": audience}}})

test_allow_disabled if {
	count(auto_reply_external.warn) == 0 with input as fixtures.incident_input
}

test_allow_internal_only if {
	count(auto_reply_external.warn) == 0 with input as with_reply("alwaysEnabled", "none")
}

test_warn_external_reply if {
	some result in auto_reply_external.warn with input as with_reply("alwaysEnabled", "all")
	result.externalAudience == "all"
}

test_warn_scheduled_contacts if {
	count(auto_reply_external.warn) == 1 with input as with_reply("Scheduled", "ContactsOnly")
}
