# METADATA
# title: User's devices scanned
# description: >-
#   A token or password stealer on the user's own device would hand the attacker the new credentials; the devices must be scanned or rebuilt.
#   Needs a human until attested with who and when (incident.attestations.devicesScanned).
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/defender-office-365/responding-to-a-compromised-email-account
#     description: Respond to a compromised email account
# custom:
#   id: CO-ATT-005
#   severity: medium
#   checklist: devices-reviewed
#   requires: []
#   modes: [incident]
#   remediation: >-
#     Scan or reimage {user:text}'s devices (for Defender for Endpoint: Start-MdeMachineAvScan or the portal's full scan), then attest devicesScanned.
package closeout.attest.devices_scanned

import data.closeout.lib

manual contains result if some result in lib.unattested("devicesScanned")

deny contains result if some result in lib.misdated("devicesScanned")
