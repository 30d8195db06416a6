# METADATA
# title: Administrators sign in with a security key
# description: >-
#   An example of a custom policy: ACME requires a FIDO2 security key on every
#   account that holds a privileged directory role. Custom policies live under
#   package custom.*, carry the same METADATA as the library and run in the
#   same sandbox (see the README).
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/entra/identity/authentication/how-to-enable-passkey-fido2
#     description: Enable passkeys (FIDO2) for your organization
# custom:
#   id: ACME-001
#   severity: high
#   checklist: custom-admin-security-key
#   requires: [roles, authMethods]
#   modes: [posture, incident]
#   remediation: >-
#     Register a FIDO2 security key for {user} (My Security Info, or a Temporary
#     Access Pass for the first sign-in), then require it with an authentication
#     strength in Conditional Access.
package custom.acme.admin_security_key

privileged_roles contains role.displayName if {
	some role in input.roles
	role.privileged == true
}

has_security_key if {
	some method in input.authMethods
	method.type == "fido2"
}

deny contains result if {
	count(privileged_roles) > 0
	not has_security_key
	result := {
		"msg": sprintf("holds %s without a FIDO2 security key", [concat(", ", sort(privileged_roles))]),
		"roles": sort(privileged_roles),
	}
}
