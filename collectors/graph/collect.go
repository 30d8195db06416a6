package graph

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/auditlogs"
	"github.com/microsoftgraph/msgraph-sdk-go/devices"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/oauth2permissiongrants"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

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
	// Parallel bounds the sections collected at once (default 4, Outlook's
	// limit of concurrent requests per mailbox).
	Parallel int
}

// Collect reads one account from Graph into a snapshot. It fails only when
// nothing can be evaluated (the tenant or the user cannot be read); every
// other failure is recorded in the section's coverage.
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
	if err := c.tenant(ctx, snap); err != nil {
		return nil, err
	}
	if err := c.user(ctx, snap); err != nil {
		return nil, err
	}
	c.userID = snap.User.ID
	c.since = snap.CollectedAt.AddDate(0, 0, -postureDays(opts.PostureDays))
	if opts.Incident != nil {
		c.since = opts.Incident.WindowStart
	}
	sections := []struct {
		name string
		run  func(context.Context, *snapshot.Snapshot) error
	}{
		{"authMethods", c.authMethods},
		{"registration", c.registration},
		{"roles", c.roles},
		{"risk", c.risk},
		{"oauthGrants", c.oauthGrants},
		{"appRoleAssignments", c.appRoleAssignments},
		{"devices", c.devices},
		{"mailbox.inboxRules", c.inboxRules},
		{"mailbox.autoReply", c.autoReply},
		{"mailbox.permissions", c.calendarPermissions},
		{"signIns", c.signIns},
		{"audits", c.audits},
	}
	parallel := opts.Parallel
	if parallel <= 0 {
		parallel = 4
	}
	var mu sync.Mutex
	results := make([]*snapshot.Snapshot, len(sections))
	errs := make([]error, len(sections))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, s := range sections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			part := &snapshot.Snapshot{Coverage: map[string]snapshot.CoverageItem{}}
			errs[i] = withRetry(ctx, func() error { return s.run(ctx, part) })
			mu.Lock()
			results[i] = part
			mu.Unlock()
		}()
	}
	wg.Wait()
	for i, s := range sections {
		merge(snap, results[i])
		if errs[i] != nil {
			snap.Coverage[s.name] = coverageFor(s.name, errs[i])
			continue
		}
		if _, set := snap.Coverage[s.name]; !set {
			snap.Coverage[s.name] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
		}
	}
	for _, s := range []string{"mailbox.forwarding", "mailbox.protocols"} {
		snap.Coverage[s] = snapshot.CoverageItem{Status: snapshot.StatusSkipped, Detail: "Exchange-only: run the exchange collector"}
	}
	c.grantTimes(snap)
	return snap, nil
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

// withRetry tries a section once more when the connection failed (a
// dropped connection or a truncated body), which the SDK's retry handler,
// acting on responses, does not.
func withRetry(ctx context.Context, run func() error) error {
	err := run()
	var netErr net.Error
	if err != nil && ctx.Err() == nil && (errors.As(err, &netErr) || isTransport(err)) {
		err = run()
	}
	return err
}

func isTransport(err error) bool {
	s := err.Error()
	return strings.Contains(s, "EOF") || strings.Contains(s, "connection reset") || strings.Contains(s, "unexpected end of JSON")
}

// merge copies what a section collected into the snapshot.
func merge(dst, src *snapshot.Snapshot) {
	if src == nil {
		return
	}
	dst.AuthMethods = append(dst.AuthMethods, src.AuthMethods...)
	if src.Registration != nil {
		dst.Registration = src.Registration
	}
	dst.Roles = append(dst.Roles, src.Roles...)
	if src.Risk != nil {
		dst.Risk = src.Risk
	}
	dst.OAuthGrants = append(dst.OAuthGrants, src.OAuthGrants...)
	dst.AppRoleAssignments = append(dst.AppRoleAssignments, src.AppRoleAssignments...)
	dst.Devices = append(dst.Devices, src.Devices...)
	dst.SignIns = append(dst.SignIns, src.SignIns...)
	dst.Audits = append(dst.Audits, src.Audits...)
	if src.Mailbox != nil {
		if dst.Mailbox == nil {
			dst.Mailbox = &snapshot.Mailbox{}
		}
		dst.Mailbox.InboxRules = append(dst.Mailbox.InboxRules, src.Mailbox.InboxRules...)
		dst.Mailbox.Permissions = append(dst.Mailbox.Permissions, src.Mailbox.Permissions...)
		if src.Mailbox.AutoReply != nil {
			dst.Mailbox.AutoReply = src.Mailbox.AutoReply
		}
	}
	for k, v := range src.Coverage {
		dst.Coverage[k] = v
	}
}

