package closeout.identity.account_restored_test

import data.closeout.fixtures
import data.closeout.identity.account_restored

test_allow_enabled if {
	count(account_restored.warn) == 0 with input as fixtures.incident_input
	count(account_restored.unknown) == 0 with input as fixtures.incident_input
}

test_unknown_enabled_state if {
	inp := object.union(fixtures.incident_input, {"user": {"accountEnabled": null}})
	count(account_restored.warn) == 0 with input as inp
	count(account_restored.unknown) == 1 with input as inp
}

test_unknown_enabled_state_absent if {
	user := object.remove(fixtures.incident_input.user, ["accountEnabled"])
	inp := object.union(object.remove(fixtures.incident_input, ["user"]), {"user": user})
	not "accountEnabled" in object.keys(inp.user)
	count(account_restored.unknown) == 1 with input as inp
}

test_warn_still_blocked if {
	inp := object.union(fixtures.incident_input, {"user": {"accountEnabled": false}})
	count(account_restored.warn) == 1 with input as inp
}
