package closeout.mail.mailbox_delegation_test

import data.closeout.fixtures
import data.closeout.mail.mailbox_delegation

with_grant(base, grant) := object.union(base, {"mailbox": {"permissions": [grant]}})

test_allow_internal_calendar_reviewer if {
	count(mailbox_delegation.deny) == 0 with input as fixtures.incident_input
}

test_deny_full_access_outside if {
	inp := with_grant(fixtures.posture_input, {"trustee": "helper@evil.example", "accessRights": ["FullAccess"]})
	some result in mailbox_delegation.deny with input as inp
	result.trustee == "helper@evil.example"
	contains(result.msg, "outside the organisation")
}

test_deny_send_as_granted_in_window if {
	inp := with_grant(fixtures.incident_input, {"trustee": "mallory@contoso.com", "accessRights": ["SendAs"], "createdDateTime": "2026-11-20T12:00:00Z"})
	some result in mailbox_delegation.deny with input as inp
	contains(result.msg, "during the compromise window")
}

test_allow_in_window_grant_in_posture if {
	inp := with_grant(fixtures.posture_input, {"trustee": "mallory@contoso.com", "accessRights": ["SendAs"], "createdDateTime": "2026-11-20T12:00:00Z"})
	count(mailbox_delegation.deny) == 0 with input as inp
}

test_allow_trustee_without_domain if {
	inp := with_grant(fixtures.posture_input, {"trustee": "NT AUTHORITY\\SELF", "accessRights": ["FullAccess"]})
	count(mailbox_delegation.deny) == 0 with input as inp
}

test_deny_full_access_held_by_a_guest if {
	inp := with_grant(fixtures.posture_input, {"trustee": "ben.werner_wingtiptoys.example#EXT#@contoso.onmicrosoft.com", "accessRights": ["FullAccess"]})
	some result in mailbox_delegation.deny with input as inp
	result.placement == "outside"
	contains(result.msg, "guest")
}

test_unknown_trustee_exchange_could_not_resolve if {
	inp := with_grant(fixtures.posture_input, {"trustee": "Eve", "accessRights": ["SendOnBehalf"]})
	count(mailbox_delegation.deny) == 0 with input as inp
	count(mailbox_delegation.unknown) == 1 with input as inp
}

as_type(type) := object.union(
	with_grant(fixtures.posture_input, {"trustee": "Eve", "accessRights": ["SendOnBehalf"]}),
	{"recipients": {"Eve": {
		"status": "resolved", "recipientTypeDetails": type,
		"externalEmailAddress": "SMTP:eve@evil.example", "resolvedBy": "Get-Recipient",
	}}},
)

test_send_on_behalf_by_name_resolved if {
	count(mailbox_delegation.deny) == 1 with input as as_type("MailUser")
	count(mailbox_delegation.deny) == 0 with input as as_type("UserMailbox")
	count(mailbox_delegation.unknown) == 0 with input as as_type("UserMailbox")
}
