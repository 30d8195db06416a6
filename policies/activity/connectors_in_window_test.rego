package closeout.activity.connectors_in_window_test

import data.closeout.activity.connectors_in_window
import data.closeout.fixtures

with_connectors(inbound, outbound) := object.union(fixtures.incident_input, {"connectors": {"inbound": inbound, "outbound": outbound}})

old := {"name": "Partner TLS", "enabled": true, "whenCreated": "2024-03-01T00:00:00Z", "whenChanged": "2024-03-01T00:00:00Z"}

test_allow_connectors_from_before if {
	count(connectors_in_window.deny) == 0 with input as with_connectors([old], [old])
}

test_deny_inbound_created_in_window_once if {
	created := {"name": "Relay in", "whenCreated": "2026-11-20T09:30:00Z", "whenChanged": "2026-11-20T09:30:00Z"}
	denies := connectors_in_window.deny with input as with_connectors([created], [])
	count(denies) == 1
	some result in denies
	result.direction == "inbound"
	contains(result.msg, "created")
}

test_deny_outbound_changed_in_window if {
	changed := object.union(old, {"whenChanged": "2026-11-21T08:00:00Z"})
	some result in connectors_in_window.deny with input as with_connectors([], [changed])
	contains(result.msg, "changed 2026-11-21T08:00:00Z")
}

test_allow_change_after_remediation if {
	changed := object.union(old, {"whenChanged": "2026-11-23T08:00:00Z"})
	count(connectors_in_window.deny) == 0 with input as with_connectors([], [changed])
}
