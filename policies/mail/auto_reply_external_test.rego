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

# A value that was not sent, or not understood, is not a pass.
test_unknown_status_null if {
	some result in auto_reply_external.unknown with input as with_reply(null, "none")
	contains(result.msg, "status is null")
}

test_unknown_status_newer if {
	count(auto_reply_external.unknown) == 1 with input as with_reply("scheduledRecurring", "all")
}

test_unknown_audience_null_when_on if {
	some result in auto_reply_external.unknown with input as with_reply("alwaysEnabled", null)
	contains(result.msg, "external audience is null")
}

test_audience_irrelevant_when_off if {
	count(auto_reply_external.unknown) == 0 with input as with_reply("disabled", null)
}

test_known_values_are_judged if {
	every status in ["disabled", "alwaysEnabled", "Scheduled"] {
		every audience in ["none", "ContactsOnly", "all"] {
			count(auto_reply_external.unknown) == 0 with input as with_reply(status, audience)
		}
	}
}
