package closeout.mail.inbox_rule_forwarding_test

import data.closeout.fixtures
import data.closeout.mail.inbox_rule_forwarding

rule(enabled, actions) := {
	"id": "r9",
	"name": ".",
	"enabled": enabled,
	"hidden": true,
	"actions": object.union({"forwardTo": [], "redirectTo": [], "forwardAsAttachmentTo": []}, actions),
}

with_rules(rules) := object.union(fixtures.posture_input, {"mailbox": {"inboxRules": rules}})

test_allow_rule_without_forwarding if {
	count(inbox_rule_forwarding.deny) == 0 with input as fixtures.posture_input
	count(inbox_rule_forwarding.warn) == 0 with input as fixtures.posture_input
}

test_deny_redirect_outside_in_exchange_form if {
	inp := with_rules([rule(true, {"redirectTo": [`"collector" [SMTP:collector@evil.example]`]})])
	some result in inbox_rule_forwarding.deny with input as inp
	result.action == "redirectTo"
	result.hidden == true
	contains(result.msg, "hidden from Outlook")
}

test_deny_forward_as_attachment if {
	inp := with_rules([rule(true, {"forwardAsAttachmentTo": ["x@evil.example"]})])
	count(inbox_rule_forwarding.deny) == 1 with input as inp
}

test_deny_each_outside_recipient if {
	inp := with_rules([rule(true, {"forwardTo": ["a@evil.example", "b@contoso.com", "c@other.example"]})])
	count(inbox_rule_forwarding.deny) == 2 with input as inp
}

test_allow_internal_forward if {
	inp := with_rules([rule(true, {"forwardTo": ["SMTP:team@Contoso.com"]})])
	count(inbox_rule_forwarding.deny) == 0 with input as inp
}

test_warn_disabled_rule if {
	inp := with_rules([rule(false, {"forwardTo": ["a@evil.example"]})])
	count(inbox_rule_forwarding.deny) == 0 with input as inp
	some result in inbox_rule_forwarding.warn with input as inp
	contains(result.msg, "disabled")
}

test_allow_null_recipient_lists if {
	inp := with_rules([{"id": "r1", "name": "x", "enabled": true, "actions": {"forwardTo": null}}])
	count(inbox_rule_forwarding.deny) == 0 with input as inp
}

eve := `"Eve" [EX:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=0a1b2c3d-eve]`

with_eve(type, ext) := object.union(with_rules([rule(true, {"redirectTo": [eve]})]), {"recipients": {eve: object.union(
	{"status": "resolved", "recipientTypeDetails": type, "resolvedBy": "Get-Recipient"},
	{k: v | some k, v in {"externalEmailAddress": ext}; v != null},
)}})

test_unknown_redirect_to_an_unresolved_address_book_recipient if {
	inp := with_rules([rule(true, {"redirectTo": [eve]})])
	count(inbox_rule_forwarding.deny) == 0 with input as inp
	some result in inbox_rule_forwarding.unknown with input as inp
	result.placement == "unknown"
}

test_deny_redirect_to_an_address_book_recipient_outside if {
	every type in ["GuestMailUser", "MailContact", "MailUser"] {
		denies := inbox_rule_forwarding.deny with input as with_eve(type, "SMTP:eve@evil.example")
		count(denies) == 1
		some result in denies
		contains(result.msg, type)
	}
}

test_allow_redirect_to_an_address_book_mailbox if {
	count(inbox_rule_forwarding.deny) == 0 with input as with_eve("UserMailbox", null)
	count(inbox_rule_forwarding.unknown) == 0 with input as with_eve("UserMailbox", null)
}

test_warn_disabled_rule_to_an_unresolved_recipient if {
	inp := with_rules([rule(false, {"redirectTo": [eve]})])
	count(inbox_rule_forwarding.unknown) == 0 with input as inp
	count(inbox_rule_forwarding.warn) == 1 with input as inp
}
