# METADATA
# title: MFA required for every user
# description: >-
#   Without MFA enforced for all users, a phished password is a compromised
#   account. Security defaults, or an enabled Conditional Access policy for
#   all users and all apps that requires MFA or an authentication strength,
#   enforce it.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/entra/identity/conditional-access/policy-all-users-mfa-strength
#     description: Require MFA for all users with Conditional Access
#   - ref: https://learn.microsoft.com/en-us/entra/fundamentals/security-defaults
#     description: Security defaults in Microsoft Entra ID
# custom:
#   id: CO-TEN-001
#   severity: critical
#   checklist: tenant-mfa-enforced
#   requires: [securityDefaults, conditionalAccess]
#   modes: [tenant]
#   remediation: >-
#     Create a Conditional Access policy for All users and All resources granting access only with
#     "Require authentication strength: Multifactor authentication" (New-MgIdentityConditionalAccessPolicy),
#     or turn on security defaults where Conditional Access is not licensed. Tenant: {user:text}.
package closeout.tenant.mfa_enforced

import data.closeout.lib.tenant

requires_mfa(policy) if "mfa" in object.get(policy, "builtInControls", [])

requires_mfa(policy) if is_string(policy.authenticationStrength)

enforcing contains policy.displayName if {
	some policy in input.conditionalAccess
	tenant.enforced_for_everyone(policy)
	requires_mfa(policy)
}

deny contains result if {
	tenant.is_tenant
	not tenant.security_defaults_on
	count(enforcing) == 0
	result := {
		"msg": "no Conditional Access policy requires MFA for all users and all apps, and security defaults are off",
		"report_only": [p.displayName |
			some p in input.conditionalAccess
			p.state == "enabledForReportingButNotEnforced"
		],
	}
}
