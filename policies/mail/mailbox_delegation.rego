# METADATA
# title: No mailbox or calendar access for outsiders or granted in the window
# description: >-
#   FullAccess, SendAs, SendOnBehalf and calendar delegate rights let another
#   identity read or send as the mailbox after the user's password changes.
#   Rights held by a trustee outside the organisation (a guest, a mail user,
#   an address in a domain the tenant does not accept) fail in any mode, and
#   a trustee Exchange could not resolve is unknown; in incident mode rights
#   granted during the compromise window fail too.
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
#     Set-Mailbox {user} -GrantSendOnBehalfTo @{remove='<trustee>'}; Remove-MailboxFolderPermission -Identity ({user} + ':\Calendar') -User <trustee>
package closeout.mail.mailbox_delegation

import data.closeout.lib

# placed lists each grant with where its trustee is.
placed contains [grant, lib.placement(grant.trustee)] if some grant in input.mailbox.permissions

deny contains result if {
	some [grant, p] in placed
	p.placement == "outside"
	result := finding(grant, p, sprintf("is outside the organisation: %s", [p.reason]))
}

unknown contains result if {
	some [grant, p] in placed
	p.placement == "unknown"
	not in_window(grant)
	result := finding(grant, p, sprintf("may be outside the organisation: %s", [p.reason]))
}

deny contains result if {
	some [grant, p] in placed
	p.placement != "outside"
	in_window(grant)
	result := finding(grant, p, sprintf("was granted %s, during the compromise window", [grant.createdDateTime]))
}

in_window(grant) if {
	lib.incident_mode
	lib.in_window(grant.createdDateTime)
}

finding(grant, p, why) := {
	"msg": sprintf("%s holds %s on the mailbox and %s", [grant.trustee, concat(", ", grant.accessRights), why]),
	"trustee": grant.trustee,
	"accessRights": grant.accessRights,
	"placement": p.placement,
	"why": p.reason,
	"createdDateTime": object.get(grant, "createdDateTime", null),
}
