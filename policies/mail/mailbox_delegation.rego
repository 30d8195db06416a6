# METADATA
# title: No mailbox or calendar access for outsiders or granted in the window
# description: >-
#   FullAccess, SendAs, SendOnBehalf and calendar delegate rights let another
#   identity read or send as the mailbox after the user's password changes.
#   Rights held by an address outside the tenant fail in any mode; in incident
#   mode rights granted during the compromise window fail too.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/powershell/module/exchange/remove-mailboxpermission
#     description: Remove-MailboxPermission
#   - ref: https://learn.microsoft.com/en-us/powershell/module/exchange/remove-recipientpermission
#     description: Remove-RecipientPermission
# custom:
#   id: CO-DEL-001
#   severity: critical
#   checklist: delegation-reviewed
#   requires: [mailbox.permissions]
#   modes: [incident, posture]
#   fails_on_partial_data: true
#   remediation: >-
#     Remove the grant: Remove-MailboxPermission -Identity {user} -User <trustee> -AccessRights FullAccess -Confirm:$false;
#     Remove-RecipientPermission -Identity {user} -Trustee <trustee> -AccessRights SendAs -Confirm:$false;
#     Set-Mailbox {user} -GrantSendOnBehalfTo @{remove='<trustee>'}; Remove-MailboxFolderPermission -Identity {user}:\Calendar -User <trustee>
package closeout.mail.mailbox_delegation

import data.closeout.lib

deny contains result if {
	some grant in input.mailbox.permissions
	lib.external_address(grant.trustee)
	result := finding(grant, "is outside the organisation")
}

deny contains result if {
	lib.incident_mode
	some grant in input.mailbox.permissions
	not lib.external_address(object.get(grant, "trustee", ""))
	lib.in_window(grant.createdDateTime)
	result := finding(grant, sprintf("was granted %s, during the compromise window", [grant.createdDateTime]))
}

finding(grant, why) := {
	"msg": sprintf("%s holds %s on the mailbox and %s", [grant.trustee, concat(", ", grant.accessRights), why]),
	"trustee": grant.trustee,
	"accessRights": grant.accessRights,
	"createdDateTime": object.get(grant, "createdDateTime", null),
}
