package closeout.mail.mailbox_forwarding_test

import data.closeout.fixtures
import data.closeout.mail.mailbox_forwarding

with_mailbox(base, mailbox) := object.union(base, {"mailbox": mailbox})

test_allow_no_forwarding if {
	count(mailbox_forwarding.deny) == 0 with input as fixtures.incident_input
	count(mailbox_forwarding.warn) == 0 with input as fixtures.incident_input
}

test_deny_external_smtp_forwarding if {
	inp := with_mailbox(fixtures.posture_input, {"forwardingSmtpAddress": "smtp:exfil@Evil.example"})
	some result in mailbox_forwarding.deny with input as inp
	result.field == "forwardingSmtpAddress"
	result.address == "smtp:exfil@Evil.example"
}

test_deny_external_forwarding_address if {
	inp := with_mailbox(fixtures.posture_input, {"forwardingAddress": "exfil@evil.example"})
	count(mailbox_forwarding.deny) == 1 with input as inp
}

test_deny_lookalike_domain if {
	inp := with_mailbox(fixtures.posture_input, {"forwardingSmtpAddress": "smtp:ceo@contoso.com.evil.example"})
	count(mailbox_forwarding.deny) == 1 with input as inp
}

test_allow_internal_forwarding_in_posture_mode if {
	inp := with_mailbox(fixtures.posture_input, {"forwardingSmtpAddress": "SMTP:assistant@contoso.com"})
	count(mailbox_forwarding.deny) == 0 with input as inp
	count(mailbox_forwarding.warn) == 0 with input as inp
}

test_warn_internal_forwarding_in_incident_mode if {
	inp := with_mailbox(fixtures.incident_input, {"forwardingSmtpAddress": "smtp:assistant@contoso.com"})
	count(mailbox_forwarding.deny) == 0 with input as inp
	some result in mailbox_forwarding.warn with input as inp
	contains(result.msg, "confirm the user set it")
}

test_unknown_recipient_without_domain if {
	inp := with_mailbox(fixtures.posture_input, {"forwardingAddress": "Outside Contact"})
	count(mailbox_forwarding.deny) == 0 with input as inp
	count(mailbox_forwarding.warn) == 0 with input as inp
	some result in mailbox_forwarding.unknown with input as inp
	result.placement == "unknown"
}

with_resolved(base, mailbox, recipients) := object.union(with_mailbox(base, mailbox), {"recipients": recipients})

test_deny_forwarding_address_resolved_to_mail_contact if {
	inp := with_resolved(fixtures.posture_input, {"forwardingAddress": "Outside Contact"}, {"Outside Contact": {
		"status": "resolved", "recipientTypeDetails": "MailContact",
		"externalEmailAddress": "SMTP:drop@evil.example", "resolvedBy": "Get-Recipient",
	}})
	some result in mailbox_forwarding.deny with input as inp
	result.field == "forwardingAddress"
	contains(result.msg, "drop@evil.example")
	count(mailbox_forwarding.unknown) == 0 with input as inp
}

test_allow_forwarding_address_resolved_to_a_mailbox if {
	inp := with_resolved(fixtures.posture_input, {"forwardingAddress": "Assistant"}, {"Assistant": {
		"status": "resolved", "recipientTypeDetails": "UserMailbox", "primarySmtpAddress": "assistant@contoso.com",
		"resolvedBy": "Get-Recipient",
	}})
	count(mailbox_forwarding.deny) == 0 with input as inp
	count(mailbox_forwarding.unknown) == 0 with input as inp
	count(mailbox_forwarding.warn) == 0 with input as inp
}

test_deny_forwarding_to_a_guest_in_a_tenant_domain if {
	inp := with_mailbox(fixtures.posture_input, {"forwardingAddress": "eve_fabrikam.example#EXT#@contoso.onmicrosoft.com"})
	count(mailbox_forwarding.deny) == 1 with input as inp
}

test_allow_empty_string if {
	inp := with_mailbox(fixtures.posture_input, {"forwardingSmtpAddress": ""})
	count(mailbox_forwarding.deny) == 0 with input as inp
	count(mailbox_forwarding.warn) == 0 with input as inp
}
