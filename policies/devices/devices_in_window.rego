# METADATA
# title: No device registered during the compromise window
# description: >-
#   A device the attacker registers or joins holds a Primary Refresh Token and
#   can satisfy device-based Conditional Access; attackers register devices to
#   persist past a password reset. Devices registered inside the window fail
#   until deleted or confirmed as the user's.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/graph/api/device-delete
#     description: Delete device
# custom:
#   id: CO-DEV-001
#   severity: high
#   checklist: devices-reviewed
#   requires: [devices]
#   modes: [incident]
#   fails_on_partial_data: true
#   remediation: >-
#     Confirm the device with {user:text}; if it is not theirs, delete it:
#     DELETE https://graph.microsoft.com/v1.0/devices/<id> (PowerShell: Remove-MgDevice -DeviceId <id>).
package closeout.devices.devices_in_window

import data.closeout.lib

deny contains result if {
	some device in input.devices
	lib.in_window(device.registrationDateTime)
	result := {
		"msg": sprintf("device %q (%v) was registered %s, during the compromise window", [object.get(device, "displayName", ""), object.get(device, "operatingSystem", "unknown OS"), device.registrationDateTime]),
		"deviceId": object.get(device, "id", null),
		"displayName": object.get(device, "displayName", null),
		"registrationDateTime": device.registrationDateTime,
	}
}
