# METADATA
# title: Automatic forwarding outside the organisation blocked
# description: >-
#   With automatic external forwarding allowed, any mailbox forwarding or
#   forwarding inbox rule an attacker sets sends mail out of the tenant. The
#   outbound spam policies' AutoForwardingMode should be Off (Automatic is
#   Microsoft's system-controlled off); On allows it.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/defender-office-365/outbound-spam-policies-external-email-forwarding
#     description: Control automatic external email forwarding
# custom:
#   id: CO-TEN-003
#   severity: high
#   checklist: tenant-external-forwarding-blocked
#   requires: [exchange.outboundSpam]
#   modes: [tenant]
#   fails_on_partial_data: true
#   remediation: >-
#     Set-HostedOutboundSpamFilterPolicy -Identity <policy> -AutoForwardingMode Off
#     (allow exceptions with a separate policy scoped to the few mailboxes that need it). Tenant: {user:text}.
package closeout.tenant.external_forwarding

deny contains result if {
	some policy in input.exchange.outboundSpamPolicies
	policy.autoForwardingMode == "On"
	result := {
		"msg": sprintf("outbound spam policy %q allows automatic forwarding outside the organisation (AutoForwardingMode On)", [policy.name]),
		"policy": policy.name,
	}
}
