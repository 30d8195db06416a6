package closeout.attest.incident_documented_test

import data.closeout.attest.incident_documented
import data.closeout.fixtures

test_pass_when_attested if {
	count(incident_documented.manual) == 0 with input as fixtures.incident_input
	count(incident_documented.deny) == 0 with input as fixtures.incident_input
}

test_manual_when_missing if {
	inp := json.remove(fixtures.incident_input, ["incident/attestations/incidentDocumented"])
	some result in incident_documented.manual with input as inp
	result.attestation == "incidentDocumented"
}

test_manual_without_by if {
	inp := json.remove(fixtures.incident_input, ["incident/attestations/incidentDocumented/by"])
	count(incident_documented.manual) == 1 with input as inp
}

test_deny_dated_before_the_window if {
	inp := object.union(fixtures.incident_input, {"incident": {"attestations": {"incidentDocumented": {"at": "2026-01-01T00:00:00Z"}}}})
	count(incident_documented.deny) == 1 with input as inp
	count(incident_documented.manual) == 0 with input as inp
}
