package closeout.mail.coverup_rules_test

import data.closeout.fixtures
import data.closeout.mail.coverup_rules

rule(enabled, conditions, actions) := {
	"id": "r9",
	"name": "..",
	"enabled": enabled,
	"hidden": false,
	"conditions": conditions,
	"actions": actions,
}

with_rules(rules) := object.union(fixtures.posture_input, {"mailbox": {"inboxRules": rules}})

test_allow_ordinary_filing_rule if {
	count(coverup_rules.deny) == 0 with input as fixtures.posture_input
	count(coverup_rules.warn) == 0 with input as fixtures.posture_input
}

test_deny_move_to_rss_on_invoice if {
	inp := with_rules([rule(true, {"subjectOrBodyContains": ["Invoice", "payment"]}, {"moveToFolder": "RSS Subscriptions", "markAsRead": true})])
	some result in coverup_rules.deny with input as inp
	result.keywords == ["Invoice", "payment"]
	result.actions == ["markAsRead", "moveToFolder"]
	contains(result.msg, "moves mail to RSS Subscriptions")
}

test_deny_delete_on_it_helpdesk if {
	inp := with_rules([rule(true, {"fromAddresses": ["IT Helpdesk <it@contoso.com>"]}, {"delete": true})])
	count(coverup_rules.deny) == 1 with input as inp
}

test_deny_conversation_history_without_keywords if {
	inp := with_rules([rule(true, {}, {"moveToFolder": "Conversation History"})])
	count(coverup_rules.deny) == 1 with input as inp
}

test_deny_keyword_in_nested_condition if {
	inp := with_rules([rule(true, {"bodyContains": ["your account was hacked"]}, {"permanentDelete": true})])
	some result in coverup_rules.deny with input as inp
	result.keywords == ["your account was hacked"]
}

test_warn_delete_without_keywords if {
	inp := with_rules([rule(true, {"senderContains": ["newsletter"]}, {"delete": true})])
	count(coverup_rules.deny) == 0 with input as inp
	count(coverup_rules.warn) == 1 with input as inp
}

test_warn_disabled_suspicious_rule if {
	inp := with_rules([rule(false, {"subjectContains": ["wire"]}, {"moveToFolder": "Archive"})])
	count(coverup_rules.deny) == 0 with input as inp
	some result in coverup_rules.warn with input as inp
	contains(result.msg, "disabled")
}

# "it" in lower case is an ordinary word, not the IT department.
test_lowercase_it_is_not_a_keyword if {
	inp := with_rules([rule(true, {"subjectContains": ["make it stop"]}, {"markAsRead": true})])
	count(coverup_rules.deny) == 0 with input as inp
	count(coverup_rules.warn) == 1 with input as inp
}

test_hidden_note if {
	r := object.union(rule(true, {"subjectContains": ["bank"]}, {"delete": true}), {"hidden": true})
	some result in coverup_rules.deny with input as with_rules([r])
	contains(result.msg, "hidden from Outlook")
}

test_allow_exchange_junk_rule if {
	junk := object.union(rule(true, {}, {"moveToFolder": "Junk Email"}), {"name": "Junk E-mail Rule", "hidden": true})
	count(coverup_rules.deny) == 0 with input as with_rules([junk])
	count(coverup_rules.warn) == 0 with input as with_rules([junk])
}
