package graph

import "testing"

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
