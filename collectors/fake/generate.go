package fake

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Generate synthesises a tenant of n accounts from a base fixture (its
// organization, apps, roles, recipients, connectors and tenant settings),
// with a realistic mix of exposures, the same for the same seed: most
// accounts clean, some with SMS-only MFA, IMAP or POP on, a forwarding
// mailbox or rule, a hidden rule, a risky grant, an outsider with
// FullAccess, an admin role, an Identity Protection risk; outsiders who do
// not look like it (a mail contact picked from the address book or named
// in ForwardingAddress, a guest with FullAccess, a mail user with a tenant
// address holding SendOnBehalf); restricted senders and audit bypasses; a
// few guests and disabled accounts. And decoys that must not alarm: rules
// forwarding to colleagues picked from the address book, colleagues as
// delegates, mail contacts nobody forwards to, accounts Identity Protection
// never flagged, privileged roles only eligible through PIM. Some accounts
// own an application, a few with a secret added on 2026-11-20. Truth
// records which accounts each mailbox policy must fail (and CO-APP-004, in
// an incident whose window starts 2026-11-20T08:00:00Z).
func Generate(base *Tenant, n int, seed uint64) *Tenant {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	t := &Tenant{
		Organization: base.Organization, ServicePrincipals: base.ServicePrincipals, DirectoryRoles: base.DirectoryRoles,
		RoleMembers: map[string][]string{}, PerUser: make(map[string]*UserResources, n), Exchange: make(map[string]*ExchangeMailbox, n),
		ExchangeOrganization: base.ExchangeOrganization, SecurityDefaults: base.SecurityDefaults,
		Recipients:                append([]map[string]any(nil), base.Recipients...),
		ConditionalAccessPolicies: base.ConditionalAccessPolicies, AuthorizationPolicy: base.AuthorizationPolicy,
		AuthenticationMethodsPolicy: base.AuthenticationMethodsPolicy, DeviceOwners: map[string][]string{},
		Truth: map[string]map[string]bool{},
	}
	fail := func(policy, upn string) {
		if t.Truth[policy] == nil {
			t.Truth[policy] = map[string]bool{}
		}
		t.Truth[policy][upn] = true
	}
	domain := "contoso.com"
	adminRole := ""
	for _, r := range base.DirectoryRoles {
		if r["roleTemplateId"] == "62e90394-69f5-4237-9190-012177145e10" {
			adminRole = id(r)
		}
	}
	riskyApp := "9d9d0000-0000-4000-8000-0000000000e1"
	chance := func(p float64) bool { return rng.Float64() < p }
	// The address book's outsiders, and the contacts nobody forwards to.
	contacts := 1 + n/200
	for c := range contacts {
		for _, kind := range []string{"drop", "vendor"} {
			name := fmt.Sprintf("%s contact %d", kind, c)
			alias := fmt.Sprintf("%s.%d", kind, c)
			ext := fmt.Sprintf("SMTP:%s%d@mailbox-drop.example", kind, c)
			if kind == "vendor" {
				ext = fmt.Sprintf("SMTP:billing%d@vendor.example", c)
			}
			t.Recipients = append(t.Recipients, map[string]any{"Name": name, "DisplayName": name, "Alias": alias,
				"RecipientType": "MailContact", "RecipientTypeDetails": "MailContact", "PrimarySmtpAddress": alias + "@" + domain,
				"ExternalEmailAddress": ext, "EmailAddresses": []any{"SMTP:" + alias + "@" + domain},
				"LegacyExchangeDN": LegacyDN(fmt.Sprintf("c0ffee%02d-%s", c, kind), alias), "Identity": name})
		}
		name := fmt.Sprintf("Payroll desk %d", c)
		alias := fmt.Sprintf("payroll%d", c)
		t.Recipients = append(t.Recipients, map[string]any{"Name": name, "DisplayName": name, "Alias": alias,
			"RecipientType": "MailUser", "RecipientTypeDetails": "MailUser", "PrimarySmtpAddress": alias + "@" + domain,
			"WindowsLiveID": alias + "@" + domain, "ExternalEmailAddress": fmt.Sprintf("SMTP:payroll%d@evil.example", c),
			"EmailAddresses": []any{"SMTP:" + alias + "@" + domain}, "LegacyExchangeDN": LegacyDN(fmt.Sprintf("ma11%04d", c), alias), "Identity": name})
	}
	dropContact := func() (name, dn string) {
		c := rng.IntN(contacts)
		return fmt.Sprintf("drop contact %d", c), LegacyDN(fmt.Sprintf("c0ffee%02d-drop", c), fmt.Sprintf("drop.%d", c))
	}
	var previous []map[string]any // earlier members, for rules and delegates that stay inside
	for i := range n {
		uid := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, seed)
		upn := fmt.Sprintf("user%06d@%s", i, domain)
		name := fmt.Sprintf("User %06d", i)
		userType := "Member"
		if chance(0.05) {
			userType = "Guest"
			upn = fmt.Sprintf("guest%06d_partner.example#EXT#@%s", i, domain)
		}
		t.Users = append(t.Users, map[string]any{
			"id": uid, "userPrincipalName": upn, "displayName": name, "mail": upn, "userType": userType,
			"accountEnabled": !chance(0.03), "createdDateTime": "2023-01-01T09:00:00Z",
			"lastPasswordChangeDateTime": "2026-06-02T08:15:00Z", "signInSessionsValidFromDateTime": "2026-06-02T08:15:00Z",
			"passwordPolicies": nil, "otherMails": []any{},
		})
		methods := []map[string]any{{"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": uid + "-pw", "createdDateTime": "2023-01-01T09:00:00Z"}}
		switch r := rng.Float64(); {
		case r < 0.10: // SMS only
			methods = append(methods, map[string]any{"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": uid + "-ph",
				"phoneNumber": fmt.Sprintf("+1 206555%04d", i%10000), "phoneType": "mobile", "smsSignInState": "notAllowedByPolicy"})
		case r < 0.15:
			methods = append(methods, map[string]any{"@odata.type": "#microsoft.graph.fido2AuthenticationMethod", "id": uid + "-fido",
				"displayName": "YubiKey", "createdDateTime": "2024-01-15T10:30:00Z"})
		default:
			methods = append(methods, map[string]any{"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", "id": uid + "-ma",
				"displayName": "Phone", "createdDateTime": "2023-04-11T12:00:00Z"})
		}
		// The registration report lists enabled accounts only, as Microsoft's.
		if t.Users[len(t.Users)-1]["accountEnabled"] == true {
			registered, preferred := []any{"microsoftAuthenticatorPush"}, "push"
			switch methods[1]["@odata.type"] {
			case "#microsoft.graph.phoneAuthenticationMethod":
				registered, preferred = []any{"mobilePhone"}, "sms"
			case "#microsoft.graph.fido2AuthenticationMethod":
				registered = []any{"fido2"}
			}
			t.RegistrationDetails = append(t.RegistrationDetails, map[string]any{"id": uid, "userPrincipalName": upn, "userDisplayName": name,
				"userType": strings.ToLower(userType), "isAdmin": false, "isMfaRegistered": true, "isMfaCapable": true,
				"methodsRegistered": registered, "userPreferredMethodForSecondaryAuthentication": preferred,
				"lastUpdatedDateTime": "2026-11-01T00:00:00Z"})
		}
		t.PerUser[uid] = &UserResources{AuthenticationMethods: methods, MailboxSettings: map[string]any{
			"automaticRepliesSetting": map[string]any{"status": "disabled", "externalAudience": "none"}}}
		if chance(0.02) {
			t.RiskyUsers = append(t.RiskyUsers, map[string]any{"id": uid, "riskLevel": "high", "riskState": "atRisk", "riskDetail": "none",
				"riskLastUpdatedDateTime": "2026-11-20T09:00:00Z", "userPrincipalName": upn})
		} else if chance(0.02) {
			t.RiskyUsers = append(t.RiskyUsers, map[string]any{"id": uid, "riskLevel": "none", "riskState": "remediated", "riskDetail": "userPerformedSecuredPasswordReset",
				"riskLastUpdatedDateTime": "2026-10-01T09:00:00Z", "userPrincipalName": upn})
		} // the rest Identity Protection never flagged: no record at all
		if chance(0.03) {
			t.OAuth2PermissionGrants = append(t.OAuth2PermissionGrants, map[string]any{"id": "grant-" + uid, "clientId": riskyApp,
				"consentType": "Principal", "principalId": uid, "resourceId": "00000003-sp00-4000-8000-00000000graf", "scope": " Mail.ReadWrite offline_access"})
		}
		if adminRole != "" && chance(0.005) {
			t.RoleMembers[adminRole] = append(t.RoleMembers[adminRole], uid)
		}
		if chance(0.02) {
			// An application the account owns; for some, a secret added on
			// 2026-11-20, inside an incident window that starts at 08:00.
			appID := fmt.Sprintf("a99%05x-0000-4000-8000-%012x", i, seed)
			app := map[string]any{"id": appID, "appId": "b" + appID[1:], "displayName": fmt.Sprintf("Team app %d", i),
				"keyCredentials": []any{map[string]any{"keyId": fmt.Sprintf("%08x-0000-4000-8000-00000000c001", i), "displayName": "CN=team-app",
					"type": "AsymmetricX509Cert", "usage": "Verify", "startDateTime": "2025-01-10T00:00:00Z", "endDateTime": "2027-01-10T00:00:00Z"}},
				"passwordCredentials": []any{}}
			if chance(0.5) {
				app["passwordCredentials"] = []any{map[string]any{"keyId": fmt.Sprintf("%08x-0000-4000-8000-00000000d001", i), "displayName": "sync",
					"hint": "x7Q", "startDateTime": "2026-11-20T09:30:00Z", "endDateTime": "2028-11-20T09:30:00Z"}}
				fail("CO-APP-004", upn)
			}
			t.Applications = append(t.Applications, app)
			if t.OwnedObjects == nil {
				t.OwnedObjects = map[string][]string{}
			}
			t.OwnedObjects[uid] = append(t.OwnedObjects[uid], appID)
		}
		if chance(0.01) {
			// Eligible, not active: the just-in-time practice, no finding.
			t.RoleEligibilities = append(t.RoleEligibilities, map[string]any{"id": "elig-" + uid, "principalId": uid,
				"roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "directoryScopeId": "/", "startDateTime": "2026-01-01T00:00:00Z"})
		}
		if userType == "Guest" {
			continue // guests have no mailbox here
		}
		mbx := map[string]any{"Name": name, "DisplayName": name, "UserPrincipalName": upn, "PrimarySmtpAddress": upn,
			"ExternalDirectoryObjectId": uid, "RecipientTypeDetails": "UserMailbox", "ForwardingSmtpAddress": nil,
			"ForwardingAddress": nil, "DeliverToMailboxAndForward": false, "GrantSendOnBehalfTo": []any{}}
		if chance(0.01) {
			mbx["ForwardingSmtpAddress"] = fmt.Sprintf("smtp:archive%d@evil.example", i)
			fail("CO-MAIL-001", upn)
		} else if chance(0.01) {
			mbx["ForwardingAddress"], _ = dropContact() // a mail contact, by name
			fail("CO-MAIL-001", upn)
		}
		cas := map[string]any{"Name": name, "PrimarySmtpAddress": upn, "ExternalDirectoryObjectId": uid, "ImapEnabled": chance(0.10),
			"PopEnabled": chance(0.05), "SmtpClientAuthenticationDisabled": nil, "ActiveSyncEnabled": true, "EwsEnabled": true,
			"MAPIEnabled": true, "OWAEnabled": true}
		rules := []map[string]any{{"Name": "Newsletters", "RuleIdentity": fmt.Sprintf("%d1", i), "Enabled": true, "From": []any{"news@contoso.com"},
			"MoveToFolder": "Newsletters", "DeleteMessage": false, "MarkAsRead": false, "StopProcessingRules": false}}
		if chance(0.02) {
			rules = append(rules, map[string]any{"Name": "Clean up", "RuleIdentity": fmt.Sprintf("%d2", i), "Enabled": true,
				"RedirectTo": []any{"\"collector\" [SMTP:collector@evil.example]"}, "DeleteMessage": false, "MarkAsRead": false})
			fail("CO-MAIL-002", upn)
		} else if chance(0.01) {
			contact, dn := dropContact()
			rules = append(rules, map[string]any{"Name": "RE: invoices", "RuleIdentity": fmt.Sprintf("%d4", i), "Enabled": true,
				"RedirectTo": []any{fmt.Sprintf("\"%s\" [EX:%s]", contact, dn)}, "DeleteMessage": false, "MarkAsRead": false})
			fail("CO-MAIL-002", upn)
		}
		if chance(0.01) {
			rules = append(rules, map[string]any{"Name": ".", "RuleIdentity": fmt.Sprintf("%d3", i), "Enabled": true, "Hidden": true,
				"SubjectOrBodyContainsWords": []any{"invoice"}, "MoveToFolder": "RSS Subscriptions", "MarkAsRead": true})
		}
		perms := []map[string]any{{"Identity": name, "User": "NT AUTHORITY\\SELF", "AccessRights": []any{"FullAccess"}, "IsInherited": false, "Deny": false}}
		if chance(0.01) {
			perms = append(perms, map[string]any{"Identity": name, "User": "attacker@evil.example", "AccessRights": []any{"FullAccess"}, "IsInherited": false, "Deny": false})
			fail("CO-DEL-001", upn)
		} else if chance(0.01) {
			perms = append(perms, map[string]any{"Identity": name, "User": fmt.Sprintf("guest%06d_partner.example#EXT#@%s", rng.IntN(n), domain),
				"AccessRights": []any{"FullAccess"}, "IsInherited": false, "Deny": false})
			fail("CO-DEL-001", upn)
		} else if chance(0.005) {
			mbx["GrantSendOnBehalfTo"] = []any{fmt.Sprintf("Payroll desk %d", rng.IntN(contacts))}
			fail("CO-DEL-001", upn)
		}
		// Decoys inside: a colleague picked from the address book, a
		// colleague as delegate.
		if len(previous) > 0 && chance(0.03) {
			colleague := previous[rng.IntN(len(previous))]
			rules = append(rules, map[string]any{"Name": "Cover for me", "RuleIdentity": fmt.Sprintf("%d5", i), "Enabled": true,
				"ForwardTo": []any{fmt.Sprintf("\"%s\" [EX:%s]", colleague["Name"], colleague["LegacyExchangeDN"])}, "DeleteMessage": false, "MarkAsRead": false})
		}
		if len(previous) > 0 && chance(0.02) && len(stringsOf(mbx["GrantSendOnBehalfTo"])) == 0 {
			mbx["GrantSendOnBehalfTo"] = []any{previous[rng.IntN(len(previous))]["Name"]}
		}
		mb := &ExchangeMailbox{Mailbox: mbx, CASMailbox: cas, InboxRules: rules, MailboxPermissions: perms,
			RecipientPermissions: []map[string]any{}}
		if chance(0.005) {
			t.BlockedSenders = append(t.BlockedSenders, map[string]any{"SenderAddress": upn, "Reason": "Outbound spam", "BlockType": "Outbound",
				"CreatedDatetime": "2026-11-19T22:10:00", "ChangedDatetime": "2026-11-19T22:10:00", "TemporaryBlock": false})
			fail("CO-MAIL-004", upn)
		}
		if chance(0.004) {
			mb.AuditBypassEnabled = true
			fail("CO-AUD-001", upn)
		}
		completeMailbox(mbx)
		previous = append(previous, mbx)
		t.Exchange[upn] = mb
	}
	return t
}

func stringsOf(v any) []any {
	list, _ := v.([]any)
	return list
}