// newCollector builds the client and says when the collection happens.
func newCollector(opts Options) (*collector, time.Time, error) {
	client, _, err := NewClient(opts.ClientOptions)
	if err != nil {
		return nil, time.Time{}, &CollectionError{What: "configuration", Err: err}
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	c := &collector{client: client, opts: opts, spCache: map[string]*models.ServicePrincipal{}, consents: map[string]time.Time{}}
	return c, now().UTC().Truncate(time.Second), nil
}

func (c *collector) source() snapshot.Source {
	return snapshot.Source{Tool: "closeout", Version: c.opts.Version, Collectors: []string{"graph"}, Cloud: cloudName(c.opts.Cloud)}
}

type collector struct {
	client *msgraphsdk.GraphServiceClient
	opts   Options
	userID string
	since  time.Time

	spMu    sync.Mutex
	spCache map[string]*models.ServicePrincipal

	consentMu sync.Mutex
	consents  map[string]time.Time // client service principal id → latest consent
}

func (c *collector) adapter() abs.RequestAdapter { return c.client.GetAdapter() }

func (c *collector) tenant(ctx context.Context, snap *snapshot.Snapshot) error {
	res, err := c.client.Organization().Get(ctx, nil)
	if err != nil {
		return fatal("tenant", err)
	}
	orgs := res.GetValue()
	if len(orgs) == 0 {
		return &CollectionError{What: "tenant", Err: errors.New("no organization returned")}
	}
	org := orgs[0]
	snap.Tenant.ID = deref(org.GetId())
	for _, d := range org.GetVerifiedDomains() {
		name := deref(d.GetName())
		snap.Tenant.Domains = append(snap.Tenant.Domains, name)
		if d.GetIsDefault() != nil && *d.GetIsDefault() {
			snap.Tenant.DefaultDomain = name
		}
	}
	if len(snap.Tenant.Domains) == 0 {
		return &CollectionError{What: "tenant", Err: errors.New("the organization has no verified domains"), Fix: "grant Organization.Read.All"}
	}
	return nil
}

var userFields = []string{"id", "userPrincipalName", "displayName", "mail", "userType", "accountEnabled", "createdDateTime",
	"lastPasswordChangeDateTime", "signInSessionsValidFromDateTime", "passwordPolicies", "otherMails"}

func (c *collector) user(ctx context.Context, snap *snapshot.Snapshot) error {
	u, err := c.client.Users().ByUserId(c.opts.User).Get(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: userFields},
	})
	if err != nil {
		return fatal("user", err)
	}
	snap.User = snapshot.User{
		ID:                              deref(u.GetId()),
		UserPrincipalName:               deref(u.GetUserPrincipalName()),
		DisplayName:                     deref(u.GetDisplayName()),
		Mail:                            u.GetMail(),
		UserType:                        deref(u.GetUserType()),
		AccountEnabled:                  u.GetAccountEnabled(),
		CreatedDateTime:                 utc(u.GetCreatedDateTime()),
		LastPasswordChangeDateTime:      utc(u.GetLastPasswordChangeDateTime()),
		SignInSessionsValidFromDateTime: utc(u.GetSignInSessionsValidFromDateTime()),
		PasswordPolicies:                u.GetPasswordPolicies(),
		OtherMails:                      u.GetOtherMails(),
	}
	if snap.User.OtherMails == nil {
		snap.User.OtherMails = []string{}
	}
	snap.Coverage["user"] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	return nil
}

// methodType maps "#microsoft.graph.fido2AuthenticationMethod" to "fido2".
func methodType(odataType string) string {
	t := strings.TrimSuffix(strings.TrimPrefix(odataType, "#microsoft.graph."), "AuthenticationMethod")
	switch t {
	case "password", "phone", "email", "microsoftAuthenticator", "fido2", "softwareOath", "temporaryAccessPass",
		"windowsHelloForBusiness", "platformCredential", "hardwareOath", "x509Certificate", "qrCodePin":
		return t
	}
	return "other"
}

