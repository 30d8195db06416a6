# METADATA
# title: No inbox rule hides mail from the user
# description: >-
#   After taking over a mailbox, attackers add rules that delete, mark as read
#   or move replies to folders nobody opens (RSS Subscriptions, Conversation
#   History, Archive, Junk, Deleted Items), usually keyed on words that would
#   give them away: invoice, payment, wire, bank, password, phish, hacked,
#   security, IT, helpdesk. Such a rule fails when it is conditioned on those
#   words or moves mail to RSS Subscriptions or Conversation History; other
#   delete, mark-as-read and bury rules warn, since users write those too.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/defender-office-365/detect-and-remediate-outlook-rules-forms-attack
#     description: Detect and remediate Outlook rules and custom forms injection attacks
#   - ref: https://learn.microsoft.com/en-us/powershell/module/exchange/remove-inboxrule
#     description: Remove-InboxRule
# custom:
#   id: CO-RULE-001
#   severity: high
#   checklist: malicious-rules-removed
#   requires: [mailbox.inboxRules]
#   modes: [incident, posture]
#   fails_on_partial_data: true
#   remediation: >-
#     Remove the rule: Get-InboxRule -Mailbox {user} -IncludeHidden | Format-List Name,Identity,Description;
#     then Remove-InboxRule -Mailbox {user} -Identity <rule identity> -Confirm:$false
package closeout.mail.coverup_rules

import data.closeout.lib

# Folders users rarely open, as Exchange and Graph name them, lower-cased.
burying_folders := {"rss subscriptions", "rss feeds", "conversation history", "archive", "junk email", "junk e-mail", "deleted items"}

never_legitimate_folders := {"rss subscriptions", "rss feeds", "conversation history"}

keyword_pattern := `(?i)\b(invoices?|payments?|wire|bank(ing)?|password|phish(ing)?|hack(ed)?|security|help ?desk|remittance|transfer|compromised?|suspicious)\b`

# Conditions that mention "IT" in capitals (an IT department), not "it".
it_pattern := `\bIT\b`

folder(rule) := lower(trim_space(rule.actions.moveToFolder)) if is_string(rule.actions.moveToFolder)

hiding_actions(rule) := {action |
	some action in ["delete", "permanentDelete", "markAsRead"]
	rule.actions[action] == true
} | {"moveToFolder" | folder(rule) in burying_folders}

condition_texts(rule) := {text |
	walk(object.get(rule, "conditions", {}), [_, text])
	is_string(text)
}

keywords(rule) := {text |
	some text in condition_texts(rule)
	regex.match(keyword_pattern, text)
} | {text |
	some text in condition_texts(rule)
	regex.match(it_pattern, text)
}

suspicious(rule) if count(keywords(rule)) > 0

suspicious(rule) if folder(rule) in never_legitimate_folders

deny contains result if {
	some rule in input.mailbox.inboxRules
	not lib.system_rule(rule)
	rule.enabled == true
	count(hiding_actions(rule)) > 0
	suspicious(rule)
	result := finding(rule)
}

warn contains result if {
	some rule in input.mailbox.inboxRules
	not lib.system_rule(rule)
	count(hiding_actions(rule)) > 0
	not blocking(rule)
	result := finding(rule)
}

blocking(rule) if {
	rule.enabled == true
	suspicious(rule)
}

finding(rule) := {
	"msg": sprintf("inbox rule %q %s%s%s", [
		object.get(rule, "name", ""),
		concat(" and ", sort([describe(rule, a) | some a in hiding_actions(rule)])),
		keyword_note(rule),
		state_note(rule),
	]),
	"rule": object.get(rule, "name", ""),
	"ruleId": object.get(rule, "id", ""),
	"actions": sort(hiding_actions(rule)),
	"keywords": sort(keywords(rule)),
	"hidden": object.get(rule, "hidden", false),
	"enabled": object.get(rule, "enabled", false),
}

describe(_, "delete") := "deletes mail"

describe(_, "permanentDelete") := "permanently deletes mail"

describe(_, "markAsRead") := "marks mail as read"

describe(rule, "moveToFolder") := sprintf("moves mail to %s", [rule.actions.moveToFolder])

default keyword_note(_) := ""

keyword_note(rule) := sprintf(" when it mentions %s", [concat(", ", sort(keywords(rule)))]) if suspicious_words(rule)

suspicious_words(rule) if count(keywords(rule)) > 0

default state_note(_) := ""

state_note(rule) := " (the rule is disabled)" if rule.enabled != true

state_note(rule) := "; the rule is hidden from Outlook" if {
	rule.enabled == true
	rule.hidden == true
}
