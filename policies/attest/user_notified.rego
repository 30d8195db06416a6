# METADATA
# title: User notified and debriefed
# description: >-
#   The user must hear what happened, what was changed on their account, and what to watch for; they are also the one who can say which rules, devices and methods are really theirs.
#   Needs a human until attested with who and when (incident.attestations.userNotified).
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/defender-office-365/responding-to-a-compromised-email-account
#     description: Respond to a compromised email account
# custom:
#   id: CO-ATT-002
#   severity: medium
#   checklist: user-notified
#   requires: []
#   modes: [incident]
#   remediation: >-
#     Talk to {user:text} (not by email to the compromised mailbox), then attest userNotified.
package closeout.attest.user_notified

import data.closeout.lib

manual contains result if some result in lib.unattested("userNotified")

deny contains result if some result in lib.misdated("userNotified")
