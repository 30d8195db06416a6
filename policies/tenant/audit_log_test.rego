package closeout.tenant.audit_log_test

import data.closeout.fixtures
import data.closeout.tenant.audit_log

test_allow_on if {
	count(audit_log.deny) == 0 with input as fixtures.tenant_input
}

test_deny_off if {
	inp := object.union(fixtures.tenant_input, {"exchange": {"adminAuditLogConfig": {"unifiedAuditLogIngestionEnabled": false}}})
	count(audit_log.deny) == 1 with input as inp
}

test_deny_unset if {
	inp := object.union(fixtures.tenant_input, {"exchange": {"adminAuditLogConfig": {"unifiedAuditLogIngestionEnabled": null}}})
	count(audit_log.deny) == 1 with input as inp
}
