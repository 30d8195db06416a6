package graph

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/collectors/fake"
	"github.com/closeout-dev/closeout/snapshot"
)

// Microsoft's PRIVILEGED roles and closeout's three are privileged, the
// other built-in roles are not, and a template closeout does not know is
// neither: nil, for the policy to call unknown.
func TestRoleIsPrivileged(t *testing.T) {
	for id, want := range map[string]any{
		"62e90394-69f5-4237-9190-012177145e10": true,  // Global Administrator
		"8329153B-31D0-4727-B945-745EB3BC5F31": true,  // Domain Name Administrator, upper case
		"29232cdf-9323-42fd-ade2-1d097af3e4de": true,  // Exchange Administrator, closeout's addition
		"4a5d8f65-41da-4de4-8968-e035b65339cf": false, // Reports Reader
		"00000000-0000-4000-8000-00000000f00d": nil,
		"":                                     nil,
	} {
		got := RoleIsPrivileged(id)
		switch {
		case want == nil && got != nil:
			t.Errorf("%q: %v, want nil (not known)", id, *got)
		case want != nil && (got == nil || *got != want.(bool)):
			t.Errorf("%q: %v, want %v", id, got, want)
		}
	}
	privileged := 0
	for _, r := range builtInRoles {
		if r.privileged {
			privileged++
		}
	}
	if len(builtInRoles) < 120 || privileged != 32 {
		t.Errorf("%d built-in roles, %d privileged; want the 123 of the reference, 32 privileged (29 labelled, 3 of closeout's)", len(builtInRoles), privileged)
	}
}

// Roles the account may activate through PIM are read beside the held
// ones, marked eligible, and so are the direct assignments the directory
// role list leaves out (a role scoped to an administrative unit, a custom
// role), a role held twice counting once; a tenant without PIM (no P2
// licence) has no eligible role, so the held roles are the whole answer;
// a refused read leaves the section forbidden, the held roles kept.
func TestCollectEligibleRoles(t *testing.T) {
	const bob = "b0b00000-0000-4000-8000-0000000000b0"
	start := func(t *testing.T, faults ...fake.Fault) *snapshot.Snapshot {
		t.Helper()
		tenant, err := fake.LoadTenant(filepath.Join("..", "..", "testdata", "tenants", "contoso.json"))
		if err != nil {
			t.Fatal(err)
		}
		tenant.RoleEligibilities = append(tenant.RoleEligibilities,
			map[string]any{"id": "e1", "principalId": bob, "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",
				"directoryScopeId": "/", "startDateTime": "2026-11-20T09:12:00Z", "memberType": "Direct"},
			map[string]any{"id": "e2", "principalId": bob, "roleDefinitionId": "c0ffee00-0000-4000-8000-000000000001",
				"directoryScopeId": "/", "startDateTime": "2025-01-01T00:00:00Z", "memberType": "Direct"},
			map[string]any{"id": "e3", "principalId": "someone-else", "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10"})
		tenant.RoleMembers["role-reports-reader"] = append(tenant.RoleMembers["role-reports-reader"], bob)
		definition := func(name, template string) map[string]any {
			return map[string]any{"displayName": name, "templateId": template}
		}
		tenant.RoleAssignments = append(tenant.RoleAssignments,
			map[string]any{"id": "a1", "principalId": bob, "roleDefinitionId": "4a5d8f65-41da-4de4-8968-e035b65339cf", "directoryScopeId": "/",
				"roleDefinition": definition("Reports Reader", "4a5d8f65-41da-4de4-8968-e035b65339cf")},
			map[string]any{"id": "a2", "principalId": bob, "roleDefinitionId": "fe930be7-5e62-47db-91af-98c3a49a38b1", "directoryScopeId": "/administrativeUnits/au-sales",
				"roleDefinition": definition("User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1")},
			map[string]any{"id": "a3", "principalId": bob, "roleDefinitionId": "c0ffee00-0000-4000-8000-000000000002", "directoryScopeId": "/",
				"roleDefinition": definition("Mailbox Helper", "c0ffee00-0000-4000-8000-000000000002")})
		srv := fake.New(tenant)
		srv.Token = testToken
		srv.Start()
		t.Cleanup(srv.Close)
		for _, f := range faults {
			srv.AddFault(f)
		}
		snap, err := Collect(context.Background(), options(srv, "bob@contoso.com"))
		if err != nil {
			t.Fatal(err)
		}
		validate(t, snap)
		return snap
	}
	t.Run("read", func(t *testing.T) {
		snap := start(t)
		var eligible []snapshot.Role
		for _, r := range snap.Roles {
			if r.Assignment == "eligible" {
				eligible = append(eligible, r)
			}
		}
		if len(eligible) != 2 || snap.Coverage["roles"].Status != snapshot.StatusCollected {
			t.Fatalf("eligible roles %+v, coverage %+v; want bob's two, collected", eligible, snap.Coverage["roles"])
		}
		held := map[string]snapshot.Role{}
		for _, r := range snap.Roles {
			if r.Assignment == "" {
				held[r.DisplayName] = r
			}
		}
		if len(held) != 3 {
			t.Errorf("held roles %v; want Reports Reader once, the scoped User Administrator and the custom role", held)
		}
		if r := held["User Administrator (scope /administrativeUnits/au-sales)"]; r.Privileged == nil || !*r.Privileged {
			t.Errorf("a privileged role scoped to an administrative unit read as %+v", r)
		}
		if r, ok := held["Mailbox Helper"]; !ok || r.Privileged != nil {
			t.Errorf("a custom role read as %+v; want privileged unknown (null)", r)
		}
		ga, custom := eligible[0], eligible[1]
		if ga.DisplayName != "Global Administrator" || ga.Privileged == nil || !*ga.Privileged || ga.StartDateTime == nil || ga.StartDateTime.Format(time.RFC3339) != "2026-11-20T09:12:00Z" {
			t.Errorf("eligible Global Administrator read as %+v", ga)
		}
		if custom.Privileged != nil || !strings.Contains(custom.DisplayName, "c0ffee00") {
			t.Errorf("a custom role's eligibility read as %+v; want privileged unknown (null)", custom)
		}
	})
	pim := `^/roleManagement/directory/roleEligibilityScheduleInstances$`
	t.Run("no PIM in the tenant", func(t *testing.T) {
		snap := start(t, fake.Fault{Path: pim, Status: 400, Code: "AadPremiumLicenseRequired", Message: "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license."})
		if c := snap.Coverage["roles"]; c.Status != snapshot.StatusCollected || !strings.Contains(c.Detail, "no Privileged Identity Management") {
			t.Errorf("roles %+v, want collected, saying no role can be eligible", c)
		}
	})
	t.Run("refused", func(t *testing.T) {
		snap := start(t, fake.Fault{Path: pim, Status: 403, Code: "Authorization_RequestDenied", Message: "Insufficient privileges to complete the operation."})
		if c := snap.Coverage["roles"]; c.Status != snapshot.StatusForbidden || !strings.Contains(c.Detail, "RoleManagement.Read.Directory") {
			t.Errorf("roles %+v, want forbidden, naming the permission", c)
		}
		for _, r := range snap.Roles {
			if r.Assignment == "eligible" {
				t.Errorf("an eligible role from a refused read: %+v", r)
			}
		}
	})
}
