# Inputs shared by the policy tests: a remediated incident snapshot and a
# hardened posture snapshot, both valid against snapshot.schema.json (a Go
# test checks). Tests change one thing with object.union.
package closeout.fixtures

collected := {section: {"status": "collected"} |
	some section in [
		"user", "authMethods", "registration", "roles", "risk", "oauthGrants",
		"appRoleAssignments", "appCredentials", "devices", "mailbox.forwarding", "mailbox.protocols",
		"mailbox.inboxRules", "mailbox.permissions", "mailbox.autoReply", "mailbox.audit",
		"mailbox.restricted", "connectors", "signIns", "audits",
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
		"attestations": {step: {"by": "responder@contoso.com", "at": "2026-11-22T10:00:00Z"} |
			some step in ["userNotified", "rootCauseIdentified", "incidentDocumented", "activityReviewed", "devicesScanned"]
		},
	},
	"user": {
		"id": "user-1",
		"userPrincipalName": "bob@contoso.com",
		"lastPasswordChangeDateTime": "2026-11-21T09:44:12Z",
		"signInSessionsValidFromDateTime": "2026-11-21T09:44:12Z",
		"accountEnabled": true,
		"passwordPolicies": "None",
	},
	"authMethods": [
		{"id": "m1", "type": "password", "createdDateTime": "2021-02-01T09:00:00Z"},
		{"id": "m2", "type": "microsoftAuthenticator", "createdDateTime": "2022-09-01T07:00:00Z"},
	],
	"roles": [{"id": "r-1", "displayName": "Reports Reader", "roleTemplateId": "4a5d8f65-41da-4de4-8968-e035b65339cf", "privileged": false}],
	"risk": {"riskLevel": "none", "riskState": "remediated"},
	"oauthGrants": [{
		"clientId": "sp-teams",
		"appId": "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
		"appDisplayName": "Microsoft Teams",
		"publisherTenantId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
		"verifiedPublisher": "Microsoft Corporation",
		"consentType": "AllPrincipals",
		"scopes": ["User.Read", "Mail.Read", "offline_access"],
		"grantedDateTime": "2022-03-01T00:00:00Z",
	}],
	"appRoleAssignments": [{"resourceId": "res-1", "resourceDisplayName": "Payroll", "appRoleId": "role-1", "createdDateTime": "2023-01-01T00:00:00Z"}],
	"appCredentials": [],
	"connectors": {"inbound": [], "outbound": []},
	"devices": [{"id": "d-1", "displayName": "BOB-LAPTOP", "operatingSystem": "Windows", "registrationDateTime": "2024-05-01T08:00:00Z"}],
	"signIns": [{
		"createdDateTime": "2026-11-22T08:02:11Z",
		"ipAddress": "198.51.100.20",
		"countryOrRegion": "NL",
		"errorCode": 0,
		"riskLevelDuringSignIn": "none",
	}],
	"audits": [{
		"activityDateTime": "2026-11-21T09:44:12Z",
		"activityDisplayName": "Reset user password",
		"initiatedBy": "responder@contoso.com",
		"result": "success",
		"targetProperties": [],
	}],
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
		"permissions": [{"trustee": "alice@contoso.com", "accessRights": ["Calendar:Reviewer"], "createdDateTime": "2024-01-01T00:00:00Z"}],
		"autoReply": {"status": "disabled", "externalAudience": "none"},
		"audit": {"auditEnabled": true, "auditBypassEnabled": false},
		"restricted": {"blocked": false},
	},
	"coverage": collected,
}

posture_input := object.remove(incident_input, ["incident"])

tenant_sections := {section: {"status": "collected"} |
	some section in [
		"securityDefaults", "conditionalAccess", "authorizationPolicy", "authenticationMethodsPolicy",
		"exchange.outboundSpam", "exchange.remoteDomains", "exchange.transportConfig",
		"exchange.casMailboxPlans", "exchange.transportRules", "exchange.auditConfig", "exchange.connectors",
	]
}

# tenant_input is a hardened tenant: MFA and legacy-auth blocking by
# Conditional Access, forwarding off, consent restricted, auditing on.
tenant_input := {
	"schemaVersion": "closeout.tenant/v1",
	"collectedAt": "2026-11-23T10:00:00Z",
	"tenant": {"id": "tenant-1", "defaultDomain": "contoso.com", "domains": ["contoso.com", "contoso.onmicrosoft.com"]},
	"securityDefaults": {"isEnabled": false},
	"conditionalAccess": [
		{
			"id": "ca-1", "displayName": "Require MFA for everyone", "state": "enabled",
			"includeUsers": ["All"], "excludeUsers": ["breakglass-1"], "includeApplications": ["All"],
			"clientAppTypes": ["all"], "builtInControls": [], "authenticationStrength": "Multifactor authentication",
		},
		{
			"id": "ca-2", "displayName": "Block legacy authentication", "state": "enabled",
			"includeUsers": ["All"], "excludeUsers": [], "includeApplications": ["All"],
			"clientAppTypes": ["exchangeActiveSync", "other"], "builtInControls": ["block"], "authenticationStrength": null,
		},
	],
	"authorizationPolicy": {"permissionGrantPoliciesAssigned": ["ManagePermissionGrantsForSelf.microsoft-user-default-low"]},
	"authenticationMethodsPolicy": {"methods": [{"id": "Fido2", "state": "enabled"}, {"id": "MicrosoftAuthenticator", "state": "enabled"}]},
	"exchange": {
		"outboundSpamPolicies": [{"name": "Default", "autoForwardingMode": "Off", "isDefault": true}],
		"remoteDomains": [{"name": "Default", "domainName": "*", "autoForwardEnabled": true}],
		"transportConfig": {"smtpClientAuthenticationDisabled": true},
		"casMailboxPlans": [{"name": "ExchangeOnlineEnterprise", "imapEnabled": false, "popEnabled": false}],
		"transportRules": [{"name": "Disclaimer", "state": "Enabled", "redirectMessageTo": [], "blindCopyTo": [], "copyTo": [], "addToRecipients": []}],
		"adminAuditLogConfig": {"unifiedAuditLogIngestionEnabled": true},
		"connectors": {
			"inbound": [],
			"outbound": [{
				"name": "Fabrikam invoices", "enabled": true, "connectorType": "Partner",
				"recipientDomains": ["fabrikam.example"], "smartHosts": ["smtp.fabrikam.example"], "useMxRecord": false,
				"whenCreated": "2024-03-01T00:00:00Z", "whenChanged": "2024-03-01T00:00:00Z",
			}],
		},
	},
	"knownPartners": {"connectors": [{
		"name": "Fabrikam invoices", "smartHosts": ["smtp.fabrikam.example"],
		"justification": "invoice exchange with Fabrikam", "approvedBy": "ciso@contoso.com",
	}]},
	"coverage": tenant_sections,
}
