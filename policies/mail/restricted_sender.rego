# METADATA
# title: Account not blocked from sending (restricted users list)
# description: >-
#   Microsoft blocks an account that sends outbound spam and puts it on the
#   restricted users list: usually because an attacker used it to phish or
#   spam from inside the organisation. In an incident the block is an open
#   item until the account is remediated and unblocked; in a posture scan a
#   blocked account is a sign of compromise nobody has handled.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/defender-office-365/outbound-spam-restore-restricted-users
#     description: Remove blocked users from the Restricted entities page
#   - ref: https://learn.microsoft.com/en-us/powershell/module/exchange/remove-blockedsenderaddress
#     description: Remove-BlockedSenderAddress
# custom:
#   id: CO-MAIL-004
#   severity: high
#   checklist: sending-unblocked
#   requires: [mailbox.restricted]
#   modes: [incident, posture]
#   remediation: >-
#     Once the account is remediated (password reset, sessions revoked, forwarding and rules removed), release it:
#     Remove-BlockedSenderAddress -SenderAddress {user} (or Microsoft Defender portal, Restricted entities).
#     In a posture scan, treat the account as compromised first: a block means it sent spam.
package closeout.mail.restricted_sender

import data.closeout.lib

deny contains result if {
	input.mailbox.restricted.blocked == true
	result := {
		"msg": sprintf("the account is on the restricted users list: Microsoft blocked it from sending%s%s%s", [since, reason, advice]),
		"reason": object.get(input.mailbox.restricted, "reason", null),
		"createdDateTime": object.get(input.mailbox.restricted, "createdDateTime", null),
		"temporary": object.get(input.mailbox.restricted, "temporary", null),
	}
}

default since := ""

since := sprintf(" on %s", [input.mailbox.restricted.createdDateTime]) if lib.present(input.mailbox.restricted.createdDateTime)

default reason := ""

reason := sprintf(" (%s)", [input.mailbox.restricted.reason]) if lib.present(input.mailbox.restricted.reason)

default advice := "; it sent mail Microsoft classified as spam: treat it as compromised"

advice := "; unblock it once remediation is done" if lib.incident_mode
