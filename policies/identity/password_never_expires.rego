# METADATA
# title: Password expiry not disabled on a compromised account
# description: >-
#   DisablePasswordExpiration keeps whatever password is set for ever. On an
#   account that was compromised it also keeps any password the attacker may
#   learn again; attackers and hurried responders both set it. Cloud-only
#   accounts should follow the tenant's password policy.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/entra/identity/authentication/concept-password-ban-bad-combined-policy
#     description: Password policies in Microsoft Entra ID
# custom:
#   id: CO-PWD-003
#   severity: medium
#   checklist: password-reset
#   requires: [user]
#   modes: [incident]
#   fails_on_partial_data: true
#   remediation: >-
#     Restore password expiry: PATCH https://graph.microsoft.com/v1.0/users/{user:url} with {"passwordPolicies": "None"}
#     (PowerShell: Update-MgUser -UserId {user} -PasswordPolicies None).
package closeout.identity.password_never_expires

deny contains result if {
	policies := input.user.passwordPolicies
	is_string(policies)
	contains(lower(policies), "disablepasswordexpiration")
	result := {
		"msg": sprintf("password is set never to expire (passwordPolicies: %s)", [policies]),
		"passwordPolicies": policies,
	}
}
