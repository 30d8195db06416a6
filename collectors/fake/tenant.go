// Package fake is a fake Microsoft 365 tenant: an HTTP server that answers
// the Microsoft Graph v1.0 requests closeout's collectors make, in the shape
// of Microsoft's documented examples, from a tenant fixture. Tests,
// benchmarks and the demo point the real msgraph-sdk-go client at it. Faults
// (latency, 429 and 503 with Retry-After, 403 and licence errors, truncated
// bodies, dropped connections) and a throttle model can be switched on.
package fake

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
)

// Tenant is a fixture: Graph objects as Graph returns them, tenant-wide
// collections plus per-user ones keyed by user id.
type Tenant struct {
	Organization           []map[string]any    `json:"organization"`
	Users                  []map[string]any    `json:"users"`
	ServicePrincipals      []map[string]any    `json:"servicePrincipals"`
	OAuth2PermissionGrants []map[string]any    `json:"oauth2PermissionGrants"`
	Devices                []map[string]any    `json:"devices"`
	DeviceOwners           map[string][]string `json:"deviceOwners"` // device id → user ids
	DirectoryRoles         []map[string]any    `json:"directoryRoles"`
	RoleMembers            map[string][]string `json:"roleMembers"` // role id → user ids
	Groups                 map[string][]string `json:"groups"`      // group id → transitive user members
	RiskyUsers             []map[string]any    `json:"riskyUsers"`
	RegistrationDetails    []map[string]any    `json:"userRegistrationDetails"`
	// RoleEligibilities are PIM's roleEligibilityScheduleInstances: the
	// roles an account may activate.
	RoleEligibilities []map[string]any `json:"roleEligibilityScheduleInstances"`
	// RoleAssignments are the direct role assignments (roleAssignments),
	// each with its roleDefinition as $expand gives it: custom roles and
	// roles scoped to administrative units, which directoryRole lists miss.
	RoleAssignments []map[string]any          `json:"roleAssignments"`
	SignIns         []map[string]any          `json:"signIns"`
	DirectoryAudits []map[string]any          `json:"directoryAudits"`
	PerUser         map[string]*UserResources `json:"perUser"`
	// Exchange holds each mailbox's cmdlet outputs, keyed by UPN, with
	// Exchange's own property names and types.
	Exchange map[string]*ExchangeMailbox `json:"exchange"`
	// ExchangeOrganization holds organisation cmdlets' outputs, by cmdlet.
	// Get-AcceptedDomain defaults to the verified domains (Authoritative),
	// the connector lists to none.
	ExchangeOrganization map[string][]map[string]any `json:"exchangeOrganization"`
	// Recipients are Exchange's recipients that are not mailboxes (mail
	// contacts, mail users, guests, groups), as Get-Recipient writes them;
	// Get-Recipient answers with these and every mailbox.
	Recipients []map[string]any `json:"recipients"`
	// BlockedSenders is the restricted users list, as
	// Get-BlockedSenderAddress writes it.
	BlockedSenders []map[string]any `json:"blockedSenders"`
	// Applications are app registrations, with their credentials;
	// OwnedObjects maps a user id to the applications and service
	// principals it owns.
	Applications []map[string]any    `json:"applications"`
	OwnedObjects map[string][]string `json:"ownedObjects"`

	// Truth, for a generated tenant, names the accounts each mailbox policy
	// must fail (policy id → UPN), for tests to check a scan against.
	Truth map[string]map[string]bool `json:"-"`
	// Audit is the unified audit log: Night records its changes there.
	Audit AuditLog `json:"-"`

	SecurityDefaults map[string]any `json:"securityDefaults"`
	// indexes, built once on first use: a generated tenant has 100,000 users.
	indexOnce                   sync.Once
	byKey                       map[string]map[string]any
	mailboxes                   map[string]*ExchangeMailbox
	upns                        []string // mailbox UPNs, sorted, for paging the bulk cmdlets
	recipientsOnce              sync.Once
	allRecipients               []map[string]any
	recipientIndex              map[string][]int
	ConditionalAccessPolicies   []map[string]any `json:"conditionalAccessPolicies"`
	AuthorizationPolicy         map[string]any   `json:"authorizationPolicy"`
	AuthenticationMethodsPolicy map[string]any   `json:"authenticationMethodsPolicy"`
}

