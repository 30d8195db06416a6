package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/collectors/safehttp"
	"github.com/closeout-dev/closeout/snapshot"
)

// Options say which account to collect and how.
type Options struct {
	ClientOptions
	// User is the account's user principal name or object id.
	User string
	// Incident, when set, makes an incident-mode snapshot; its window start
	// bounds the sign-ins and audits collected.
	Incident *snapshot.Incident
	// PostureDays bounds sign-ins and audits in posture mode (default 30).
	PostureDays int
	// Version is the closeout version written into the snapshot.
	Version string
	// Now is the collection time (time.Now by default).
	Now func() time.Time
	// OnUser, when set, is called as soon as the tenant and the account are
	// known, before the sections are read: the Exchange collector starts
	// there, so the two run side by side.
	OnUser func(tenant snapshot.Tenant, userPrincipalName string)
}

// Collect reads one account from Graph into a snapshot, in three rounds of
// $batch requests: the tenant and the account; every section; then what
// the sections name (the apps behind grants, the devices the audits name,
// the folders rules move mail to). It fails only when nothing can be
// evaluated (the tenant or the user cannot be read); every other failure
// is recorded in the section's coverage. No read lists a tenant-wide
// collection: the cost of one account does not grow with the tenant.
func Collect(ctx context.Context, opts Options) (*snapshot.Snapshot, error) {
	c, collectedAt, err := newCollector(opts)
	if err != nil {
		return nil, err
	}
	snap := &snapshot.Snapshot{
		SchemaVersion: snapshot.SchemaVersion,
		CollectedAt:   collectedAt,
		Source:        c.source(),
		Incident:      opts.Incident,
		Coverage:      map[string]snapshot.CoverageItem{},
	}
	// Round 1: the tenant and the account.
	first := c.raw.batch(ctx, []step{
		{ID: "tenant", URL: "/organization?$select=id,verifiedDomains"},
		{ID: "user", URL: "/users/" + url.PathEscape(opts.User) + "?$select=" + strings.Join(userFields, ",")},
	})
	if err := c.readTenant(first["tenant"], &snap.Tenant); err != nil {
		return nil, err
	}
	if err := c.readUser(first["user"], snap); err != nil {
		return nil, err
	}
	c.userID = snap.User.ID
	c.since = snap.CollectedAt.AddDate(0, 0, -postureDays(opts.PostureDays))
	if opts.Incident != nil {
		c.since = opts.Incident.WindowStart
	}
	if opts.OnUser != nil {
		opts.OnUser(snap.Tenant, snap.User.UserPrincipalName)
	}

	// Round 2: every section, in one $batch.
	sections := c.sections()
	steps := make([]step, 0, len(sections))
	for _, s := range sections {
		for i, u := range s.urls {
			steps = append(steps, step{ID: fmt.Sprintf("%s#%d", s.name, i), URL: u})
		}
	}
	answers := c.raw.batch(ctx, steps)
	for _, s := range sections {
		bodies := make([]json.RawMessage, len(s.urls))
		var err error
		var partial *snapshot.CoverageItem
		for i := range s.urls {
			a := answers[fmt.Sprintf("%s#%d", s.name, i)]
			if a.Err != nil && s.partial != nil {
				if cov, ok := s.partial(i, a.Err); ok {
					partial = &cov
					continue
				}
			}
			if a.Err != nil {
				err = a.Err
				break
			}
			bodies[i] = a.Body
		}
		if err == nil {
			err = withRetry(ctx, func() error { return s.read(ctx, bodies, snap) }, func() error {
				// A page that broke off is read again, once, on its own.
				for i, u := range s.urls {
					if bodies[i] == nil {
						continue // a read partial let go
					}
					b, gerr := c.raw.get(ctx, u)
					if gerr != nil {
						return gerr
					}
					bodies[i] = b
				}
				return s.read(ctx, bodies, snap)
			})
		}
		if err == nil && partial != nil {
			snap.Coverage[s.name] = *partial
		}
		c.record(snap, s.name, err)
	}

	// Round 3: what the sections named.
	c.resolve(ctx, snap)
	for _, s := range ExchangeOnly {
		snap.Coverage[s] = snapshot.CoverageItem{Status: snapshot.StatusSkipped, Detail: "Exchange-only: run the exchange collector"}
	}
	return snap, nil
}

// ExchangeOnly are the sections only the Exchange collector reads.
var ExchangeOnly = []string{"mailbox.forwarding", "mailbox.protocols", "mailbox.audit", "mailbox.restricted", "connectors"}

// record sets a section's coverage from its error; a section that set a
// coverage of its own (partial data) keeps it.
func (c *collector) record(snap *snapshot.Snapshot, section string, err error) {
	if err != nil {
		snap.Coverage[section] = coverageFor(section, err)
		return
	}
	if _, set := snap.Coverage[section]; !set {
		snap.Coverage[section] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	}
}

func postureDays(n int) int {
	if n <= 0 {
		return 30
	}
	return n
}

func cloudName(c string) string {
	if c == "" {
		return "global"
	}
	return strings.ToLower(c)
}

// withRetry runs read, and once more through again when the connection
// broke (a dropped connection or a truncated body), which the SDK's retry
// handler, acting on responses, does not.
func withRetry(ctx context.Context, read, again func() error) error {
	err := read()
	if err != nil && ctx.Err() == nil && brokenConnection(err) {
		err = again()
	}
	return err
}

