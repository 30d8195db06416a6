package graph

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/closeout-dev/closeout/snapshot"
)

// CollectTenant reads the tenant-wide Entra ID settings into a
// closeout.tenant/v1 document: security defaults, Conditional Access,
// the authorization policy (user consent) and the authentication methods
// policy, in one $batch after the organization. Like Collect, it fails
// only when the tenant cannot be read.
func CollectTenant(ctx context.Context, opts Options) (*snapshot.TenantSettings, error) {
	c, collectedAt, err := newCollector(opts)
	if err != nil {
		return nil, err
	}
	doc := &snapshot.TenantSettings{
		SchemaVersion: snapshot.TenantSchemaVersion,
		CollectedAt:   collectedAt,
		Source:        c.source(),
		Coverage:      map[string]snapshot.CoverageItem{},
	}
	org := c.raw.batch(ctx, []step{{ID: "tenant", URL: "/organization?$select=id,verifiedDomains"}})
	if err := c.readTenant(org["tenant"], &doc.Tenant); err != nil {
		return nil, err
	}
	sections := []struct {
		name string
		url  string
		read func(context.Context, json.RawMessage, *snapshot.TenantSettings) error
	}{
		{"securityDefaults", "/policies/identitySecurityDefaultsEnforcementPolicy?$select=isEnabled", c.securityDefaults},
		{"conditionalAccess", "/identity/conditionalAccess/policies?$select=" + url.QueryEscape("id,displayName,state,conditions,grantControls"), c.conditionalAccess},
		{"authorizationPolicy", "/policies/authorizationPolicy?$select=defaultUserRolePermissions", c.authorizationPolicy},
		{"authenticationMethodsPolicy", "/policies/authenticationMethodsPolicy?$select=authenticationMethodConfigurations", c.authMethodsPolicy},
	}
	steps := make([]step, len(sections))
	for i, s := range sections {
		steps[i] = step{ID: s.name, URL: s.url}
	}
	answers := c.raw.batch(ctx, steps)
	for _, s := range sections {
		a := answers[s.name]
		err := a.Err
		if err == nil {
			err = withRetry(ctx, func() error { return s.read(ctx, a.Body, doc) }, func() error {
				body, gerr := c.raw.get(ctx, s.url)
				if gerr != nil {
					return gerr
				}
				return s.read(ctx, body, doc)
			})
		}
		if err != nil {
			doc.Coverage[s.name] = coverageFor(s.name, err)
			continue
		}
		doc.Coverage[s.name] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	}
	return doc, nil
}

func (c *collector) securityDefaults(_ context.Context, body json.RawMessage, doc *snapshot.TenantSettings) error {
	var p struct {
		IsEnabled *bool `json:"isEnabled"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return err
	}
	doc.SecurityDefaults = &snapshot.SecurityDefaults{IsEnabled: p.IsEnabled}
	return nil
}

func (c *collector) conditionalAccess(ctx context.Context, body json.RawMessage, doc *snapshot.TenantSettings) error {
	policies := []snapshot.ConditionalAccess{}
	err := eachItem(ctx, c, body, func(p struct {
		ID          string  `json:"id"`
		DisplayName string  `json:"displayName"`
		State       *string `json:"state"`
		Conditions  *struct {
			Users *struct {
				IncludeUsers []string `json:"includeUsers"`
				ExcludeUsers []string `json:"excludeUsers"`
			} `json:"users"`
			Applications *struct {
				IncludeApplications []string `json:"includeApplications"`
			} `json:"applications"`
			ClientAppTypes []string `json:"clientAppTypes"`
		} `json:"conditions"`
		GrantControls *struct {
			BuiltInControls        []string `json:"builtInControls"`
			AuthenticationStrength *struct {
				DisplayName *string `json:"displayName"`
			} `json:"authenticationStrength"`
		} `json:"grantControls"`
	}) error {
		ca := snapshot.ConditionalAccess{ID: p.ID, DisplayName: p.DisplayName,
			IncludeUsers: []string{}, ExcludeUsers: []string{}, IncludeApplications: []string{}, ClientAppTypes: []string{}, BuiltInControls: []string{}}
		state, err := enum("conditionalAccess.state", p.State)
		if err != nil {
			return err
		}
		if state == nil {
			return &ValueError{Field: "conditionalAccess.state", Value: "(missing)"}
		}
		ca.State = *state
		if cond := p.Conditions; cond != nil {
			if u := cond.Users; u != nil {
				ca.IncludeUsers, ca.ExcludeUsers = orEmpty(u.IncludeUsers), orEmpty(u.ExcludeUsers)
			}
			if a := cond.Applications; a != nil {
				ca.IncludeApplications = orEmpty(a.IncludeApplications)
			}
			if ca.ClientAppTypes, err = enums("conditionalAccess.clientAppTypes", cond.ClientAppTypes); err != nil {
				return err
			}
		}
		if g := p.GrantControls; g != nil {
			if ca.BuiltInControls, err = enums("conditionalAccess.builtInControls", g.BuiltInControls); err != nil {
				return err
			}
			if s := g.AuthenticationStrength; s != nil {
				ca.AuthenticationStrength = s.DisplayName
			}
		}
		policies = append(policies, ca)
		return nil
	})
	if err != nil {
		return err
	}
	doc.ConditionalAccess = policies
	return nil
}

func (c *collector) authorizationPolicy(_ context.Context, body json.RawMessage, doc *snapshot.TenantSettings) error {
	var p struct {
		Perms *struct {
			Assigned []string `json:"permissionGrantPoliciesAssigned"`
		} `json:"defaultUserRolePermissions"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return err
	}
	if p.Perms == nil || p.Perms.Assigned == nil {
		return &ValueError{Field: "authorizationPolicy.permissionGrantPoliciesAssigned", Value: "(missing)"}
	}
	doc.AuthorizationPolicy = &snapshot.AuthorizationPolicy{PermissionGrantPoliciesAssigned: p.Perms.Assigned}
	return nil
}

func (c *collector) authMethodsPolicy(_ context.Context, body json.RawMessage, doc *snapshot.TenantSettings) error {
	var p struct {
		Configs []struct {
			ID    string  `json:"id"`
			State *string `json:"state"`
		} `json:"authenticationMethodConfigurations"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return err
	}
	policy := &snapshot.AuthMethodsPolicy{Methods: []snapshot.AuthMethodState{}}
	for _, m := range p.Configs {
		state, err := enum("authenticationMethodsPolicy.state", m.State)
		if err != nil {
			return err
		}
		if state == nil {
			return &ValueError{Field: "authenticationMethodsPolicy.state", Value: "(missing for " + m.ID + ")"}
		}
		policy.Methods = append(policy.Methods, snapshot.AuthMethodState{ID: m.ID, State: *state})
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
