# METADATA
# title: No mail flow rule sends copies outside the organisation
# description: >-
#   A transport rule that redirects, blind-copies or adds recipients outside
#   the tenant exfiltrates mail for every mailbox it matches; attackers with
#   Exchange admin rights add them.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/exchange/security-and-compliance/mail-flow-rules/mail-flow-rules
#     description: Mail flow rules in Exchange Online
# custom:
#   id: CO-TEN-004
#   severity: critical
#   checklist: tenant-transport-rules-reviewed
#   requires: [exchange.transportRules]
#   modes: [tenant]
#   fails_on_partial_data: true
#   remediation: >-
#     Review the rule and remove it if it was not made on purpose: Get-TransportRule | Format-List Name,State,RedirectMessageTo,BlindCopyTo;
#     Remove-TransportRule -Identity <rule>. Tenant: {user:text}.
package closeout.tenant.transport_rule_forwarding

import data.closeout.lib

actions := ["redirectMessageTo", "blindCopyTo", "copyTo", "addToRecipients"]

# targets lists each (rule, action, recipient, placement) of an enabled rule.
targets contains [rule, action, address, lib.placement(address)] if {
	some rule in input.exchange.transportRules
	lower(object.get(rule, "state", "Enabled")) == "enabled"
	some action in actions
	some address in object.get(rule, action, [])
}

deny contains result if {
	some [rule, action, address, p] in targets
	p.placement == "outside"
	result := finding(rule, action, address, p, "outside the organisation")
}

# A recipient named without an address cannot be judged from the tenant
# document: it may be a mail contact outside.
unknown contains result if {
	some [rule, action, address, p] in targets
	p.placement == "unknown"
	result := finding(rule, action, address, p, "which may be outside the organisation")
}

finding(rule, action, address, p, where) := {
	"msg": sprintf("mail flow rule %q sends mail to %s (%s), %s: %s", [rule.name, address, action, where, p.reason]),
	"rule": rule.name,
	"action": action,
	"address": address,
	"placement": p.placement,
}
