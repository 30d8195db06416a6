# METADATA
# title: Incident documented
# description: >-
#   The ticket must record the timeline, what was found and what was changed, so the incident can be reported and audited; closeout's results and evidence directory are part of it.
#   Needs a human until attested with who and when (incident.attestations.incidentDocumented).
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/defender-office-365/responding-to-a-compromised-email-account
#     description: Respond to a compromised email account
# custom:
#   id: CO-ATT-004
#   severity: medium
#   checklist: incident-documented
#   requires: []
#   modes: [incident]
#   remediation: >-
#     Write up the incident for {user:text} (timeline, findings, actions), attach closeout's report, then attest incidentDocumented.
package closeout.attest.incident_documented

import data.closeout.lib

manual contains result if some result in lib.unattested("incidentDocumented")

deny contains result if some result in lib.misdated("incidentDocumented")
