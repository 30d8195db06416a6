package closeout.apps.app_credentials_in_window_test

import data.closeout.apps.app_credentials_in_window
import data.closeout.fixtures

credential(extra) := object.union(
	{
		"objectId": "app-1", "objectType": "application", "appId": "11111111-0000-4000-8000-000000000001",
		"appDisplayName": "Payroll sync", "relation": "owner", "keyId": "k-1", "type": "password",
		"displayName": "backup", "startDateTime": "2025-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z",
		"addedDateTime": null,
	},
	extra,
)

with_credentials(base, credentials) := object.union(base, {"appCredentials": credentials})

test_allow_old_credential if {
	count(app_credentials_in_window.deny) == 0 with input as with_credentials(fixtures.incident_input, [credential({})])
}

test_deny_secret_started_in_window if {
	inp := with_credentials(fixtures.incident_input, [credential({"startDateTime": "2026-11-20T10:15:00Z"})])
	some result in app_credentials_in_window.deny with input as inp
	result.keyId == "k-1"
	contains(result.msg, "owns")
}

# A credential backdated by whoever added it is caught by the audit's time.
test_deny_backdated_secret_the_audit_names if {
	inp := with_credentials(fixtures.incident_input, [credential({
		"relation": "changedCredentials", "objectType": "servicePrincipal",
		"addedDateTime": "2026-11-20T10:15:00Z", "addedBy": "bob@contoso.com",
	})])
	some result in app_credentials_in_window.deny with input as inp
	result.added == "2026-11-20T10:15:00Z"
	contains(result.msg, "service principal")
}

test_allow_credential_added_after_remediation if {
	inp := with_credentials(fixtures.incident_input, [credential({"addedDateTime": "2026-11-22T10:00:00Z", "type": "certificate"})])
	count(app_credentials_in_window.deny) == 0 with input as inp
}

test_posture_mode_is_not_judged if {
	inp := with_credentials(fixtures.posture_input, [credential({"startDateTime": "2026-11-20T10:15:00Z"})])
	count(app_credentials_in_window.deny) == 0 with input as inp
}
