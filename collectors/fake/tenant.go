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
	ExchangeOrganization map[string][]map[string]any `json:"exchangeOrganization"`

	SecurityDefaults map[string]any `json:"securityDefaults"`
	// indexes, built once on first use: a generated tenant has 100,000 users.
	indexOnce                   sync.Once
	byKey                       map[string]map[string]any
	mailboxes                   map[string]*ExchangeMailbox
	upns                        []string         // mailbox UPNs, sorted, for paging the bulk cmdlets
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
