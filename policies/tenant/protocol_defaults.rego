# METADATA
# title: New mailboxes get IMAP and POP off
# description: >-
#   CAS mailbox plans set the client protocols of new mailboxes. With IMAP or
#   POP on in a plan, every new mailbox starts with a password-only way in.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/powershell/module/exchange/set-casmailboxplan
#     description: Set-CASMailboxPlan
# custom:
#   id: CO-TEN-008
#   severity: low
#   checklist: tenant-legacy-auth-blocked
#   requires: [exchange.casMailboxPlans]
#   modes: [tenant]
#   fails_on_partial_data: true
#   remediation: >-
#     Get-CASMailboxPlan | Set-CASMailboxPlan -ImapEnabled $false -PopEnabled $false. Tenant: {user:text}.
package closeout.tenant.protocol_defaults

warn contains result if {
	some plan in input.exchange.casMailboxPlans
	some protocol, field in {"IMAP": "imapEnabled", "POP": "popEnabled"}
	plan[field] == true
	result := {
		"msg": sprintf("mailbox plan %q gives new mailboxes %s", [plan.name, protocol]),
		"plan": plan.name,
		"protocol": protocol,
	}
}
