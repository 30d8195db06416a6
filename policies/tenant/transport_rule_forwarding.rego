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
#     Remove-TransportRule -Identity <rule>. Tenant: {user}.
package closeout.tenant.transport_rule_forwarding

import data.closeout.lib

actions := ["redirectMessageTo", "blindCopyTo", "copyTo", "addToRecipients"]

deny contains result if {
	some rule in input.exchange.transportRules
	lower(object.get(rule, "state", "Enabled")) == "enabled"
	some action in actions
	some address in object.get(rule, action, [])
	lib.external_address(address)
	result := {
		"msg": sprintf("mail flow rule %q sends mail to %s (%s), outside the organisation", [rule.name, address, action]),
		"rule": rule.name,
		"action": action,
		"address": address,
	}
}
