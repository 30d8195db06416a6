package policies

import "strings"

// ChecklistItem is one item of the compromised-account checklist.
type ChecklistItem struct {
	Key  string `json:"key"`
	Item string `json:"item"`
}

// Checklist is the close-out checklist (docs/reference.md), in the order a
// responder works through it. Findings are reported in this order.
var Checklist = []ChecklistItem{
	{"sessions-revoked", "all active sessions revoked after the compromise began"},
	{"password-reset", "password reset after the compromise began, and after sessions were revoked"},
	{"mfa-methods-cleaned", "MFA methods registered during the compromise window removed"},
	{"recovery-options-cleaned", "recovery phone/email and alternate emails added during the window removed"},
	{"oauth-apps-reviewed", "OAuth grants with mail/file scopes, unverified publishers, or granted during the window revoked"},
	{"forwarding-removed", "mailbox forwarding and forwarding/redirecting inbox rules to outside addresses removed"},
	{"activity-reviewed", "sign-in and audit activity in the window reviewed for data access"},
	{"user-notified", "user notified and debriefed"},
	{"root-cause-identified", "root cause identified"},
	{"incident-documented", "incident documented"},
	{"mfa-enforced", "strong MFA in place (authenticator or phishing-resistant; not SMS/voice only)"},
	{"malicious-rules-removed", "inbox rules that delete, hide, mark read or move mail removed"},
	{"delegation-reviewed", "mailbox/calendar delegates and FullAccess/SendAs grants added during the window or to outsiders removed"},
	{"legacy-protocols-disabled", "IMAP, POP and SMTP AUTH off for the mailbox"},
	{"admin-roles-reviewed", "privileged directory roles held by the account justified"},
	{"devices-reviewed", "devices registered during the window removed"},
	{"risk-remediated", "Identity Protection risk remediated or dismissed"},
	{"attacker-access-ended", "no successful sign-in from an indicator IP or after remediation from the attacker's locations"},
	{"account-restored", "sign-in unblocked once remediated"},
	{"sending-unblocked", "the account is off the restricted users list (blocked from sending after outbound spam) once remediated"},
	{"app-credentials-reviewed", "no secret or certificate added during the window to an application or service principal the account owns or changed"},
	{"mailbox-audit-on", "mailbox auditing on and not bypassed for the account"},
}

// tenantChecklistPrefix marks tenant-level posture items (tenant-mfa, ...).
const tenantChecklistPrefix = "tenant-"

// customChecklistPrefix lets custom policies file findings under their own items.
const customChecklistPrefix = "custom-"

// checklistRank orders checklist keys: known items in checklist order, then
// tenant items, then custom ones.
func checklistRank(key string) int {
	for i, c := range Checklist {
		if c.Key == key {
			return i
		}
	}
	if strings.HasPrefix(key, tenantChecklistPrefix) {
		return len(Checklist)
	}
	return len(Checklist) + 1
}

func validChecklistKey(key string) bool {
	return checklistRank(key) < len(Checklist) ||
		(strings.HasPrefix(key, tenantChecklistPrefix) && len(key) > len(tenantChecklistPrefix)) ||
		(strings.HasPrefix(key, customChecklistPrefix) && len(key) > len(customChecklistPrefix))
}

// checklistKeys are the checklist's keys, in its order.
func checklistKeys() []string {
	keys := make([]string, len(Checklist))
	for i, c := range Checklist {
		keys[i] = c.Key
	}
	return keys
}
