package closeout.identity.security_info_audit_test

import data.closeout.fixtures
import data.closeout.identity.security_info_audit

registered := {
	"activityDateTime": "2026-11-20T08:41:03Z",
	"activityDisplayName": "User registered security info",
	"initiatedBy": "bob@contoso.com",
	"result": "success",
	"targetProperties": [],
}

deleted := {
	"activityDateTime": "2026-11-21T09:50:00Z",
	"activityDisplayName": "Admin deleted security info",
	"initiatedBy": "responder@contoso.com",
	"result": "success",
	"targetProperties": [],
}

with_audits(audits) := object.union(fixtures.incident_input, {"audits": audits})

test_allow_no_registration if {
	count(security_info_audit.deny) == 0 with input as fixtures.incident_input
	count(security_info_audit.warn) == 0 with input as fixtures.incident_input
}

test_deny_registration_never_removed if {
	some result in security_info_audit.deny with input as with_audits([registered])
	result.initiatedBy == "bob@contoso.com"
}

test_warn_registration_removed_later if {
	inp := with_audits([registered, deleted])
	count(security_info_audit.deny) == 0 with input as inp
	count(security_info_audit.warn) == 1 with input as inp
}

test_allow_failed_registration if {
	inp := with_audits([object.union(registered, {"result": "failure"})])
	count(security_info_audit.deny) == 0 with input as inp
}

test_allow_registration_before_window if {
	inp := with_audits([object.union(registered, {"activityDateTime": "2026-01-01T00:00:00Z"})])
	count(security_info_audit.deny) == 0 with input as inp
}
