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

# Every value Graph and Exchange use; anything else (null, or newer) cannot
# be judged.
known_states := active_states | {"disabled"}

known_audiences := external_audiences | {"none"}

default reply := {}

reply := input.mailbox.autoReply if is_object(input.mailbox.autoReply)

lower_or_null(v) := lower(v) if is_string(v)

lower_or_null(v) := null if not is_string(v)

unknown contains result if {
	not lower_or_null(object.get(reply, "status", null)) in known_states
	result := {
		"msg": sprintf("automatic-reply status is %s, not a state closeout can judge", [json.marshal(object.get(reply, "status", null))]),
		"status": object.get(reply, "status", null),
	}
}

unknown contains result if {
	lower_or_null(object.get(reply, "status", null)) in active_states
	not lower_or_null(object.get(reply, "externalAudience", null)) in known_audiences
	result := {
		"msg": sprintf("automatic replies are on and their external audience is %s, not one closeout can judge", [json.marshal(object.get(reply, "externalAudience", null))]),
		"externalAudience": object.get(reply, "externalAudience", null),
	}
}

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
