# Inputs shared by the policy tests: a remediated incident snapshot and a
# hardened posture snapshot, both valid against snapshot.schema.json (a Go
# test checks). Tests change one thing with object.union.
package closeout.fixtures

collected := {section: {"status": "collected"} |
	some section in [
		"user", "authMethods", "registration", "roles", "risk", "oauthGrants",
		"appRoleAssignments", "devices", "mailbox.forwarding", "mailbox.protocols",
		"mailbox.inboxRules", "mailbox.permissions", "signIns", "audits",
	]
}

incident_input := {
	"schemaVersion": "closeout.snapshot/v1",
	"collectedAt": "2026-11-23T10:00:00Z",
	"tenant": {"id": "tenant-1", "defaultDomain": "contoso.com", "domains": ["contoso.com", "Contoso.onmicrosoft.com"]},
	"incident": {
		"id": "INC-1",
		"windowStart": "2026-11-20T08:00:00Z",
		"detectedAt": "2026-11-21T09:30:00Z",
		"indicators": {"ips": ["203.0.113.7"], "domains": ["evil.example"]},
	},
	"user": {
		"id": "user-1",
		"userPrincipalName": "bob@contoso.com",
		"lastPasswordChangeDateTime": "2026-11-21T09:44:12Z",
		"signInSessionsValidFromDateTime": "2026-11-21T09:44:12Z",
	},
	"authMethods": [
		{"id": "m1", "type": "password", "createdDateTime": "2021-02-01T09:00:00Z"},
		{"id": "m2", "type": "microsoftAuthenticator", "createdDateTime": "2022-09-01T07:00:00Z"},
	],
	"mailbox": {
		"forwardingSmtpAddress": null,
		"forwardingAddress": null,
		"deliverToMailboxAndForward": false,
		"protocols": {"imap": false, "pop": false, "smtpAuth": false},
		"inboxRules": [{
			"id": "r1",
			"name": "Newsletters",
			"enabled": true,
			"hidden": false,
			"actions": {"forwardTo": [], "redirectTo": [], "forwardAsAttachmentTo": [], "moveToFolder": "Newsletters"},
		}],
	},
	"coverage": collected,
}

posture_input := object.remove(incident_input, ["incident"])
