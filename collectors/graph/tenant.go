package graph

import (
	"context"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/closeout-dev/closeout/snapshot"
)

// CollectTenant reads the tenant-wide Entra ID settings into a
// closeout.tenant/v1 document: security defaults, Conditional Access,
// the authorization policy (user consent) and the authentication methods
// policy. Like Collect, it fails only when the tenant cannot be read.
func CollectTenant(ctx context.Context, opts Options) (*snapshot.TenantSettings, error) {
	c, collectedAt, err := newCollector(opts)
	if err != nil {
		return nil, err
	}
	probe := &snapshot.Snapshot{Coverage: map[string]snapshot.CoverageItem{}}
	if err := c.tenant(ctx, probe); err != nil {
		return nil, err
	}
	doc := &snapshot.TenantSettings{
		SchemaVersion: snapshot.TenantSchemaVersion,
		CollectedAt:   collectedAt,
		Source:        c.source(),
		Tenant:        probe.Tenant,
		Coverage:      map[string]snapshot.CoverageItem{},
	}
	for _, s := range []struct {
		name string
		run  func(context.Context, *snapshot.TenantSettings) error
	}{
		{"securityDefaults", c.securityDefaults},
		{"conditionalAccess", c.conditionalAccess},
		{"authorizationPolicy", c.authorizationPolicy},
		{"authenticationMethodsPolicy", c.authMethodsPolicy},
	} {
		if err := withRetry(ctx, func() error { return s.run(ctx, doc) }); err != nil {
			doc.Coverage[s.name] = coverageFor(s.name, err)
			continue
		}
		doc.Coverage[s.name] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	}
	return doc, nil
}

func (c *collector) securityDefaults(ctx context.Context, doc *snapshot.TenantSettings) error {
	p, err := c.client.Policies().IdentitySecurityDefaultsEnforcementPolicy().Get(ctx, nil)
	if err != nil {
		return err
	}
	doc.SecurityDefaults = &snapshot.SecurityDefaults{IsEnabled: p.GetIsEnabled()}
	return nil
}

func (c *collector) conditionalAccess(ctx context.Context, doc *snapshot.TenantSettings) error {
	res, err := c.client.Identity().ConditionalAccess().Policies().Get(ctx, nil)
	if err != nil {
		return err
	}
	doc.ConditionalAccess = []snapshot.ConditionalAccess{}
	return iterate[models.ConditionalAccessPolicyable](ctx, c, res, models.CreateConditionalAccessPolicyCollectionResponseFromDiscriminatorValue, func(p models.ConditionalAccessPolicyable) {
		ca := snapshot.ConditionalAccess{ID: deref(p.GetId()), DisplayName: deref(p.GetDisplayName()),
			IncludeUsers: []string{}, ExcludeUsers: []string{}, IncludeApplications: []string{}, ClientAppTypes: []string{}, BuiltInControls: []string{}}
		if st := p.GetState(); st != nil {
			ca.State = st.String()
		}
		if cond := p.GetConditions(); cond != nil {
			if u := cond.GetUsers(); u != nil {
				ca.IncludeUsers, ca.ExcludeUsers = orEmpty(u.GetIncludeUsers()), orEmpty(u.GetExcludeUsers())
			}
			if a := cond.GetApplications(); a != nil {
				ca.IncludeApplications = orEmpty(a.GetIncludeApplications())
			}
			for _, t := range cond.GetClientAppTypes() {
				ca.ClientAppTypes = append(ca.ClientAppTypes, t.String())
			}
		}
		if g := p.GetGrantControls(); g != nil {
			for _, b := range g.GetBuiltInControls() {
				ca.BuiltInControls = append(ca.BuiltInControls, b.String())
			}
			if s := g.GetAuthenticationStrength(); s != nil {
				ca.AuthenticationStrength = s.GetDisplayName()
			}
		}
		doc.ConditionalAccess = append(doc.ConditionalAccess, ca)
	})
}

func (c *collector) authorizationPolicy(ctx context.Context, doc *snapshot.TenantSettings) error {
	p, err := c.client.Policies().AuthorizationPolicy().Get(ctx, nil)
	if err != nil {
		return err
	}
	assigned := []string{}
	if perms := p.GetDefaultUserRolePermissions(); perms != nil {
		assigned = orEmpty(perms.GetPermissionGrantPoliciesAssigned())
	}
	doc.AuthorizationPolicy = &snapshot.AuthorizationPolicy{PermissionGrantPoliciesAssigned: assigned}
	return nil
}

func (c *collector) authMethodsPolicy(ctx context.Context, doc *snapshot.TenantSettings) error {
	p, err := c.client.Policies().AuthenticationMethodsPolicy().Get(ctx, nil)
	if err != nil {
		return err
	}
	policy := &snapshot.AuthMethodsPolicy{Methods: []snapshot.AuthMethodState{}}
	for _, m := range p.GetAuthenticationMethodConfigurations() {
		state := "disabled"
		if s := m.GetState(); s != nil {
			state = s.String()
		}
		policy.Methods = append(policy.Methods, snapshot.AuthMethodState{ID: deref(m.GetId()), State: state})
	}
	doc.AuthMethodsPolicy = policy
	return nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
