# METADATA
# title: SMTP AUTH off by default
# description: >-
#   SMTP AUTH takes a password alone. When the organisation default allows
#   it, every mailbox without its own setting can send mail with a stolen
#   password, MFA or not. Mailboxes that need it can be allowed one by one.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission
#     description: Enable or disable SMTP AUTH in Exchange Online
# custom:
#   id: CO-TEN-007
#   severity: medium
#   checklist: tenant-legacy-auth-blocked
#   requires: [exchange.transportConfig]
#   modes: [tenant]
#   remediation: >-
#     Set-TransportConfig -SmtpClientAuthenticationDisabled $true. Tenant: {user:text}.
package closeout.tenant.smtp_auth_default

import data.closeout.lib.tenant

deny contains result if {
	tenant.is_tenant
	not input.exchange.transportConfig.smtpClientAuthenticationDisabled == true
	result := {"msg": "SMTP AUTH is on for every mailbox that does not turn it off (SmtpClientAuthenticationDisabled is not True)"}
}
