# METADATA
# title: Sign-in and audit activity in the window reviewed
# description: >-
#   Someone must read the window's sign-ins, mailbox audit and file activity to learn what the attacker saw, sent or took;
#   that decides who else must be told and whether data-breach rules apply.
#   Needs a human until attested with who and when (incident.attestations.activityReviewed).
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/defender-office-365/responding-to-a-compromised-email-account
#     description: Respond to a compromised email account
# custom:
#   id: CO-ATT-001
#   severity: medium
#   checklist: activity-reviewed
#   requires: []
#   modes: [incident]
#   remediation: >-
#     Review the sign-ins (GET https://graph.microsoft.com/v1.0/auditLogs/signIns?$filter=userId eq '<the account's object id>'), the mailbox audit (Search-UnifiedAuditLog -UserIds {user} -StartDate <window start>) and file activity, then attest activityReviewed.
package closeout.attest.activity_reviewed

import data.closeout.lib

manual contains result if some result in lib.unattested("activityReviewed")

deny contains result if some result in lib.misdated("activityReviewed")
