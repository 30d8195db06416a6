# METADATA
# title: No inbox rule created during the compromise window
# description: >-
#   Whatever a rule does, one created while the attacker held the mailbox is
#   the attacker's until the user confirms it. Applies where a creation time
#   is known.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/defender-office-365/detect-and-remediate-outlook-rules-forms-attack
#     description: Detect and remediate Outlook rules and custom forms injection attacks
# custom:
#   id: CO-RULE-003
#   severity: high
#   checklist: malicious-rules-removed
#   requires: [mailbox.inboxRules]
#   modes: [incident]
#   fails_on_partial_data: true
#   remediation: >-
#     Confirm the rule with the user or remove it: Remove-InboxRule -Mailbox {user} -Identity <rule identity> -Confirm:$false
package closeout.mail.rules_in_window

import data.closeout.lib

deny contains result if {
	some rule in input.mailbox.inboxRules
	lib.in_window(rule.createdDateTime)
	result := {
		"msg": sprintf("inbox rule %q was created %s, during the compromise window", [object.get(rule, "name", ""), rule.createdDateTime]),
		"rule": object.get(rule, "name", ""),
		"ruleId": object.get(rule, "id", ""),
		"createdDateTime": rule.createdDateTime,
	}
}
