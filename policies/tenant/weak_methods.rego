# METADATA
# title: SMS and voice not offered as sign-in methods
# description: >-
#   While the authentication methods policy enables SMS or voice, users can
#   register them as their only second factor, and SIM swaps and real-time
#   phishing defeat them. Offer Microsoft Authenticator, FIDO2 and passkeys
#   instead, with a migration period for users who have only a phone.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/entra/identity/authentication/concept-authentication-methods-manage
#     description: Manage authentication methods for Microsoft Entra ID
# custom:
#   id: CO-TEN-009
#   severity: medium
#   checklist: tenant-mfa-enforced
#   requires: [authenticationMethodsPolicy]
#   modes: [tenant]
#   fails_on_partial_data: true
#   remediation: >-
#     Disable the method once users have a stronger one: PATCH
#     https://graph.microsoft.com/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Sms with {"state": "disabled"}
#     (likewise Voice). Tenant: {user:text}.
package closeout.tenant.weak_methods

weak := {"sms": "SMS", "voice": "voice"}

warn contains result if {
	some method in input.authenticationMethodsPolicy.methods
	method.state == "enabled"
	name := weak[lower(method.id)]
	result := {
		"msg": sprintf("the authentication methods policy enables %s sign-in", [name]),
		"method": method.id,
	}
}
