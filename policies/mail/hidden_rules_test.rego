package closeout.mail.hidden_rules_test

import data.closeout.fixtures
import data.closeout.mail.hidden_rules

hidden_rule := {"id": "h", "name": ".", "enabled": true, "hidden": true, "actions": {}}

junk_rule := {"id": "j", "name": "Junk E-mail Rule", "enabled": true, "hidden": true, "actions": {}}

test_allow_visible_rules if {
	count(hidden_rules.deny) == 0 with input as fixtures.incident_input
}

test_allow_exchange_junk_rule if {
	inp := object.union(fixtures.incident_input, {"mailbox": {"inboxRules": [junk_rule]}})
	count(hidden_rules.deny) == 0 with input as inp
}

test_deny_hidden_rule_in_incident if {
	inp := object.union(fixtures.incident_input, {"mailbox": {"inboxRules": [hidden_rule, junk_rule]}})
	some result in hidden_rules.deny with input as inp
	result.rule == "."
	count(hidden_rules.deny) == 1 with input as inp
}

test_warn_hidden_rule_in_posture if {
	inp := object.union(fixtures.posture_input, {"mailbox": {"inboxRules": [hidden_rule]}})
	count(hidden_rules.deny) == 0 with input as inp
	count(hidden_rules.warn) == 1 with input as inp
}
