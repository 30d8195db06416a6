package fake

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Generate synthesises a tenant of n accounts from a base fixture (its
// organization, apps, roles and tenant settings), with a realistic mix of
// exposures, the same for the same seed: most accounts clean, some with
// SMS-only MFA, IMAP or POP on, a forwarding mailbox or rule, a hidden
// rule, a risky grant, an outsider with FullAccess, an admin role, an
// Identity Protection risk; a few guests and disabled accounts.
func Generate(base *Tenant, n int, seed uint64) *Tenant {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	t := &Tenant{
		Organization: base.Organization, ServicePrincipals: base.ServicePrincipals, DirectoryRoles: base.DirectoryRoles,
		RoleMembers: map[string][]string{}, PerUser: make(map[string]*UserResources, n), Exchange: make(map[string]*ExchangeMailbox, n),
		ExchangeOrganization: base.ExchangeOrganization, SecurityDefaults: base.SecurityDefaults,
		ConditionalAccessPolicies: base.ConditionalAccessPolicies, AuthorizationPolicy: base.AuthorizationPolicy,
		AuthenticationMethodsPolicy: base.AuthenticationMethodsPolicy, DeviceOwners: map[string][]string{},
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
		}
		if chance(0.03) {
			t.OAuth2PermissionGrants = append(t.OAuth2PermissionGrants, map[string]any{"id": "grant-" + uid, "clientId": riskyApp,
				"consentType": "Principal", "principalId": uid, "resourceId": "00000003-sp00-4000-8000-00000000graf", "scope": " Mail.ReadWrite offline_access"})
		}
		if adminRole != "" && chance(0.005) {
			t.RoleMembers[adminRole] = append(t.RoleMembers[adminRole], uid)
		}
		if userType == "Guest" {
			continue // guests have no mailbox here
		}
		mbx := map[string]any{"Name": name, "DisplayName": name, "UserPrincipalName": upn, "PrimarySmtpAddress": upn,
			"ExternalDirectoryObjectId": uid, "RecipientTypeDetails": "UserMailbox", "ForwardingSmtpAddress": nil,
			"ForwardingAddress": nil, "DeliverToMailboxAndForward": false, "GrantSendOnBehalfTo": []any{}}
		if chance(0.01) {
			mbx["ForwardingSmtpAddress"] = fmt.Sprintf("smtp:archive%d@evil.example", i)
		}
		cas := map[string]any{"Name": name, "PrimarySmtpAddress": upn, "ExternalDirectoryObjectId": uid, "ImapEnabled": chance(0.10),
			"PopEnabled": chance(0.05), "SmtpClientAuthenticationDisabled": nil, "ActiveSyncEnabled": true, "EwsEnabled": true,
			"MAPIEnabled": true, "OWAEnabled": true}
		rules := []map[string]any{{"Name": "Newsletters", "RuleIdentity": fmt.Sprintf("%d1", i), "Enabled": true, "From": []any{"news@contoso.com"},
			"MoveToFolder": "Newsletters", "DeleteMessage": false, "MarkAsRead": false, "StopProcessingRules": false}}
		if chance(0.02) {
			rules = append(rules, map[string]any{"Name": "Clean up", "RuleIdentity": fmt.Sprintf("%d2", i), "Enabled": true,
				"RedirectTo": []any{"\"collector\" [SMTP:collector@evil.example]"}, "DeleteMessage": false, "MarkAsRead": false})
		}
		if chance(0.01) {
			rules = append(rules, map[string]any{"Name": ".", "RuleIdentity": fmt.Sprintf("%d3", i), "Enabled": true, "Hidden": true,
				"SubjectOrBodyContainsWords": []any{"invoice"}, "MoveToFolder": "RSS Subscriptions", "MarkAsRead": true})
		}
		perms := []map[string]any{{"Identity": name, "User": "NT AUTHORITY\\SELF", "AccessRights": []any{"FullAccess"}, "IsInherited": false, "Deny": false}}
		if chance(0.01) {
			perms = append(perms, map[string]any{"Identity": name, "User": "attacker@evil.example", "AccessRights": []any{"FullAccess"}, "IsInherited": false, "Deny": false})
		}
		t.Exchange[upn] = &ExchangeMailbox{Mailbox: mbx, CASMailbox: cas, InboxRules: rules, MailboxPermissions: perms,
			RecipientPermissions: []map[string]any{}}
	}
	return t
}
