# METADATA
# title: closeout tenant helpers
# description: >-
#   Helpers for the tenant policies: which Conditional Access policies are
#   in force for everyone.
package closeout.lib.tenant

# enforced_for_everyone holds for an enabled Conditional Access policy that
# covers all users and all cloud apps.
enforced_for_everyone(policy) if {
	policy.state == "enabled"
	"All" in policy.includeUsers
	"All" in object.get(policy, "includeApplications", ["All"])
}

# is_tenant holds for a tenant settings document. The engine runs tenant
# policies on tenant documents only; this keeps conftest, which runs every
# namespace on every file, from judging an account snapshot as a tenant.
is_tenant if input.schemaVersion == "closeout.tenant/v1"

default security_defaults_on := false

security_defaults_on if input.securityDefaults.isEnabled == true