// ExchangeMailbox is what the Exchange Online cmdlets return for a mailbox.
// An inbox rule with "Hidden": true is returned only with -IncludeHidden
// (the key itself is the fake's, never sent).
type ExchangeMailbox struct {
	Mailbox              map[string]any   `json:"mailbox"`
	CASMailbox           map[string]any   `json:"casMailbox"`
	InboxRules           []map[string]any `json:"inboxRules"`
	MailboxPermissions   []map[string]any `json:"mailboxPermissions"`
	RecipientPermissions []map[string]any `json:"recipientPermissions"`
	// AuditBypassEnabled is the account's mailbox audit bypass
	// association (Get-MailboxAuditBypassAssociation).
	AuditBypassEnabled bool `json:"auditBypassEnabled"`
}

func (t *Tenant) index() {
	t.indexOnce.Do(func() {
		t.byKey = make(map[string]map[string]any, 2*len(t.Users))
		for _, u := range t.Users {
			t.byKey[fmt.Sprint(u["id"])] = u
			t.byKey[strings.ToLower(fmt.Sprint(u["userPrincipalName"]))] = u
		}
		t.mailboxes = make(map[string]*ExchangeMailbox, len(t.Exchange))
		for upn, m := range t.Exchange {
			t.mailboxes[strings.ToLower(upn)] = m
			t.upns = append(t.upns, upn)
			completeMailbox(m.Mailbox)
		}
		sort.Strings(t.upns)
	})
}

func (t *Tenant) mailbox(identity string) *ExchangeMailbox {
	t.index()
	return t.mailboxes[strings.ToLower(identity)]
}

// UserResources are the collections that hang off one user.
type UserResources struct {
	AuthenticationMethods []map[string]any `json:"authenticationMethods"`
	MessageRules          []map[string]any `json:"messageRules"`
	MailFolders           []map[string]any `json:"mailFolders"`
	MailboxSettings       map[string]any   `json:"mailboxSettings"`
	CalendarPermissions   []map[string]any `json:"calendarPermissions"`
	AppRoleAssignments    []map[string]any `json:"appRoleAssignments"`
}

// LoadTenant reads a tenant fixture.
func LoadTenant(path string) (*Tenant, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t Tenant
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(t.Organization) == 0 {
		return nil, fmt.Errorf("%s: no organization", path)
	}
	return &t, nil
}

// TenantID is the fixture's tenant id.
func (t *Tenant) TenantID() string {
	id, _ := t.Organization[0]["id"].(string)
	return id
}

// user finds a user by object id or user principal name.
func (t *Tenant) user(key string) map[string]any {
	t.index()
	if u, ok := t.byKey[key]; ok {
		return u
	}
	return t.byKey[strings.ToLower(key)]
}

func (t *Tenant) resources(userID string) *UserResources {
	if r := t.PerUser[userID]; r != nil {
		return r
	}
	return &UserResources{}
}

func findByID(items []map[string]any, id string) map[string]any {
	for _, it := range items {
		if it["id"] == id {
			return it
		}
	}
	return nil
}

// completeMailbox gives a mailbox row the identities Exchange writes and a
// fixture may leave out: Identity, Guid, DistinguishedName, Alias, the
// legacy DN an [EX:…] recipient names, its proxy addresses, AuditEnabled.
func completeMailbox(m map[string]any) {
	name, _ := m["Name"].(string)
	primary, _ := m["PrimarySmtpAddress"].(string)
	id, _ := m["ExternalDirectoryObjectId"].(string)
	alias, _, _ := strings.Cut(primary, "@")
	defaults := map[string]any{
		"Identity":          name,
		"Alias":             alias,
		"Guid":              "e" + strings.TrimPrefix(id, id[:min(1, len(id))]),
		"DistinguishedName": "CN=" + name + ",OU=contoso.onmicrosoft.com,OU=Microsoft Exchange Hosted Organizations,DC=EURPR01A001,DC=PROD,DC=OUTLOOK,DC=COM",
		"LegacyExchangeDN":  LegacyDN(id, alias),
		"EmailAddresses":    []any{"SMTP:" + primary},
		"AuditEnabled":      true,
		"WindowsLiveID":     m["UserPrincipalName"],
	}
	for k, v := range defaults {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
}

// LegacyDN is the legacy Exchange DN Exchange gives a recipient, the form
// an inbox rule writes a recipient picked from the address book in.
func LegacyDN(id, alias string) string {
	return "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=" + strings.ReplaceAll(id, "-", "") + "-" + alias
}