func (c *collector) authMethods(ctx context.Context, snap *snapshot.Snapshot) error {
	res, err := c.client.Users().ByUserId(c.userID).Authentication().Methods().Get(ctx, nil)
	if err != nil {
		return err
	}
	return iterate[models.AuthenticationMethodable](ctx, c, res, models.CreateAuthenticationMethodCollectionResponseFromDiscriminatorValue, func(m models.AuthenticationMethodable) {
		am := snapshot.AuthMethod{ID: deref(m.GetId()), Type: methodType(deref(m.GetOdataType()))}
		if d, ok := m.(interface{ GetDisplayName() *string }); ok {
			am.DisplayName = d.GetDisplayName()
		}
		if t, ok := m.(interface{ GetCreatedDateTime() *time.Time }); ok {
			am.CreatedDateTime = utc(t.GetCreatedDateTime())
		}
		if am.CreatedDateTime == nil {
			// Some documented examples spell it creationDateTime.
			if s, ok := m.GetAdditionalData()["creationDateTime"].(*string); ok && s != nil {
				if t, err := time.Parse(time.RFC3339, *s); err == nil {
					am.CreatedDateTime = utc(&t)
				}
			}
		}
		switch x := m.(type) {
		case models.PhoneAuthenticationMethodable:
			am.PhoneNumber = x.GetPhoneNumber()
			if pt := x.GetPhoneType(); pt != nil {
				s := pt.String()
				am.PhoneType = &s
			}
		case models.EmailAuthenticationMethodable:
			am.EmailAddress = x.GetEmailAddress()
		case models.TemporaryAccessPassAuthenticationMethodable:
			am.IsUsable = x.GetIsUsable()
		}
		snap.AuthMethods = append(snap.AuthMethods, am)
	})
}

func (c *collector) registration(ctx context.Context, snap *snapshot.Snapshot) error {
	r, err := c.client.Reports().AuthenticationMethods().UserRegistrationDetails().ByUserRegistrationDetailsId(c.userID).Get(ctx, nil)
	if err != nil {
		return err
	}
	reg := &snapshot.Registration{MethodsRegistered: r.GetMethodsRegistered()}
	if v := r.GetIsMfaRegistered(); v != nil {
		reg.IsMfaRegistered = *v
	}
	if d := r.GetUserPreferredMethodForSecondaryAuthentication(); d != nil {
		s := d.String()
		reg.DefaultMethod = &s
	}
	if reg.MethodsRegistered == nil {
		reg.MethodsRegistered = []string{}
	}
	snap.Registration = reg
	return nil
}

func (c *collector) roles(ctx context.Context, snap *snapshot.Snapshot) error {
	res, err := c.client.Users().ByUserId(c.userID).TransitiveMemberOf().GraphDirectoryRole().Get(ctx, nil)
	if err != nil {
		return err
	}
	return iterate[models.DirectoryRoleable](ctx, c, res, models.CreateDirectoryRoleCollectionResponseFromDiscriminatorValue, func(r models.DirectoryRoleable) {
		tid := deref(r.GetRoleTemplateId())
		snap.Roles = append(snap.Roles, snapshot.Role{ID: deref(r.GetId()), DisplayName: deref(r.GetDisplayName()), RoleTemplateID: tid, Privileged: PrivilegedRoleTemplates[tid]})
	})
}

func (c *collector) risk(ctx context.Context, snap *snapshot.Snapshot) error {
	r, err := c.client.IdentityProtection().RiskyUsers().ByRiskyUserId(c.userID).Get(ctx, nil)
	if status, _, _ := describe(err); status == 404 {
		// Identity Protection has never rated this user.
		none := "none"
		snap.Risk = &snapshot.Risk{RiskLevel: &none, RiskState: &none}
		return nil
	}
	if err != nil {
		return err
	}
	risk := &snapshot.Risk{RiskLastUpdatedDateTime: utc(r.GetRiskLastUpdatedDateTime())}
	if v := r.GetRiskLevel(); v != nil {
		s := v.String()
		risk.RiskLevel = &s
	}
	if v := r.GetRiskState(); v != nil {
		s := v.String()
		risk.RiskState = &s
	}
	if v := r.GetRiskDetail(); v != nil {
		s := v.String()
		risk.RiskDetail = &s
	}
	snap.Risk = risk
	return nil
}

