package closeout.attest.root_cause_test

import data.closeout.attest.root_cause
import data.closeout.fixtures

test_pass_when_attested if {
	count(root_cause.manual) == 0 with input as fixtures.incident_input
	count(root_cause.deny) == 0 with input as fixtures.incident_input
}

test_manual_when_missing if {
	inp := json.remove(fixtures.incident_input, ["incident/attestations/rootCauseIdentified"])
	some result in root_cause.manual with input as inp
	result.attestation == "rootCauseIdentified"
}

test_manual_without_by if {
	inp := json.remove(fixtures.incident_input, ["incident/attestations/rootCauseIdentified/by"])
	count(root_cause.manual) == 1 with input as inp
}

test_deny_dated_before_the_window if {
	inp := object.union(fixtures.incident_input, {"incident": {"attestations": {"rootCauseIdentified": {"at": "2026-01-01T00:00:00Z"}}}})
	count(root_cause.deny) == 1 with input as inp
	count(root_cause.manual) == 0 with input as inp
}
