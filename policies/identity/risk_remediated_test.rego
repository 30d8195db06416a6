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