func (c *collector) oauthGrants(ctx context.Context, snap *snapshot.Snapshot) error {
	var grants []models.OAuth2PermissionGrantable
	collect := func(g models.OAuth2PermissionGrantable) { grants = append(grants, g) }
	res, err := c.client.Users().ByUserId(c.userID).Oauth2PermissionGrants().Get(ctx, nil)
	if err != nil {
		return err
	}
	if err := iterate[models.OAuth2PermissionGrantable](ctx, c, res, models.CreateOAuth2PermissionGrantCollectionResponseFromDiscriminatorValue, collect); err != nil {
		return err
	}
	filter := "consentType eq 'AllPrincipals'"
	all, err := c.client.Oauth2PermissionGrants().Get(ctx, &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetRequestConfiguration{
		QueryParameters: &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetQueryParameters{Filter: &filter},
	})
	if err != nil {
		return err
	}
	if err := iterate[models.OAuth2PermissionGrantable](ctx, c, all, models.CreateOAuth2PermissionGrantCollectionResponseFromDiscriminatorValue, collect); err != nil {
		return err
	}
	for _, g := range grants {
		og := snapshot.OAuthGrant{ClientID: deref(g.GetClientId()), ConsentType: deref(g.GetConsentType()), Scopes: strings.Fields(deref(g.GetScope()))}
		sp, err := c.servicePrincipal(ctx, og.ClientID)
		if err != nil {
			return fmt.Errorf("resolving client %s: %w", og.ClientID, err)
		}
		og.AppID = deref(sp.GetAppId())
		og.AppDisplayName = deref(sp.GetDisplayName())
		if owner := sp.GetAppOwnerOrganizationId(); owner != nil {
			s := owner.String()
			og.PublisherTenantID = &s
		}
		if vp := sp.GetVerifiedPublisher(); vp != nil && vp.GetDisplayName() != nil && *vp.GetDisplayName() != "" {
			og.VerifiedPublisher = vp.GetDisplayName()
		}
		if og.Scopes == nil {
			og.Scopes = []string{}
		}
		snap.OAuthGrants = append(snap.OAuthGrants, og)
	}
	return nil
}

// servicePrincipal resolves a grant's client once per run.
func (c *collector) servicePrincipal(ctx context.Context, id string) (*models.ServicePrincipal, error) {
	c.spMu.Lock()
	sp, ok := c.spCache[id]
	c.spMu.Unlock()
	if ok {
		return sp, nil
	}
	res, err := c.client.ServicePrincipals().ByServicePrincipalId(id).Get(ctx, nil)
	if err != nil {
		return nil, err
	}
	sp, ok = res.(*models.ServicePrincipal)
	if !ok {
		return nil, fmt.Errorf("unexpected service principal type %T", res)
	}
	c.spMu.Lock()
	c.spCache[id] = sp
	c.spMu.Unlock()
	return sp, nil
}

func (c *collector) appRoleAssignments(ctx context.Context, snap *snapshot.Snapshot) error {
	res, err := c.client.Users().ByUserId(c.userID).AppRoleAssignments().Get(ctx, nil)
	if err != nil {
		return err
	}
	return iterate[models.AppRoleAssignmentable](ctx, c, res, models.CreateAppRoleAssignmentCollectionResponseFromDiscriminatorValue, func(a models.AppRoleAssignmentable) {
		ra := snapshot.AppRoleAssignment{ResourceDisplayName: deref(a.GetResourceDisplayName()), CreatedDateTime: utc(a.GetCreatedDateTime())}
		if id := a.GetResourceId(); id != nil {
			ra.ResourceID = id.String()
		}
		if id := a.GetAppRoleId(); id != nil {
			ra.AppRoleID = id.String()
		}
		snap.AppRoleAssignments = append(snap.AppRoleAssignments, ra)
	})
}

