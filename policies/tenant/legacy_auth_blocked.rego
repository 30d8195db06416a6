# METADATA
# title: Legacy authentication blocked
# description: >-
#   Legacy clients (IMAP, POP, SMTP AUTH, older Office, Exchange ActiveSync
#   with basic authentication) cannot do MFA, so a stolen password works
#   through them whatever MFA policy exists. Security defaults, or an enabled
#   Conditional Access policy for all users blocking the "exchangeActiveSync"
#   and "other" client app types, block them.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/entra/identity/conditional-access/policy-block-legacy-authentication
#     description: Block legacy authentication with Conditional Access
# custom:
#   id: CO-TEN-002
#   severity: high
#   checklist: tenant-legacy-auth-blocked
#   requires: [securityDefaults, conditionalAccess]
#   modes: [tenant]
#   remediation: >-
#     Create a Conditional Access policy for All users and All resources, client apps "Exchange ActiveSync clients" and
#     "Other clients", grant "Block access". Tenant: {user:text}.
package closeout.tenant.legacy_auth_blocked

import data.closeout.lib.tenant

blocking contains policy.displayName if {
	some policy in input.conditionalAccess
	tenant.enforced_for_everyone(policy)
	"block" in object.get(policy, "builtInControls", [])
	"other" in object.get(policy, "clientAppTypes", [])
	"exchangeActiveSync" in object.get(policy, "clientAppTypes", [])
}

deny contains result if {
	tenant.is_tenant
	not tenant.security_defaults_on
	count(blocking) == 0
	result := {"msg": "no Conditional Access policy blocks legacy authentication for all users, and security defaults are off"}
}
