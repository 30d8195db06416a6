# METADATA
# title: No hidden inbox rule
# description: >-
#   Rules hidden from Outlook and the Exchange admin centre are made by editing
#   the mailbox over MAPI, which users never do. Exchange's own hidden
#   "Junk E-mail Rule" is expected and ignored. In incident mode any other
#   hidden rule fails; in a posture scan it warns.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/powershell/module/exchange/get-inboxrule
#     description: Get-InboxRule -IncludeHidden
# custom:
#   id: CO-RULE-002
#   severity: high
#   checklist: malicious-rules-removed
#   requires: [mailbox.inboxRules]
#   modes: [incident, posture]
#   fails_on_partial_data: true
#   remediation: >-
#     Show and remove hidden rules: Get-InboxRule -Mailbox {user} -IncludeHidden | Where-Object { $_.Name -ne 'Junk E-mail Rule' };
#     then Remove-InboxRule -Mailbox {user} -Identity <rule identity> -Confirm:$false
package closeout.mail.hidden_rules

import data.closeout.lib

hidden contains rule if {
	some rule in input.mailbox.inboxRules
	rule.hidden == true
	not lib.system_rule(rule)
}

deny contains result if {
	lib.incident_mode
	some rule in hidden
	result := finding(rule)
}

warn contains result if {
	not lib.incident_mode
	some rule in hidden
	result := finding(rule)
}

finding(rule) := {
	"msg": sprintf("inbox rule %q is hidden from Outlook", [object.get(rule, "name", "")]),
	"rule": object.get(rule, "name", ""),
	"ruleId": object.get(rule, "id", ""),
}