// devices lists the tenant's devices with their registered owners: the
// per-user registeredDevices route does not take application permissions.
func (c *collector) devices(ctx context.Context, snap *snapshot.Snapshot) error {
	res, err := c.client.Devices().Get(ctx, &devices.DevicesRequestBuilderGetRequestConfiguration{
		QueryParameters: &devices.DevicesRequestBuilderGetQueryParameters{
			Select: []string{"id", "displayName", "operatingSystem", "trustType", "registrationDateTime", "isCompliant"},
			Expand: []string{"registeredOwners($select=id)"},
		},
	})
	if err != nil {
		return err
	}
	return iterate[models.Deviceable](ctx, c, res, models.CreateDeviceCollectionResponseFromDiscriminatorValue, func(d models.Deviceable) {
		owned := false
		for _, o := range d.GetRegisteredOwners() {
			if deref(o.GetId()) == c.userID {
				owned = true
			}
		}
		if !owned {
			return
		}
		snap.Devices = append(snap.Devices, snapshot.Device{
			ID: deref(d.GetId()), DisplayName: deref(d.GetDisplayName()), OperatingSystem: deref(d.GetOperatingSystem()),
			TrustType: d.GetTrustType(), RegistrationDateTime: utc(d.GetRegistrationDateTime()), IsCompliant: d.GetIsCompliant(),
		})
	})
}

func (c *collector) inboxRules(ctx context.Context, snap *snapshot.Snapshot) error {
	res, err := c.client.Users().ByUserId(c.userID).MailFolders().ByMailFolderId("inbox").MessageRules().Get(ctx, nil)
	if err != nil {
		return err
	}
	folders := map[string]string{}
	var rules []snapshot.InboxRule
	var folderErr error
	err = iterate[models.MessageRuleable](ctx, c, res, models.CreateMessageRuleCollectionResponseFromDiscriminatorValue, func(r models.MessageRuleable) {
		rule := snapshot.InboxRule{ID: deref(r.GetId()), Name: deref(r.GetDisplayName()), Source: "graph", Conditions: conditions(r.GetConditions())}
		if v := r.GetIsEnabled(); v != nil {
			rule.Enabled = *v
		}
		if a := r.GetActions(); a != nil {
			rule.Actions = snapshot.RuleActions{
				ForwardTo:             addresses(a.GetForwardTo()),
				RedirectTo:            addresses(a.GetRedirectTo()),
				ForwardAsAttachmentTo: addresses(a.GetForwardAsAttachmentTo()),
				Delete:                deref(a.GetDelete()),
				PermanentDelete:       deref(a.GetPermanentDelete()),
				MarkAsRead:            deref(a.GetMarkAsRead()),
				StopProcessingRules:   deref(a.GetStopProcessingRules()),
			}
			if id := a.GetMoveToFolder(); id != nil && *id != "" {
				name, ok := folders[*id]
				if !ok {
					name, err = c.folderName(ctx, *id)
					if err != nil && folderErr == nil {
						folderErr = err
					}
					folders[*id] = name
				}
				rule.Actions.MoveToFolder = &name
			}
		}
		rules = append(rules, rule)
	})
	if err != nil {
		return err
	}
	if folderErr != nil {
		return fmt.Errorf("resolving a rule's target folder: %w", folderErr)
	}
	snap.Mailbox = &snapshot.Mailbox{InboxRules: rules}
	snap.Coverage["mailbox.inboxRules"] = snapshot.CoverageItem{Status: snapshot.StatusSkipped,
		Detail: fmt.Sprintf("Graph lists only visible rules (%d found); hidden rules need the exchange collector", len(rules))}
	return nil
}

func (c *collector) folderName(ctx context.Context, id string) (string, error) {
	f, err := c.client.Users().ByUserId(c.userID).MailFolders().ByMailFolderId(id).Get(ctx, nil)
	if err != nil {
		return id, err
	}
	return deref(f.GetDisplayName()), nil
}

