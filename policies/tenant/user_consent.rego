# METADATA
# title: Users cannot consent to any app
# description: >-
#   When users may consent to any application for their own data, a consent
#   phishing link yields an app with mail and file access that outlives
#   password resets. Allow user consent only for verified publishers'
#   low-impact permissions, or not at all, with an admin consent workflow.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/configure-user-consent
#     description: Configure how users consent to applications
# custom:
#   id: CO-TEN-005
#   severity: high
#   checklist: tenant-user-consent-restricted
#   requires: [authorizationPolicy]
#   modes: [tenant]
#   remediation: >-
#     Restrict user consent: PATCH https://graph.microsoft.com/v1.0/policies/authorizationPolicy with
#     {"defaultUserRolePermissions": {"permissionGrantPoliciesAssigned": ["managePermissionGrantsForSelf.microsoft-user-default-low"]}}
#     and turn on the admin consent workflow. Tenant: {user:text}.
package closeout.tenant.user_consent

deny contains result if {
	some assigned in input.authorizationPolicy.permissionGrantPoliciesAssigned
	endswith(lower(assigned), "microsoft-user-default-legacy")
	result := {
		"msg": "users may consent to any application for their own data (microsoft-user-default-legacy)",
		"assigned": assigned,
	}
}
