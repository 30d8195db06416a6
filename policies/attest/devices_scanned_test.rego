package closeout.attest.devices_scanned_test

import data.closeout.attest.devices_scanned
import data.closeout.fixtures

test_pass_when_attested if {
	count(devices_scanned.manual) == 0 with input as fixtures.incident_input
	count(devices_scanned.deny) == 0 with input as fixtures.incident_input
}

test_manual_when_missing if {
	inp := json.remove(fixtures.incident_input, ["incident/attestations/devicesScanned"])
	some result in devices_scanned.manual with input as inp
	result.attestation == "devicesScanned"
}

test_manual_without_by if {
	inp := json.remove(fixtures.incident_input, ["incident/attestations/devicesScanned/by"])
	count(devices_scanned.manual) == 1 with input as inp
}

test_deny_dated_before_the_window if {
	inp := object.union(fixtures.incident_input, {"incident": {"attestations": {"devicesScanned": {"at": "2026-01-01T00:00:00Z"}}}})
	count(devices_scanned.deny) == 1 with input as inp
	count(devices_scanned.manual) == 0 with input as inp
}
