package closeout.identity.recovery_properties_changed_test

import data.closeout.fixtures
import data.closeout.identity.recovery_properties_changed

update(at, name) := {
	"activityDateTime": at,
	"activityDisplayName": "Update user",
	"initiatedBy": "bob@contoso.com",
	"result": "success",
	"targetProperties": [{"name": name, "oldValue": "[]", "newValue": "[\"bob.backup@evil.example\"]"}],
}

with_audits(audits) := object.union(fixtures.incident_input, {"audits": audits})

test_allow_no_changes if {
	count(recovery_properties_changed.deny) == 0 with input as fixtures.incident_input
}

test_deny_other_mails_changed_in_window if {
	some result in recovery_properties_changed.deny with input as with_audits([update("2026-11-20T10:00:00Z", "OtherMail")])
	result.newValue == "[\"bob.backup@evil.example\"]"
}

test_deny_strong_auth_details_changed if {
	inp := with_audits([update("2026-11-20T10:00:00Z", "StrongAuthenticationUserDetails")])
	count(recovery_properties_changed.deny) == 1 with input as inp
}

test_allow_change_before_window if {
	count(recovery_properties_changed.deny) == 0 with input as with_audits([update("2026-01-01T00:00:00Z", "OtherMail")])
}

test_allow_unrelated_property if {
	count(recovery_properties_changed.deny) == 0 with input as with_audits([update("2026-11-20T10:00:00Z", "Department")])
}
