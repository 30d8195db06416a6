# METADATA
# title: IMAP, POP and SMTP AUTH disabled for the mailbox
# description: >-
#   IMAP, POP and SMTP AUTH accept a password alone: they bypass MFA and
#   Conditional Access that relies on modern authentication, so a stolen
#   password keeps working through them. Attackers use them to download the
#   mailbox and to send mail as the user. A mailbox whose SMTP AUTH setting is
#   null follows the organisation default, which the tenant policies check.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission
#     description: Enable or disable SMTP AUTH in Exchange Online
#   - ref: https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/pop3-and-imap4/enable-or-disable-pop3-or-imap4-access
#     description: Enable or disable POP3 or IMAP4 access
# custom:
#   id: CO-PROTO-001
#   severity: high
#   checklist: legacy-protocols-disabled
#   requires: [mailbox.protocols]
#   modes: [incident, posture]
#   fails_on_partial_data: true
#   remediation: >-
#     Turn the legacy protocols off:
#     Set-CASMailbox -Identity {user} -ImapEnabled $false -PopEnabled $false -SmtpClientAuthenticationDisabled $true
package closeout.mail.legacy_protocols

names := {
	"imap": "IMAP",
	"pop": "POP",
	"smtpAuth": "SMTP AUTH",
}

deny contains result if {
	some protocol, name in names
	input.mailbox.protocols[protocol] == true
	result := {
		"msg": sprintf("%s is enabled for the mailbox", [name]),
		"protocol": protocol,
	}
}

# IMAP and POP are always set on a mailbox; one not read as true or false
# cannot be judged. (A null smtpAuth is the organisation default, judged by
# the tenant's CO-TEN policies.)
default protocols := {}

protocols := input.mailbox.protocols if is_object(input.mailbox.protocols)

unknown contains result if {
	some protocol in ["imap", "pop"]
	not is_boolean(object.get(protocols, protocol, null))
	result := {
		"msg": sprintf("%s is neither on nor off in the data Exchange returned", [names[protocol]]),
		"protocol": protocol,
	}
}