// conditions keeps a rule's conditions as Graph names them, with
// recipients reduced to addresses.
func conditions(p models.MessageRulePredicatesable) map[string]any {
	out := map[string]any{}
	if p == nil {
		return out
	}
	add := func(key string, v []string) {
		if len(v) > 0 {
			out[key] = v
		}
	}
	add("subjectContains", p.GetSubjectContains())
	add("bodyContains", p.GetBodyContains())
	add("bodyOrSubjectContains", p.GetBodyOrSubjectContains())
	add("senderContains", p.GetSenderContains())
	add("recipientContains", p.GetRecipientContains())
	add("headerContains", p.GetHeaderContains())
	add("fromAddresses", addresses(p.GetFromAddresses()))
	add("sentToAddresses", addresses(p.GetSentToAddresses()))
	return out
}

func addresses(rs []models.Recipientable) []string {
	out := []string{}
	for _, r := range rs {
		if e := r.GetEmailAddress(); e != nil && e.GetAddress() != nil {
			out = append(out, *e.GetAddress())
		}
	}
	return out
}

func (c *collector) autoReply(ctx context.Context, snap *snapshot.Snapshot) error {
	ms, err := c.client.Users().ByUserId(c.userID).MailboxSettings().Get(ctx, nil)
	if err != nil {
		return err
	}
	reply := &snapshot.AutoReply{Status: "disabled", ExternalAudience: "none"}
	if s := ms.GetAutomaticRepliesSetting(); s != nil {
		if v := s.GetStatus(); v != nil {
			reply.Status = v.String()
		}
		if v := s.GetExternalAudience(); v != nil {
			reply.ExternalAudience = v.String()
		}
	}
	snap.Mailbox = &snapshot.Mailbox{AutoReply: reply}
	return nil
}

func (c *collector) calendarPermissions(ctx context.Context, snap *snapshot.Snapshot) error {
	res, err := c.client.Users().ByUserId(c.userID).Calendar().CalendarPermissions().Get(ctx, nil)
	if err != nil {
		return err
	}
	var perms []snapshot.Permission
	err = iterate[models.CalendarPermissionable](ctx, c, res, models.CreateCalendarPermissionCollectionResponseFromDiscriminatorValue, func(p models.CalendarPermissionable) {
		e := p.GetEmailAddress()
		if e == nil || e.GetAddress() == nil || *e.GetAddress() == "" {
			return // "My Organization" and anonymous defaults
		}
		role := "none"
		if r := p.GetRole(); r != nil {
			role = r.String()
		}
		perms = append(perms, snapshot.Permission{Trustee: *e.GetAddress(), AccessRights: []string{"Calendar:" + role}})
	})
	if err != nil {
		return err
	}
	snap.Mailbox = &snapshot.Mailbox{Permissions: perms}
	snap.Coverage["mailbox.permissions"] = snapshot.CoverageItem{Status: snapshot.StatusSkipped,
		Detail: "Graph shows calendar delegates only; FullAccess, SendAs and SendOnBehalf need the exchange collector"}
	return nil
}

func (c *collector) signIns(ctx context.Context, snap *snapshot.Snapshot) error {
	filter := fmt.Sprintf("userId eq '%s' and createdDateTime ge %s", c.userID, c.since.UTC().Format(time.RFC3339))
	top := int32(1000)
	res, err := c.client.AuditLogs().SignIns().Get(ctx, &auditlogs.SignInsRequestBuilderGetRequestConfiguration{
		QueryParameters: &auditlogs.SignInsRequestBuilderGetQueryParameters{Filter: &filter, Top: &top},
	})
	if err != nil {
		return err
	}
	return iterate[models.SignInable](ctx, c, res, models.CreateSignInCollectionResponseFromDiscriminatorValue, func(s models.SignInable) {
		si := snapshot.SignIn{IPAddress: deref(s.GetIpAddress()), ClientAppUsed: deref(s.GetClientAppUsed()), AppDisplayName: deref(s.GetAppDisplayName())}
		if t := s.GetCreatedDateTime(); t != nil {
			si.CreatedDateTime = t.UTC()
		}
		if l := s.GetLocation(); l != nil {
			si.CountryOrRegion, si.City = deref(l.GetCountryOrRegion()), deref(l.GetCity())
		}
		if st := s.GetStatus(); st != nil {
			si.ErrorCode = int(deref(st.GetErrorCode()))
		}
		if r := s.GetRiskLevelDuringSignIn(); r != nil {
			si.RiskLevelDuringSignIn = r.String()
		}
		si.IsInteractive = deref(s.GetIsInteractive())
		snap.SignIns = append(snap.SignIns, si)
	})
}