// newCollector builds the client and says when the collection happens.
func newCollector(opts Options) (*collector, time.Time, error) {
	adapter, _, err := NewAdapter(opts.ClientOptions)
	if err != nil {
		return nil, time.Time{}, &CollectionError{What: "configuration", Err: err}
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	base, err := url.Parse(adapter.GetBaseUrl())
	if err != nil {
		return nil, time.Time{}, &CollectionError{What: "configuration", Err: err}
	}
	retries := opts.MaxRetries
	if retries <= 0 {
		retries = 5
	}
	if opts.RetryDelay == nil {
		opts.RetryDelay = safehttp.RetryDelay
	}
	c := &collector{opts: opts, consents: map[string]time.Time{},
		raw: &rawGraph{adapter: adapter, base: base, maxRetries: retries, sleep: safehttp.Sleep, delay: opts.RetryDelay, svc: safehttp.NewService("Graph"),
			debug: opts.Debug, onThrottle: opts.OnThrottle, onUsage: opts.OnUsage}}
	return c, now().UTC().Truncate(time.Second), nil
}

func (c *collector) source() snapshot.Source {
	return snapshot.Source{Tool: "closeout", Version: c.opts.Version, Collectors: []string{"graph"}, Cloud: cloudName(c.opts.Cloud)}
}

type collector struct {
	raw    *rawGraph
	opts   Options
	userID string
	since  time.Time

	// From round 2, for round 3.
	consents  map[string]time.Time // client service principal id → latest consent
	deviceIDs []string             // devices the audits say were registered
	folders   []string             // folders inbox rules move mail to
	// credentialChanges are the audits in which the account changed an
	// application's or service principal's credentials.
	credentialChanges []credentialChange
}

// readTenant reads the organization; a failure stops the collection.
func (c *collector) readTenant(a answer, t *snapshot.Tenant) error {
	if a.Err != nil {
		return fatal("tenant", a.Err)
	}
	tenant, err := TenantFromGraph(a.Body)
	if err != nil {
		return err
	}
	*t = tenant
	return nil
}

// TenantFromGraph maps the organization collection into the tenant.
func TenantFromGraph(body []byte) (snapshot.Tenant, error) {
	var t snapshot.Tenant
	var orgs struct {
		Value []struct {
			ID              string `json:"id"`
			VerifiedDomains []struct {
				Name      string `json:"name"`
				IsDefault *bool  `json:"isDefault"`
			} `json:"verifiedDomains"`
		} `json:"value"`
	}
	if err := json.Unmarshal(body, &orgs); err != nil {
		return t, &CollectionError{What: "tenant", Err: fmt.Errorf("the organization is not JSON Graph would send: %w", err)}
	}
	if len(orgs.Value) == 0 {
		return t, &CollectionError{What: "tenant", Err: errors.New("no organization returned")}
	}
	org := orgs.Value[0]
	t.ID = org.ID
	for _, d := range org.VerifiedDomains {
		t.Domains = append(t.Domains, d.Name)
		if d.IsDefault != nil && *d.IsDefault {
			t.DefaultDomain = d.Name
		}
	}
	if len(t.Domains) == 0 {
		return t, &CollectionError{What: "tenant", Err: errors.New("the organization has no verified domains"), Fix: "grant Organization.Read.All"}
	}
	return t, nil
}

var userFields = []string{"id", "userPrincipalName", "displayName", "mail", "userType", "accountEnabled", "createdDateTime",
	"lastPasswordChangeDateTime", "signInSessionsValidFromDateTime", "passwordPolicies", "otherMails"}

// graphUser is a user as Graph sends it with userFields selected.
type graphUser struct {
	ID                              string     `json:"id"`
	UserPrincipalName               string     `json:"userPrincipalName"`
	DisplayName                     *string    `json:"displayName"`
	Mail                            *string    `json:"mail"`
	UserType                        *string    `json:"userType"`
	AccountEnabled                  *bool      `json:"accountEnabled"`
	CreatedDateTime                 *time.Time `json:"createdDateTime"`
	LastPasswordChangeDateTime      *time.Time `json:"lastPasswordChangeDateTime"`
	SignInSessionsValidFromDateTime *time.Time `json:"signInSessionsValidFromDateTime"`
	PasswordPolicies                *string    `json:"passwordPolicies"`
	OtherMails                      []string   `json:"otherMails"`
}

// UserFromGraph maps one Graph user object into the snapshot's user: the
// one mapping of a user, for the per-account path and a tenant scan alike.
func UserFromGraph(raw []byte) (snapshot.User, error) {
	var u graphUser
	if err := json.Unmarshal(raw, &u); err != nil {
		return snapshot.User{}, err
	}
	if u.ID == "" || u.UserPrincipalName == "" {
		return snapshot.User{}, errors.New("the user has no id or userPrincipalName")
	}
	out := snapshot.User{
		ID: u.ID, UserPrincipalName: u.UserPrincipalName, DisplayName: deref(u.DisplayName), Mail: u.Mail,
		UserType: deref(u.UserType), AccountEnabled: u.AccountEnabled, CreatedDateTime: utc(u.CreatedDateTime),
		LastPasswordChangeDateTime: utc(u.LastPasswordChangeDateTime), SignInSessionsValidFromDateTime: utc(u.SignInSessionsValidFromDateTime),
		PasswordPolicies: u.PasswordPolicies, OtherMails: u.OtherMails,
	}
	if out.OtherMails == nil {
		out.OtherMails = []string{}
	}
	return out, nil
}

func (c *collector) readUser(a answer, snap *snapshot.Snapshot) error {
	if a.Err != nil {
		return fatal("user", a.Err)
	}
	u, err := UserFromGraph(a.Body)
	if err != nil {
		return &CollectionError{What: "user", Err: err}
	}
	snap.User = u
	snap.Coverage["user"] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	return nil
}

// section is one snapshot section: the reads it needs (paths under the
// service root) and how it maps their answers.
type section struct {
	name string
	urls []string
	read func(ctx context.Context, bodies []json.RawMessage, snap *snapshot.Snapshot) error
	// partial, when set, decides about a read of urls[i] that failed: it
	// may let the others stand (read gets a nil body for it) and give the
	// coverage the section then has, or refuse, failing the section.
	partial func(i int, err error) (snapshot.CoverageItem, bool)
}

func (c *collector) sections() []section {
	user := "/users/" + url.PathEscape(c.userID)
	since := c.since.UTC().Format(time.RFC3339)
	q := func(params ...string) string { return "?" + strings.Join(params, "&") }
	filter := func(f string) string { return "$filter=" + url.QueryEscape(f) }
	return []section{
		{"authMethods", []string{user + "/authentication/methods"}, c.authMethods, nil},
		{"registration", []string{"/reports/authenticationMethods/userRegistrationDetails/" + url.PathEscape(c.userID) +
			q("$select=isMfaRegistered,methodsRegistered,userPreferredMethodForSecondaryAuthentication")}, c.registration, nil},
		{name: "roles", urls: []string{user + "/transitiveMemberOf/microsoft.graph.directoryRole" + q("$select=id,displayName,roleTemplateId"),
			"/roleManagement/directory/roleEligibilityScheduleInstances" + q(filter(fmt.Sprintf("principalId eq '%s'", c.userID)), "$select=roleDefinitionId,directoryScopeId,startDateTime"),
			"/roleManagement/directory/roleAssignments" + q(filter(fmt.Sprintf("principalId eq '%s'", c.userID)), "$select=roleDefinitionId,directoryScopeId", "$expand=roleDefinition($select=displayName,templateId)")},
			read: c.roles, partial: rolesUnread},
		// The list filtered by id, not the object by id: an account Identity
		// Protection never flagged has no riskyUser, and a read by id of it
		// would be a 404, not "no risk".
		{"risk", []string{"/identityProtection/riskyUsers" + q(filter(fmt.Sprintf("id eq '%s'", c.userID)), "$select=id,riskLevel,riskState,riskDetail,riskLastUpdatedDateTime")}, c.risk, nil},
		{"oauthGrants", []string{user + "/oauth2PermissionGrants" + q("$select=clientId,consentType,scope")}, c.oauthGrants, nil},
		{"appRoleAssignments", []string{user + "/appRoleAssignments" + q("$select=resourceId,resourceDisplayName,appRoleId,createdDateTime")}, c.appRoleAssignments, nil},
		{"appCredentials", appCredentialsURLs(user), c.appCredentials, nil},
		{"mailbox.inboxRules", []string{user + "/mailFolders/inbox/messageRules" + q("$select=id,displayName,isEnabled,conditions,actions")}, c.inboxRules, nil},
		{"mailbox.autoReply", []string{user + "/mailboxSettings" + q("$select=automaticRepliesSetting")}, c.autoReply, nil},
		{"mailbox.permissions", []string{user + "/calendar/calendarPermissions" + q("$select=emailAddress,role")}, c.calendarPermissions, nil},
		{"signIns", []string{"/auditLogs/signIns" + q(filter(fmt.Sprintf("userId eq '%s' and createdDateTime ge %s", c.userID, since)), "$top=1000",
			"$select=createdDateTime,ipAddress,location,clientAppUsed,appDisplayName,status,riskLevelDuringSignIn,isInteractive")}, c.signIns, nil},
		// Entries about the user, and those the user initiated (consents
		// name the app, not the user, as their target).
		{"audits", []string{
			"/auditLogs/directoryAudits" + q(filter(fmt.Sprintf("targetResources/any(t:t/id eq '%s') and activityDateTime ge %s", c.userID, since)), auditSelect),
			"/auditLogs/directoryAudits" + q(filter(fmt.Sprintf("initiatedBy/user/id eq '%s' and activityDateTime ge %s", c.userID, since)), auditSelect),
		}, c.audits, nil},
	}
}

const auditSelect = "$select=id,activityDateTime,activityDisplayName,category,result,initiatedBy,targetResources"

// items decodes one collection answer, following its next links.
func (c *collector) items(ctx context.Context, body json.RawMessage) ([]json.RawMessage, error) {
	return c.raw.collection(ctx, body)
}

// eachItem decodes every item of a collection answer into T.
func eachItem[T any](ctx context.Context, c *collector, body json.RawMessage, each func(T) error) error {
	items, err := c.items(ctx, body)
	if err != nil {
		return err
	}
	for _, raw := range items {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("an item is not JSON Graph would send: %w", err)
		}
		if err := each(v); err != nil {
			return err
		}
	}
	return nil
}

