package closeout.attest.activity_reviewed_test

import data.closeout.attest.activity_reviewed
import data.closeout.fixtures

test_pass_when_attested if {
	count(activity_reviewed.manual) == 0 with input as fixtures.incident_input
	count(activity_reviewed.deny) == 0 with input as fixtures.incident_input
}

test_manual_when_missing if {
	inp := json.remove(fixtures.incident_input, ["incident/attestations/activityReviewed"])
	some result in activity_reviewed.manual with input as inp
	result.attestation == "activityReviewed"
}

test_manual_without_by if {
	inp := json.remove(fixtures.incident_input, ["incident/attestations/activityReviewed/by"])
	count(activity_reviewed.manual) == 1 with input as inp
}

test_deny_dated_before_the_window if {
	inp := object.union(fixtures.incident_input, {"incident": {"attestations": {"activityReviewed": {"at": "2026-01-01T00:00:00Z"}}}})
	count(activity_reviewed.deny) == 1 with input as inp
	count(activity_reviewed.manual) == 0 with input as inp
}
