# METADATA
# title: No mail flow connector created or changed during the compromise window
# description: >-
#   An inbound connector lets a server the attacker runs send mail as the
#   organisation; an outbound one routes the organisation's mail through a
#   host of their choosing. When the compromised account could manage Exchange,
#   a connector created or changed during the window is the attacker's until
#   someone confirms otherwise.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/powershell/module/exchange/get-inboundconnector
#     description: Get-InboundConnector
#   - ref: https://learn.microsoft.com/en-us/powershell/module/exchange/get-outboundconnector
#     description: Get-OutboundConnector
# custom:
#   id: CO-CONN-001
#   severity: high
#   checklist: tenant-connectors-reviewed
#   requires: [connectors]
#   modes: [incident]
#   fails_on_partial_data: true
#   remediation: >-
#     Find who made the change (Search-UnifiedAuditLog -Operations New-InboundConnector,Set-InboundConnector,New-OutboundConnector,Set-OutboundConnector
#     -StartDate <window start>); remove a connector nobody vouches for (Remove-InboundConnector / Remove-OutboundConnector -Identity <name>)
#     or undo the change. If {user:text} could manage Exchange, review every other change it made in the window.
package closeout.activity.connectors_in_window

import data.closeout.lib

deny contains result if {
	some direction in ["inbound", "outbound"]
	some connector in object.get(input.connectors, direction, [])
	some [field, verb] in [["whenCreated", "created"], ["whenChanged", "changed"]]
	lib.has_time(connector, field)
	lib.in_window(connector[field])
	not created_at_same_time(connector, field)
	result := {
		"msg": sprintf("%s connector %q was %s %s, during the compromise window", [direction, connector.name, verb, connector[field]]),
		"connector": connector.name,
		"direction": direction,
		field: connector[field],
	}
}

# created_at_same_time holds for whenChanged of a connector created in the
# window and not changed since: one finding, not two.
created_at_same_time(connector, "whenChanged") if {
	lib.in_window(connector.whenCreated)
	connector.whenCreated == connector.whenChanged
}
