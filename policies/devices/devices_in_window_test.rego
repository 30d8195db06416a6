package closeout.devices.devices_in_window_test

import data.closeout.devices.devices_in_window
import data.closeout.fixtures

with_device(at) := object.union(fixtures.incident_input, {"devices": [{
	"id": "d-evil",
	"displayName": "DESKTOP-8F2K1",
	"operatingSystem": "Windows",
	"registrationDateTime": at,
}]})

test_allow_old_devices if {
	count(devices_in_window.deny) == 0 with input as fixtures.incident_input
}

test_deny_device_registered_in_window if {
	some result in devices_in_window.deny with input as with_device("2026-11-20T10:15:00Z")
	result.deviceId == "d-evil"
}

test_allow_device_after_revocation if {
	count(devices_in_window.deny) == 0 with input as with_device("2026-11-22T10:15:00Z")
}
