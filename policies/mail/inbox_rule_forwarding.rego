# METADATA
# title: No inbox rule forwards or redirects mail outside the organisation
# description: >-
#   An inbox rule that forwards, redirects or forwards as attachment to a
#   recipient outside the organisation is the most common persistence an
#   attacker leaves in a mailbox, often hidden from Outlook and named to look
#   harmless. Outside means an address in a domain the tenant does not accept,
#   a guest, or a mail contact or mail user picked from the address book
#   (Exchange writes it as [EX:…]; closeout resolves it). Enabled rules fail,
#   or are unknown when a recipient cannot be resolved; disabled ones warn,
#   since anyone with access can turn them on.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/defender-office-365/detect-and-remediate-outlook-rules-forms-attack
#     description: Detect and remediate Outlook rules and custom forms injection attacks
#   - ref: https://learn.microsoft.com/en-us/powershell/module/exchange/remove-inboxrule
#     description: Remove-InboxRule
# custom:
#   id: CO-MAIL-002
#   severity: critical
#   checklist: forwarding-removed
#   requires: [mailbox.inboxRules]
#   modes: [incident, posture]
#   fails_on_partial_data: true
#   remediation: >-
#     List every rule, hidden ones included, and remove the forwarding ones:
#     Get-InboxRule -Mailbox {user} -IncludeHidden | Format-List Name,Identity,ForwardTo,RedirectTo,ForwardAsAttachmentTo;
#     then Remove-InboxRule -Mailbox {user} -Identity <rule identity> -Confirm:$false
package closeout.mail.inbox_rule_forwarding

import data.closeout.lib

forwarding_actions := ["forwardTo", "redirectTo", "forwardAsAttachmentTo"]

# targets lists each (rule, action, recipient, placement) of a rule that
# sends mail on, wherever it goes.
targets contains [rule, action, address, lib.placement(address)] if {
	some rule in input.mailbox.inboxRules
	some action in forwarding_actions
	some address in rule.actions[action]
}

deny contains result if {
	some [rule, action, address, p] in targets
	p.placement == "outside"
	rule.enabled == true
	result := finding(rule, action, address, p, "")
}

unknown contains result if {
	some [rule, action, address, p] in targets
	p.placement == "unknown"
	rule.enabled == true
	result := finding(rule, action, address, p, "")
}

warn contains result if {
	some [rule, action, address, p] in targets
	p.placement != "inside"
	rule.enabled != true
	result := finding(rule, action, address, p, " (rule is disabled)")
}

finding(rule, action, address, p, note) := {
	"msg": sprintf("inbox rule %q %s %s, %s: %s%s%s", [object.get(rule, "name", ""), verbs[action], address, where[p.placement], p.reason, hidden_note(rule), note]),
	"rule": object.get(rule, "name", ""),
	"ruleId": object.get(rule, "id", ""),
	"action": action,
	"address": address,
	"placement": p.placement,
	"why": p.reason,
	"hidden": object.get(rule, "hidden", false),
}

where := {
	"outside": "outside the organisation",
	"unknown": "which may be outside the organisation",
}

verbs := {
	"forwardTo": "forwards mail to",
	"redirectTo": "redirects mail to",
	"forwardAsAttachmentTo": "forwards mail as attachment to",
}

default hidden_note(_) := ""

hidden_note(rule) := "; the rule is hidden from Outlook" if rule.hidden == true
