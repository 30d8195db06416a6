package closeout.tenant.legacy_auth_blocked_test

import data.closeout.fixtures
import data.closeout.tenant.legacy_auth_blocked

without_block := object.union(fixtures.tenant_input, {"conditionalAccess": [fixtures.tenant_input.conditionalAccess[0]]})

test_allow_blocking_policy if {
	count(legacy_auth_blocked.deny) == 0 with input as fixtures.tenant_input
}

test_allow_security_defaults if {
	count(legacy_auth_blocked.deny) == 0 with input as object.union(without_block, {"securityDefaults": {"isEnabled": true}})
}

test_deny_without_block if {
	count(legacy_auth_blocked.deny) == 1 with input as without_block
}

test_deny_block_missing_activesync if {
	partial := object.union(fixtures.tenant_input.conditionalAccess[1], {"clientAppTypes": ["other"]})
	count(legacy_auth_blocked.deny) == 1 with input as object.union(fixtures.tenant_input, {"conditionalAccess": [partial]})
}
