# METADATA
# title: No mailbox forwarding outside the organisation
# description: >-
#   Mailbox-level forwarding (ForwardingSmtpAddress, ForwardingAddress) sends a
#   copy of every message to another address, silently and outside any inbox
#   rule. Attackers set it to keep reading mail after they lose access.
#   Forwarding to a recipient outside the organisation fails: an address in a
#   domain the tenant does not accept, a guest, or a mail contact or mail user
#   (ForwardingAddress names one), whose mail goes out. A recipient Exchange
#   could not resolve is unknown; in incident mode forwarding inside the
#   organisation is flagged for review.
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

# placed lists each forwarding target with where it is.
placed contains [field, address, lib.placement(address)] if some field, address in targets

deny contains result if {
	some [field, address, p] in placed
	p.placement == "outside"
	result := finding(field, address, p, sprintf("mailbox forwards all mail to %s (%s), outside the organisation: %s", [address, field, p.reason]))
}

unknown contains result if {
	some [field, address, p] in placed
	p.placement == "unknown"
	result := finding(field, address, p, sprintf("mailbox forwards all mail to %s (%s), and whether it is outside the organisation cannot be told: %s", [address, field, p.reason]))
}

warn contains result if {
	lib.incident_mode
	some [field, address, p] in placed
	p.placement == "inside"
	result := finding(field, address, p, sprintf("mailbox forwards all mail to %s (%s) inside the organisation (%s); confirm the user set it, not the attacker", [address, field, p.reason]))
}

finding(field, address, p, msg) := {
	"msg": msg,
	"field": field,
	"address": address,
	"placement": p.placement,
	"why": p.reason,
	"deliverToMailboxAndForward": object.get(input.mailbox, "deliverToMailboxAndForward", null),
}
