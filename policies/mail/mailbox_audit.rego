# METADATA
# title: Mailbox auditing on and not bypassed
# description: >-
#   Mailbox audit logging records who read, sent and deleted mail. An
#   attacker who holds an admin account can switch it off for a mailbox
#   (AuditEnabled false) or exempt an account from it everywhere
#   (Set-MailboxAuditBypassAssociation -AuditBypassEnabled), so that what they
#   do leaves no trace. Either fails, in every mode; a value not read is
#   unknown.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/purview/audit-mailboxes
#     description: Manage mailbox auditing
#   - ref: https://learn.microsoft.com/en-us/powershell/module/exchange/set-mailboxauditbypassassociation
#     description: Set-MailboxAuditBypassAssociation
# custom:
#   id: CO-AUD-001
#   severity: high
#   checklist: mailbox-audit-on
#   requires: [mailbox.audit]
#   modes: [incident, posture]
#   remediation: >-
#     Turn auditing back on and remove the bypass:
#     Set-Mailbox -Identity {user} -AuditEnabled $true; Set-MailboxAuditBypassAssociation -Identity {user} -AuditBypassEnabled $false.
#     In an incident, find who changed them (Search-UnifiedAuditLog -Operations Set-Mailbox,Set-MailboxAuditBypassAssociation).
package closeout.mail.mailbox_audit

deny contains result if {
	input.mailbox.audit.auditBypassEnabled == true
	result := {
		"msg": "the account bypasses mailbox audit logging (AuditBypassEnabled): nothing it does in any mailbox is logged",
		"field": "auditBypassEnabled",
	}
}

deny contains result if {
	input.mailbox.audit.auditEnabled == false
	result := {
		"msg": "mailbox audit logging is off for this mailbox (AuditEnabled is false)",
		"field": "auditEnabled",
	}
}

unknown contains result if {
	some field in ["auditEnabled", "auditBypassEnabled"]
	value := object.get(object.get(input.mailbox, "audit", {}), field, null)
	not is_boolean(value)
	result := {"msg": sprintf("mailbox audit setting %s was not read (%s)", [field, json.marshal(value)]), "field": field}
}
