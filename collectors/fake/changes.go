package fake

import (
	"fmt"
	"strings"
	"time"
)

// ChangeKinds are the changes Change makes, one for each kind of exposure
// the posture policies judge, each recorded where Microsoft records it:
// the unified audit log for Exchange's, the directory audits for Entra
// ID's, Identity Protection's own list for risk.
var ChangeKinds = []string{"CO-MAIL-001", "CO-PROTO-001", "CO-MAIL-002", "CO-DEL-001", "CO-AUD-001", "CO-MFA-001", "CO-ROLE-001", "CO-APP-001", "CO-RISK-001", "CO-MAIL-004"}

// Change makes n member accounts with a mailbox newly exposed, one kind
// after another (ChangeKinds), the accounts picked by a stride from a
// stable start so two runs agree. It says what it changed.
func (t *Tenant) Change(n int) []Change {
	t.index()
	var picked []string
	for _, upn := range t.upns {
		if m := t.mailboxes[strings.ToLower(upn)]; m != nil && !strings.Contains(upn, "#EXT#") {
			picked = append(picked, upn)
		}
	}
	if len(picked) == 0 || n <= 0 {
		return nil
	}
	stride := max(1, len(picked)/n)
	now := t.Audit.now().UTC()
	var out []Change
	for i := 0; i < n && i*stride < len(picked); i++ {
		upn := picked[(i*stride+stride/2)%len(picked)]
		kind := ChangeKinds[i%len(ChangeKinds)]
		t.change(kind, upn, now)
		out = append(out, Change{upn, kind})
	}
	return out
}

// ChangeAccount makes one change of a kind (one of ChangeKinds) to the
// account with a mailbox upn, recorded as Change records it.
func (t *Tenant) ChangeAccount(kind, upn string) error {
	t.index()
	if t.mailboxes[strings.ToLower(upn)] == nil {
		return fmt.Errorf("%s has no mailbox in the fake tenant", upn)
	}
	t.change(kind, upn, t.Audit.now().UTC())
	return nil
}

func (t *Tenant) change(kind, upn string, now time.Time) {
	m := t.mailboxes[strings.ToLower(upn)]
	uid, _ := m.Mailbox["ExternalDirectoryObjectId"].(string)
	audit := func(activity string, initiatedBy bool) {
		entry := map[string]any{"id": fmt.Sprintf("change-%s-%d", uid, len(t.DirectoryAudits)), "activityDateTime": now.Format(time.RFC3339),
			"activityDisplayName": activity, "category": "UserManagement", "result": "success",
			"initiatedBy":     map[string]any{"user": map[string]any{"id": "admin", "userPrincipalName": "admin@contoso.com"}},
			"targetResources": []any{map[string]any{"id": uid, "userPrincipalName": upn, "type": "User"}}}
		if initiatedBy {
			entry["initiatedBy"] = map[string]any{"user": map[string]any{"id": uid, "userPrincipalName": upn}}
			entry["targetResources"] = []any{map[string]any{"id": "9d9d0000-0000-4000-8000-0000000000e1", "type": "ServicePrincipal"}}
		}
		t.DirectoryAudits = append(t.DirectoryAudits, entry)
	}
	switch kind {
	case "CO-MAIL-001":
		m.Mailbox["ForwardingSmtpAddress"] = "smtp:" + strings.Split(upn, "@")[0] + "-changed@exfil.example"
		t.Audit.Record("Set-Mailbox", upn, map[string]any{"Identity": upn, "ForwardingSmtpAddress": m.Mailbox["ForwardingSmtpAddress"]})
	case "CO-PROTO-001":
		m.CASMailbox["ImapEnabled"] = true
		t.Audit.Record("Set-CASMailbox", upn, map[string]any{"Identity": upn, "ImapEnabled": true})
	case "CO-MAIL-002":
		m.InboxRules = append(m.InboxRules, map[string]any{"Name": "sync", "RuleIdentity": "9" + uid[:7], "Enabled": true,
			"RedirectTo": []any{"\"sync\" [SMTP:sync@exfil.example]"}, "DeleteMessage": false, "MarkAsRead": false})
		t.Audit.Record("New-InboxRule", upn, map[string]any{"Mailbox": upn, "Name": "sync", "RedirectTo": "sync@exfil.example"})
	case "CO-DEL-001":
		m.MailboxPermissions = append(m.MailboxPermissions, map[string]any{"Identity": m.Mailbox["Name"], "User": "helper@exfil.example",
			"AccessRights": []any{"FullAccess"}, "IsInherited": false, "Deny": false})
		t.Audit.Record("Add-MailboxPermission", upn, map[string]any{"Identity": upn, "User": "helper@exfil.example", "AccessRights": "FullAccess"})
	case "CO-AUD-001":
		m.AuditBypassEnabled = true
		t.Audit.Record("Set-MailboxAuditBypassAssociation", upn, map[string]any{"Identity": upn, "AuditBypassEnabled": true})
	case "CO-MFA-001":
		if r := t.PerUser[uid]; r != nil {
			kept := r.AuthenticationMethods[:1] // the password
			r.AuthenticationMethods = append(kept, map[string]any{"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": uid + "-ph2",
				"phoneNumber": "+1 2065550000", "phoneType": "mobile", "smsSignInState": "notAllowedByPolicy"})
		}
		for _, d := range t.RegistrationDetails {
			if d["id"] == uid {
				d["methodsRegistered"], d["userPreferredMethodForSecondaryAuthentication"] = []any{"mobilePhone"}, "sms"
				d["lastUpdatedDateTime"] = now.Format(time.RFC3339)
			}
		}
		audit("User deleted security info", false)
	case "CO-ROLE-001":
		for _, r := range t.DirectoryRoles {
			if r["roleTemplateId"] == "62e90394-69f5-4237-9190-012177145e10" {
				t.RoleMembers[id(r)] = append(t.RoleMembers[id(r)], uid)
			}
		}
		audit("Add member to role", false)
	case "CO-APP-001":
		t.OAuth2PermissionGrants = append(t.OAuth2PermissionGrants, map[string]any{"id": "grant-changed-" + uid, "clientId": "9d9d0000-0000-4000-8000-0000000000e1",
			"consentType": "Principal", "principalId": uid, "resourceId": "00000003-sp00-4000-8000-00000000graf", "scope": " Mail.ReadWrite offline_access"})
		audit("Consent to application", true)
	case "CO-RISK-001":
		t.RiskyUsers = append(t.RiskyUsers, map[string]any{"id": uid, "riskLevel": "high", "riskState": "atRisk", "riskDetail": "none",
			"riskLastUpdatedDateTime": now.Format(time.RFC3339), "userPrincipalName": upn})
	case "CO-MAIL-004":
		t.BlockedSenders = append(t.BlockedSenders, map[string]any{"SenderAddress": upn, "Reason": "Outbound spam", "BlockType": "Outbound",
			"CreatedDatetime": now.Format("2006-01-02T15:04:05"), "ChangedDatetime": now.Format("2006-01-02T15:04:05"), "TemporaryBlock": false})
	}
}
