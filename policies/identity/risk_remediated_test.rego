package closeout.identity.risk_remediated_test

import data.closeout.fixtures
import data.closeout.identity.risk_remediated

with_state(state) := object.union(fixtures.incident_input, {"risk": {"riskState": state, "riskLevel": "high"}})

test_allow_remediated if {
	count(risk_remediated.deny) == 0 with input as fixtures.incident_input
}

test_allow_dismissed if {
	count(risk_remediated.deny) == 0 with input as with_state("dismissed")
}

test_deny_at_risk if {
	some result in risk_remediated.deny with input as with_state("atRisk")
	result.riskState == "atRisk"
}

test_deny_confirmed_compromised if {
	count(risk_remediated.deny) == 1 with input as with_state("confirmedCompromised")
}

# A state that was not sent, or that this library does not know, is not a
# pass: the policy cannot judge it.
test_unknown_when_state_null if {
	some result in risk_remediated.unknown with input as with_state(null)
	contains(result.msg, "riskState is null")
	count(risk_remediated.deny) == 0 with input as with_state(null)
}

test_unknown_when_state_newer if {
	some result in risk_remediated.unknown with input as with_state("compromisedPendingReview")
	result.riskState == "compromisedPendingReview"
}

test_unknown_when_state_missing if {
	inp := json.remove(fixtures.incident_input, ["risk/riskState"])
	count(risk_remediated.unknown) == 1 with input as inp
}

test_known_states_are_judged if {
	every state in ["none", "confirmedSafe", "remediated", "dismissed", "atRisk", "confirmedCompromised"] {
		count(risk_remediated.unknown) == 0 with input as with_state(state)
	}
}

test_unknown_when_risk_null if {
	inp := object.union(fixtures.incident_input, {"risk": null})
	count(risk_remediated.unknown) == 1 with input as inp
}