// audits reads the directory audit entries about the user and those the
// user initiated (consents name the app, not the user, as their target).
func (c *collector) audits(ctx context.Context, snap *snapshot.Snapshot) error {
	since := c.since.UTC().Format(time.RFC3339)
	seen := map[string]bool{}
	for _, filter := range []string{
		fmt.Sprintf("targetResources/any(t:t/id eq '%s') and activityDateTime ge %s", c.userID, since),
		fmt.Sprintf("initiatedBy/user/id eq '%s' and activityDateTime ge %s", c.userID, since),
	} {
		res, err := c.client.AuditLogs().DirectoryAudits().Get(ctx, &auditlogs.DirectoryAuditsRequestBuilderGetRequestConfiguration{
			QueryParameters: &auditlogs.DirectoryAuditsRequestBuilderGetQueryParameters{Filter: &filter},
		})
		if err != nil {
			return err
		}
		err = iterate[models.DirectoryAuditable](ctx, c, res, models.CreateDirectoryAuditCollectionResponseFromDiscriminatorValue, func(a models.DirectoryAuditable) {
			id := deref(a.GetId())
			if seen[id] {
				return
			}
			seen[id] = true
			snap.Audits = append(snap.Audits, audit(a))
			c.noteConsent(a)
		})
		if err != nil {
			return err
		}
	}
	sort.SliceStable(snap.Audits, func(i, j int) bool { return snap.Audits[i].ActivityDateTime.Before(snap.Audits[j].ActivityDateTime) })
	return nil
}

func audit(a models.DirectoryAuditable) snapshot.Audit {
	out := snapshot.Audit{ActivityDisplayName: deref(a.GetActivityDisplayName()), Category: deref(a.GetCategory()), TargetProperties: []snapshot.TargetProperty{}}
	if t := a.GetActivityDateTime(); t != nil {
		out.ActivityDateTime = t.UTC()
	}
	if r := a.GetResult(); r != nil {
		out.Result = r.String()
	}
	if by := a.GetInitiatedBy(); by != nil {
		if u := by.GetUser(); u != nil && u.GetUserPrincipalName() != nil {
			out.InitiatedBy = *u.GetUserPrincipalName()
		} else if app := by.GetApp(); app != nil {
			out.InitiatedBy = deref(app.GetDisplayName())
		}
	}
	for _, t := range a.GetTargetResources() {
		for _, p := range t.GetModifiedProperties() {
			out.TargetProperties = append(out.TargetProperties, snapshot.TargetProperty{Name: deref(p.GetDisplayName()), OldValue: p.GetOldValue(), NewValue: p.GetNewValue()})
		}
	}
	return out
}

var consentActivities = map[string]bool{"Consent to application": true, "Add delegated permission grant": true}

// noteConsent remembers when the app an audit names was consented to.
func (c *collector) noteConsent(a models.DirectoryAuditable) {
	if !consentActivities[deref(a.GetActivityDisplayName())] || a.GetActivityDateTime() == nil {
		return
	}
	at := a.GetActivityDateTime().UTC()
	c.consentMu.Lock()
	defer c.consentMu.Unlock()
	for _, t := range a.GetTargetResources() {
		if id := deref(t.GetId()); id != "" && at.After(c.consents[id]) {
			c.consents[id] = at
		}
	}
}

// grantTimes dates each grant from the consent audit naming its client, the
// only record Graph keeps of when a grant was made.
func (c *collector) grantTimes(snap *snapshot.Snapshot) {
	for i := range snap.OAuthGrants {
		if at, ok := c.consents[snap.OAuthGrants[i].ClientID]; ok {
			snap.OAuthGrants[i].GrantedDateTime = &at
		}
	}
}

// iterate follows every @odata.nextLink of a collection response; a page
// that fails fails the section, so no page is dropped silently.
func iterate[T any](ctx context.Context, c *collector, res any, factory serialization.ParsableFactory, each func(T)) error {
	it, err := msgraphcore.NewPageIterator[T](res, c.adapter(), factory)
	if err != nil {
		return err
	}
	return it.Iterate(ctx, func(item T) bool {
		each(item)
		return true
	})
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