// methodType maps "#microsoft.graph.fido2AuthenticationMethod" to "fido2".
func methodType(odataType string) string {
	t := strings.TrimSuffix(strings.TrimPrefix(odataType, "#microsoft.graph."), "AuthenticationMethod")
	for _, known := range []string{"password", "phone", "email", "microsoftAuthenticator", "fido2", "softwareOath", "temporaryAccessPass",
		"windowsHelloForBusiness", "platformCredential", "hardwareOath", "x509Certificate", "qrCodePin"} {
		if strings.EqualFold(t, known) {
			return known
		}
	}
	return "other"
}

type graphAuthMethod struct {
	ODataType        string     `json:"@odata.type"`
	ID               string     `json:"id"`
	DisplayName      *string    `json:"displayName"`
	CreatedDateTime  *time.Time `json:"createdDateTime"`
	CreationDateTime *time.Time `json:"creationDateTime"` // some documented examples spell it so
	PhoneNumber      *string    `json:"phoneNumber"`
	PhoneType        *string    `json:"phoneType"`
	EmailAddress     *string    `json:"emailAddress"`
	IsUsable         *bool      `json:"isUsable"`
}

func (c *collector) authMethods(ctx context.Context, bodies []json.RawMessage, snap *snapshot.Snapshot) error {
	items, err := c.items(ctx, bodies[0])
	if err != nil {
		return err
	}
	methods := make([]snapshot.AuthMethod, 0, len(items))
	for _, raw := range items {
		am, err := AuthMethodFromGraph(raw)
		if err != nil {
			return err
		}
		methods = append(methods, am)
	}
	snap.AuthMethods = methods
	return nil
}

