# METADATA
# title: No mailbox forwarding outside the organisation
# description: >-
#   Mailbox-level forwarding (ForwardingSmtpAddress, ForwardingAddress) sends a
#   copy of every message to another address, silently and outside any inbox
#   rule. Attackers set it to keep reading mail after they lose access.
#   Forwarding to an address outside the tenant's domains fails; in incident
#   mode any forwarding left in place is flagged for review.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/defender-office-365/outbound-spam-policies-external-email-forwarding
#     description: Control automatic external email forwarding
#   - ref: https://learn.microsoft.com/en-us/powershell/module/exchange/set-mailbox
#     description: Set-Mailbox
# custom:
#   id: CO-MAIL-001
#   severity: critical
#   checklist: forwarding-removed
#   requires: [mailbox.forwarding]
#   modes: [incident, posture]
#   fails_on_partial_data: true
#   remediation: >-
#     Remove mailbox forwarding:
#     Set-Mailbox -Identity {user} -ForwardingSmtpAddress $null -ForwardingAddress $null -DeliverToMailboxAndForward $false
package closeout.mail.mailbox_forwarding

import data.closeout.lib

# targets maps each forwarding field that is set to its value.
targets[field] := address if {
	some field in ["forwardingSmtpAddress", "forwardingAddress"]
	address := input.mailbox[field]
	lib.present(address)
}

deny contains result if {
	some field, address in targets
	lib.external_address(address)
	result := {
		"msg": sprintf("mailbox forwards all mail to %s (%s), outside the organisation", [address, field]),
		"field": field,
		"address": address,
		"deliverToMailboxAndForward": object.get(input.mailbox, "deliverToMailboxAndForward", null),
	}
}

# ForwardingAddress names a recipient object, which may be a mail contact
# whose real address is outside; without a domain it cannot be judged here.
warn contains result if {
	some field, address in targets
	not lib.address_domain(address)
	result := {
		"msg": sprintf("mailbox forwards all mail to recipient %q (%s); confirm it is not a mail contact outside the organisation", [address, field]),
		"field": field,
		"address": address,
	}
}

warn contains result if {
	lib.incident_mode
	some field, address in targets
	lib.internal_domain(lib.address_domain(address))
	result := {
		"msg": sprintf("mailbox forwards all mail to %s (%s) inside the organisation; confirm the user set it, not the attacker", [address, field]),
		"field": field,
		"address": address,
	}
}
