package closeout.mail.rules_in_window_test

import data.closeout.fixtures
import data.closeout.mail.rules_in_window

with_rule_created(at) := object.union(fixtures.incident_input, {"mailbox": {"inboxRules": [{
	"id": "r",
	"name": "x",
	"enabled": true,
	"createdDateTime": at,
	"actions": {},
}]}})

test_allow_rule_without_creation_time if {
	count(rules_in_window.deny) == 0 with input as fixtures.incident_input
}

test_deny_rule_created_in_window if {
	some result in rules_in_window.deny with input as with_rule_created("2026-11-20T09:12:40Z")
	result.createdDateTime == "2026-11-20T09:12:40Z"
}

test_allow_rule_created_before if {
	count(rules_in_window.deny) == 0 with input as with_rule_created("2025-11-20T09:12:40Z")
}