func (c *collector) registration(_ context.Context, bodies []json.RawMessage, snap *snapshot.Snapshot) error {
	reg, err := RegistrationFromGraph(bodies[0])
	if err != nil {
		return err
	}
	snap.Registration = reg
	return nil
}

// RegistrationFromGraph maps one userRegistrationDetails object. An empty
// preferred method (Graph's answer for an account with none) is null.
func RegistrationFromGraph(raw []byte) (*snapshot.Registration, error) {
	var r struct {
		IsMfaRegistered   *bool    `json:"isMfaRegistered"`
		MethodsRegistered []string `json:"methodsRegistered"`
		Preferred         *string  `json:"userPreferredMethodForSecondaryAuthentication"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	if r.IsMfaRegistered == nil {
		return nil, &ValueError{Field: "registration.isMfaRegistered", Value: "(missing)"}
	}
	reg := &snapshot.Registration{IsMfaRegistered: *r.IsMfaRegistered, MethodsRegistered: r.MethodsRegistered}
	if r.Preferred != nil && strings.TrimSpace(*r.Preferred) == "" {
		r.Preferred = nil
	}
	var err error
	if reg.DefaultMethod, err = enum("registration.defaultMethod", r.Preferred); err != nil {
		return nil, err
	}
	if reg.MethodsRegistered == nil {
		reg.MethodsRegistered = []string{}
	}
	return reg, nil
}

// roles reads the directory roles the account holds (transitively) and,
// when Privileged Identity Management could be read, those it is eligible
// to activate.
func (c *collector) roles(ctx context.Context, bodies []json.RawMessage, snap *snapshot.Snapshot) error {
	var roles []snapshot.Role
	err := eachItem(ctx, c, bodies[0], func(r struct {
		ID             string `json:"id"`
		DisplayName    string `json:"displayName"`
		RoleTemplateID string `json:"roleTemplateId"`
	}) error {
		roles = append(roles, snapshot.Role{ID: r.ID, DisplayName: r.DisplayName, RoleTemplateID: r.RoleTemplateID, Privileged: RoleIsPrivileged(r.RoleTemplateID)})
		return nil
	})
	// Then the PIM eligibilities and the direct assignments, each unless
	// its read was let go (a nil body).
	add := func(body json.RawMessage, with func([]snapshot.Role, []json.RawMessage) ([]snapshot.Role, error)) {
		if err != nil || body == nil {
			return
		}
		var items []json.RawMessage
		if items, err = c.items(ctx, body); err == nil {
			roles, err = with(roles, items)
		}
	}
	add(bodies[1], WithEligible)
	add(bodies[2], WithAssigned)
	if err == nil {
		snap.Roles = roles
	}
	return err
}

// EligibleRoleFromGraph maps one roleEligibilityScheduleInstance: a role
// the account may activate through PIM. A built-in role's definition id
// is its template id; another (a custom role) is named by its id and not
// known to be harmless.
func EligibleRoleFromGraph(raw json.RawMessage) (snapshot.Role, error) {
	var e struct {
		RoleDefinitionID string     `json:"roleDefinitionId"`
		DirectoryScopeID string     `json:"directoryScopeId"`
		StartDateTime    *time.Time `json:"startDateTime"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return snapshot.Role{}, err
	}
	if e.RoleDefinitionID == "" {
		return snapshot.Role{}, &ValueError{Field: "roles.roleDefinitionId", Value: "(missing)"}
	}
	name := "role definition " + e.RoleDefinitionID
	if r, ok := builtInRoles[strings.ToLower(e.RoleDefinitionID)]; ok {
		name = r.name
	}
	if e.DirectoryScopeID != "" && e.DirectoryScopeID != "/" {
		name += " (scope " + e.DirectoryScopeID + ")"
	}
	return snapshot.Role{ID: e.RoleDefinitionID, DisplayName: name, RoleTemplateID: e.RoleDefinitionID,
		Privileged: RoleIsPrivileged(e.RoleDefinitionID), Assignment: "eligible", StartDateTime: utc(e.StartDateTime)}, nil
}

