# METADATA
# title: Root cause identified
# description: >-
#   Without knowing how the account was taken (phishing, password reuse, a token stolen from a device, consent phishing) the same door stays open for the next attacker.
#   Needs a human until attested with who and when (incident.attestations.rootCauseIdentified).
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/defender-office-365/responding-to-a-compromised-email-account
#     description: Respond to a compromised email account
# custom:
#   id: CO-ATT-003
#   severity: medium
#   checklist: root-cause-identified
#   requires: []
#   modes: [incident]
#   remediation: >-
#     Record how {user:text} was compromised in the incident, then attest rootCauseIdentified.
package closeout.attest.root_cause

import data.closeout.lib

manual contains result if some result in lib.unattested("rootCauseIdentified")

deny contains result if some result in lib.misdated("rootCauseIdentified")
