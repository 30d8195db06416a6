# METADATA
# title: No automatic reply to outside senders left by the attacker
# description: >-
#   An automatic reply to external senders can point the user's contacts to
#   the attacker ("I have moved, write to ..."), or confirm to a phishing
#   campaign that the address is live. In incident mode an enabled or scheduled
#   reply to external audiences warns, so the responder confirms the user set it.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/graph/api/resources/automaticrepliessetting
#     description: automaticRepliesSetting
# custom:
#   id: CO-MAIL-003
#   severity: medium
#   checklist: forwarding-removed
#   requires: [mailbox.autoReply]
#   modes: [incident]
#   remediation: >-
#     Read the reply with the user; if they did not write it, turn it off:
#     Set-MailboxAutoReplyConfiguration -Identity {user} -AutoReplyState Disabled
package closeout.mail.auto_reply_external

active_states := {"alwaysenabled", "enabled", "scheduled"}

external_audiences := {"all", "contactsonly", "known"}

warn contains result if {
	reply := input.mailbox.autoReply
	lower(reply.status) in active_states
	lower(reply.externalAudience) in external_audiences
	result := {
		"msg": sprintf("automatic replies are %s for external senders (%s); confirm the user set them", [reply.status, reply.externalAudience]),
		"status": reply.status,
		"externalAudience": reply.externalAudience,
	}
}