// WithAssigned adds to the roles the direct assignments the directoryRole
// list leaves out (custom roles, roles scoped to administrative units);
// an assignment of a role already held tenant-wide adds nothing.
func WithAssigned(roles []snapshot.Role, assigned []json.RawMessage) ([]snapshot.Role, error) {
	held := map[string]bool{}
	for _, r := range roles {
		if r.Assignment == "" {
			held[strings.ToLower(r.ID)] = true
			held[strings.ToLower(r.RoleTemplateID)] = true
		}
	}
	for _, raw := range assigned {
		role, err := AssignedRoleFromGraph(raw)
		if err != nil {
			return roles, err
		}
		if !held[strings.ToLower(role.ID)] {
			held[strings.ToLower(role.ID)] = true
			roles = append(roles, role)
		}
	}
	return roles, nil
}

// WithEligible adds to the roles those the account may activate through
// PIM, one per roleEligibilityScheduleInstance.
func WithEligible(roles []snapshot.Role, eligible []json.RawMessage) ([]snapshot.Role, error) {
	for _, raw := range eligible {
		role, err := EligibleRoleFromGraph(raw)
		if err != nil {
			return roles, err
		}
		roles = append(roles, role)
	}
	return roles, nil
}

// AssignedRoleFromGraph maps one direct roleAssignment with its expanded
// roleDefinition. A role scoped to an administrative unit has the id
// "template|scope", and its scope in its name; a custom role's template is
// its definition's, not known to be harmless.
func AssignedRoleFromGraph(raw json.RawMessage) (snapshot.Role, error) {
	var a struct {
		RoleDefinitionID string `json:"roleDefinitionId"`
		DirectoryScopeID string `json:"directoryScopeId"`
		RoleDefinition   *struct {
			DisplayName *string `json:"displayName"`
			TemplateID  *string `json:"templateId"`
		} `json:"roleDefinition"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return snapshot.Role{}, err
	}
	if a.RoleDefinitionID == "" {
		return snapshot.Role{}, &ValueError{Field: "roles.roleDefinitionId", Value: "(missing)"}
	}
	template, name := a.RoleDefinitionID, "role definition "+a.RoleDefinitionID
	if r, ok := builtInRoles[strings.ToLower(template)]; ok {
		name = r.name
	}
	if d := a.RoleDefinition; d != nil {
		if d.TemplateID != nil && *d.TemplateID != "" {
			template = *d.TemplateID
		}
		if d.DisplayName != nil && *d.DisplayName != "" {
			name = *d.DisplayName
		}
	}
	id := template
	if a.DirectoryScopeID != "" && a.DirectoryScopeID != "/" {
		name += " (scope " + a.DirectoryScopeID + ")"
		id += "|" + a.DirectoryScopeID
	}
	return snapshot.Role{ID: id, DisplayName: name, RoleTemplateID: template, Privileged: RoleIsPrivileged(template)}, nil
}

// rolesUnread decides about a roles read beside the directoryRole list
// that failed: the PIM eligibilities (urls[1]) or the direct assignments
// (urls[2]).
func rolesUnread(i int, err error) (snapshot.CoverageItem, bool) {
	switch i {
	case 1:
		return EligibilityUnread(err)
	case 2:
		return AssignmentsUnread(err)
	}
	return snapshot.CoverageItem{}, false
}

// AssignmentsUnread is the roles coverage when the direct assignments
// could not be read, and whether the roles read so far may stand.
func AssignmentsUnread(err error) (snapshot.CoverageItem, bool) {
	if status, code, msg := describe(err); status == 403 {
		return snapshot.CoverageItem{Status: snapshot.StatusForbidden, Detail: fmt.Sprintf(
			"the roles held through the directory were read; direct assignments (custom roles, roles scoped to administrative units) were not: grant RoleManagement.Read.Directory (%s: %s)", code, msg)}, true
	}
	return snapshot.CoverageItem{}, false
}

// EligibilityUnread is the roles coverage when the PIM eligibility read
// failed with err, and whether the active roles may stand.
func EligibilityUnread(err error) (snapshot.CoverageItem, bool) {
	status, code, msg := describe(err)
	switch {
	case code == "AadPremiumLicenseRequired" || licenceCodes[code]:
		return snapshot.CoverageItem{Status: snapshot.StatusCollected, Detail: "no Privileged Identity Management in the tenant (" + code + "): no role can be eligible, the active ones are all"}, true
	case status == 403:
		return snapshot.CoverageItem{Status: snapshot.StatusForbidden, Detail: fmt.Sprintf(
			"the active roles were read; the roles the account can activate through PIM were not: grant RoleManagement.Read.Directory or RoleEligibilitySchedule.Read.Directory (%s: %s)", code, msg)}, true
	}
	return snapshot.CoverageItem{}, false
}

// RiskFromGraph maps a riskyUser object into the snapshot's risk.
func RiskFromGraph(raw []byte) (*snapshot.Risk, error) {
	var r struct {
		RiskLevel   *string    `json:"riskLevel"`
		RiskState   *string    `json:"riskState"`
		RiskDetail  *string    `json:"riskDetail"`
		LastUpdated *time.Time `json:"riskLastUpdatedDateTime"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	risk := &snapshot.Risk{RiskLastUpdatedDateTime: utc(r.LastUpdated)}
	var err error
	if risk.RiskLevel, err = enum("risk.riskLevel", r.RiskLevel); err != nil {
		return nil, err
	}
	if risk.RiskState, err = enum("risk.riskState", r.RiskState); err != nil {
		return nil, err
	}
	if risk.RiskDetail, err = enum("risk.riskDetail", r.RiskDetail); err != nil {
		return nil, err
	}
	return risk, nil
}

func (c *collector) risk(ctx context.Context, bodies []json.RawMessage, snap *snapshot.Snapshot) error {
	items, err := c.items(ctx, bodies[0])
	if err != nil {
		return err
	}
	switch len(items) {
	case 0:
		snap.Risk = NoRiskRecord()
		snap.Coverage["risk"] = snapshot.CoverageItem{Status: snapshot.StatusCollected, Detail: NoRiskRecordDetail}
		return nil
	case 1:
		snap.Risk, err = RiskFromGraph(items[0])
		return err
	}
	return fmt.Errorf("Identity Protection returned %d riskyUsers for one id", len(items))
}

// NoRiskRecordDetail says why an account has risk "none".
const NoRiskRecordDetail = "Identity Protection holds no record of the account: it never detected a risk"

// NoRiskRecord is the risk of an account Identity Protection never rated:
// none, as a riskyUser that was never at risk would say.
func NoRiskRecord() *snapshot.Risk {
	none, none2 := "none", "none"
	return &snapshot.Risk{RiskLevel: &none, RiskState: &none2}
}

// GrantFromGraph maps an oauth2PermissionGrant (its client resolved later).
func GrantFromGraph(raw []byte) (snapshot.OAuthGrant, error) {
	var g struct {
		ClientID    string  `json:"clientId"`
		ConsentType *string `json:"consentType"`
		Scope       string  `json:"scope"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return snapshot.OAuthGrant{}, err
	}
	consent, err := enum("oauthGrants.consentType", g.ConsentType)
	if err != nil {
		return snapshot.OAuthGrant{}, err
	}
	og := snapshot.OAuthGrant{ClientID: g.ClientID, ConsentType: deref(consent), Scopes: strings.Fields(g.Scope)}
	if og.Scopes == nil {
		og.Scopes = []string{}
	}
	return og, nil
}

func (c *collector) oauthGrants(ctx context.Context, bodies []json.RawMessage, snap *snapshot.Snapshot) error {
	items, err := c.items(ctx, bodies[0])
	if err != nil {
		return err
	}
	for _, raw := range items {
		g, err := GrantFromGraph(raw)
		if err != nil {
			return err
		}
		snap.OAuthGrants = append(snap.OAuthGrants, g)
	}
	return nil
}

func (c *collector) appRoleAssignments(ctx context.Context, bodies []json.RawMessage, snap *snapshot.Snapshot) error {
	var out []snapshot.AppRoleAssignment
	err := eachItem(ctx, c, bodies[0], func(a struct {
		ResourceID          string     `json:"resourceId"`
		ResourceDisplayName string     `json:"resourceDisplayName"`
		AppRoleID           string     `json:"appRoleId"`
		CreatedDateTime     *time.Time `json:"createdDateTime"`
	}) error {
		out = append(out, snapshot.AppRoleAssignment{ResourceID: a.ResourceID,
			ResourceDisplayName: a.ResourceDisplayName, AppRoleID: a.AppRoleID, CreatedDateTime: utc(a.CreatedDateTime)})
		return nil
	})
	if err == nil {
		snap.AppRoleAssignments = out
	}
	return err
}

type graphRecipient struct {
	EmailAddress *struct {
		Address *string `json:"address"`
	} `json:"emailAddress"`
}

func addresses(rs []graphRecipient) []string {
	out := []string{}
	for _, r := range rs {
		if r.EmailAddress != nil && r.EmailAddress.Address != nil {
			out = append(out, *r.EmailAddress.Address)
		}
	}
	return out
}

type graphMessageRule struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	IsEnabled   *bool  `json:"isEnabled"`
	Conditions  *struct {
		SubjectContains       []string         `json:"subjectContains"`
		BodyContains          []string         `json:"bodyContains"`
		BodyOrSubjectContains []string         `json:"bodyOrSubjectContains"`
		SenderContains        []string         `json:"senderContains"`
		RecipientContains     []string         `json:"recipientContains"`
		HeaderContains        []string         `json:"headerContains"`
		FromAddresses         []graphRecipient `json:"fromAddresses"`
		SentToAddresses       []graphRecipient `json:"sentToAddresses"`
	} `json:"conditions"`
	Actions *struct {
		ForwardTo             []graphRecipient `json:"forwardTo"`
		RedirectTo            []graphRecipient `json:"redirectTo"`
		ForwardAsAttachmentTo []graphRecipient `json:"forwardAsAttachmentTo"`
		Delete                *bool            `json:"delete"`
		PermanentDelete       *bool            `json:"permanentDelete"`
		MarkAsRead            *bool            `json:"markAsRead"`
		StopProcessingRules   *bool            `json:"stopProcessingRules"`
		MoveToFolder          *string          `json:"moveToFolder"`
	} `json:"actions"`
}

func (c *collector) inboxRules(ctx context.Context, bodies []json.RawMessage, snap *snapshot.Snapshot) error {
	var rules []snapshot.InboxRule
	err := eachItem(ctx, c, bodies[0], func(r graphMessageRule) error {
		// A rule whose state Graph did not send is taken as enabled: a
		// rule is never assumed harmless for lack of a field.
		rule := snapshot.InboxRule{ID: r.ID, Name: r.DisplayName, Source: "graph", Enabled: r.IsEnabled == nil || *r.IsEnabled, Conditions: map[string]any{}}
		if p := r.Conditions; p != nil {
			add := func(key string, v []string) {
				if len(v) > 0 {
					rule.Conditions[key] = v
				}
			}
			add("subjectContains", p.SubjectContains)
			add("bodyContains", p.BodyContains)
			add("bodyOrSubjectContains", p.BodyOrSubjectContains)
			add("senderContains", p.SenderContains)
			add("recipientContains", p.RecipientContains)
			add("headerContains", p.HeaderContains)
			add("fromAddresses", addresses(p.FromAddresses))
			add("sentToAddresses", addresses(p.SentToAddresses))
		}
		rule.Actions = snapshot.RuleActions{ForwardTo: []string{}, RedirectTo: []string{}, ForwardAsAttachmentTo: []string{}}
		if a := r.Actions; a != nil {
			rule.Actions = snapshot.RuleActions{
				ForwardTo: addresses(a.ForwardTo), RedirectTo: addresses(a.RedirectTo), ForwardAsAttachmentTo: addresses(a.ForwardAsAttachmentTo),
				Delete: deref(a.Delete), PermanentDelete: deref(a.PermanentDelete), MarkAsRead: deref(a.MarkAsRead), StopProcessingRules: deref(a.StopProcessingRules),
			}
			if a.MoveToFolder != nil && *a.MoveToFolder != "" {
				// The folder's name is read in round 3; until then its id.
				id := *a.MoveToFolder
				rule.Actions.MoveToFolder = &id
				if !contains(c.folders, id) {
					c.folders = append(c.folders, id)
				}
			}
		}
		rules = append(rules, rule)
		return nil
	})
	if err != nil {
		return err
	}
	mailbox(snap).InboxRules = rules
	snap.Coverage["mailbox.inboxRules"] = snapshot.CoverageItem{Status: snapshot.StatusSkipped,
		Detail: fmt.Sprintf("Graph lists only visible rules (%d found); hidden rules need the exchange collector", len(rules))}
	return nil
}

func mailbox(snap *snapshot.Snapshot) *snapshot.Mailbox {
	if snap.Mailbox == nil {
		snap.Mailbox = &snapshot.Mailbox{}
	}
	return snap.Mailbox
}

func (c *collector) autoReply(_ context.Context, bodies []json.RawMessage, snap *snapshot.Snapshot) error {
	var ms struct {
		Setting *struct {
			Status           *string `json:"status"`
			ExternalAudience *string `json:"externalAudience"`
		} `json:"automaticRepliesSetting"`
	}
	if err := json.Unmarshal(bodies[0], &ms); err != nil {
		return err
	}
	if ms.Setting == nil {
		return &ValueError{Field: "mailbox.autoReply.status", Value: "(no automaticRepliesSetting)"}
	}
	reply := &snapshot.AutoReply{}
	var err error
	if reply.Status, err = enum("mailbox.autoReply.status", ms.Setting.Status); err != nil {
		return err
	}
	if reply.ExternalAudience, err = enum("mailbox.autoReply.externalAudience", ms.Setting.ExternalAudience); err != nil {
		return err
	}
	mailbox(snap).AutoReply = reply
	return nil
}

func (c *collector) calendarPermissions(ctx context.Context, bodies []json.RawMessage, snap *snapshot.Snapshot) error {
	items, err := c.items(ctx, bodies[0])
	if err != nil {
		return err
	}
	var perms []snapshot.Permission
	for _, raw := range items {
		p, err := CalendarPermissionFromGraph(raw)
		if err != nil {
			return err
		}
		if p != nil {
			perms = append(perms, *p)
		}
	}
	mailbox(snap).Permissions = perms
	snap.Coverage["mailbox.permissions"] = snapshot.CoverageItem{Status: snapshot.StatusSkipped,
		Detail: "Graph shows calendar delegates only; FullAccess, SendAs and SendOnBehalf need the exchange collector"}
	return nil
}

func (c *collector) signIns(ctx context.Context, bodies []json.RawMessage, snap *snapshot.Snapshot) error {
	var out []snapshot.SignIn
	err := eachItem(ctx, c, bodies[0], func(s struct {
		CreatedDateTime *time.Time `json:"createdDateTime"`
		IPAddress       string     `json:"ipAddress"`
		Location        *struct {
			CountryOrRegion string `json:"countryOrRegion"`
			City            string `json:"city"`
		} `json:"location"`
		ClientAppUsed  string `json:"clientAppUsed"`
		AppDisplayName string `json:"appDisplayName"`
		Status         *struct {
			ErrorCode *int `json:"errorCode"`
		} `json:"status"`
		RiskLevelDuringSignIn *string `json:"riskLevelDuringSignIn"`
		IsInteractive         *bool   `json:"isInteractive"`
	}) error {
		if s.CreatedDateTime == nil {
			return &ValueError{Field: "signIns.createdDateTime", Value: "(missing)"}
		}
		si := snapshot.SignIn{CreatedDateTime: s.CreatedDateTime.UTC(), IPAddress: s.IPAddress, ClientAppUsed: s.ClientAppUsed, AppDisplayName: s.AppDisplayName,
			IsInteractive: deref(s.IsInteractive)}
		if s.Location != nil {
			si.CountryOrRegion, si.City = s.Location.CountryOrRegion, s.Location.City
		}
		// Without a status the sign-in counts as successful: an attacker's
		// sign-in is never assumed to have failed.
		if s.Status != nil && s.Status.ErrorCode != nil {
			si.ErrorCode = *s.Status.ErrorCode
		}
		level, err := enum("signIns.riskLevelDuringSignIn", s.RiskLevelDuringSignIn)
		if err != nil {
			return err
		}
		si.RiskLevelDuringSignIn = level
		out = append(out, si)
		return nil
	})
	if err == nil {
		snap.SignIns = out
	}
	return err
}

type graphAudit struct {
	ID                  string     `json:"id"`
	ActivityDateTime    *time.Time `json:"activityDateTime"`
	ActivityDisplayName string     `json:"activityDisplayName"`
	Category            string     `json:"category"`
	Result              *string    `json:"result"`
	InitiatedBy         *struct {
		User *struct {
			ID                string  `json:"id"`
			UserPrincipalName *string `json:"userPrincipalName"`
		} `json:"user"`
		App *struct {
			DisplayName string `json:"displayName"`
		} `json:"app"`
	} `json:"initiatedBy"`
	TargetResources []struct {
		ID                 string `json:"id"`
		Type               string `json:"type"`
		ModifiedProperties []struct {
			DisplayName string  `json:"displayName"`
			OldValue    *string `json:"oldValue"`
			NewValue    *string `json:"newValue"`
		} `json:"modifiedProperties"`
	} `json:"targetResources"`
}

// audits reads the directory audit entries about the user and those the
// user initiated, once each.
func (c *collector) audits(ctx context.Context, bodies []json.RawMessage, snap *snapshot.Snapshot) error {
	seen := map[string]bool{}
	var audits []snapshot.Audit
	for _, body := range bodies {
		err := eachItem(ctx, c, body, func(a graphAudit) error {
			if seen[a.ID] {
				return nil
			}
			seen[a.ID] = true
			out, err := auditFromGraph(a)
			if err != nil {
				return err
			}
			audits = append(audits, out)
			c.noteConsent(a)
			c.noteDevice(a)
			c.noteCredentialChange(a)
			return nil
		})
		if err != nil {
			return err
		}
	}
	sort.SliceStable(audits, func(i, j int) bool { return audits[i].ActivityDateTime.Before(audits[j].ActivityDateTime) })
	snap.Audits = audits
	return nil
}

func auditFromGraph(a graphAudit) (snapshot.Audit, error) {
	if a.ActivityDateTime == nil {
		return snapshot.Audit{}, &ValueError{Field: "audits.activityDateTime", Value: "(missing)"}
	}
	out := snapshot.Audit{ActivityDateTime: a.ActivityDateTime.UTC(), ActivityDisplayName: a.ActivityDisplayName, Category: a.Category, TargetProperties: []snapshot.TargetProperty{}}
	result, err := enum("audits.result", a.Result)
	if err != nil {
		return out, err
	}
	out.Result = deref(result)
	if by := a.InitiatedBy; by != nil {
		if by.User != nil && by.User.UserPrincipalName != nil {
			out.InitiatedBy = *by.User.UserPrincipalName
		} else if by.App != nil {
			out.InitiatedBy = by.App.DisplayName
		}
	}
	for _, t := range a.TargetResources {
		for _, p := range t.ModifiedProperties {
			out.TargetProperties = append(out.TargetProperties, snapshot.TargetProperty{Name: p.DisplayName, OldValue: p.OldValue, NewValue: p.NewValue})
		}
	}
	return out, nil
}

var consentActivities = map[string]bool{"Consent to application": true, "Add delegated permission grant": true}

// noteConsent remembers when the app an audit names was consented to.
func (c *collector) noteConsent(a graphAudit) {
	if !consentActivities[a.ActivityDisplayName] || a.ActivityDateTime == nil {
		return
	}
	at := a.ActivityDateTime.UTC()
	for _, t := range a.TargetResources {
		if t.ID != "" && !strings.EqualFold(t.Type, "User") && at.After(c.consents[t.ID]) {
			c.consents[t.ID] = at
		}
	}
}

// deviceActivities are the directory audits that register a device or
// give it an owner or user.
var deviceActivities = map[string]bool{"Register device": true, "Add device": true, "Add registered owner to device": true, "Add registered users to device": true}

// noteDevice remembers a device the audits say was registered: Graph has no
// per-user device list an application may read, and listing every device
// of the tenant for one account would grow with the tenant.
func (c *collector) noteDevice(a graphAudit) {
	if !deviceActivities[a.ActivityDisplayName] {
		return
	}
	for _, t := range a.TargetResources {
		if strings.EqualFold(t.Type, "Device") && t.ID != "" && !contains(c.deviceIDs, t.ID) {
			c.deviceIDs = append(c.deviceIDs, t.ID)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
