# METADATA
# title: Unified audit log on
# description: >-
#   Without the unified audit log there is no record of what an attacker read,
#   sent or changed in mail and files, and no incident can be reviewed.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/purview/audit-log-enable-disable
#     description: Turn auditing on or off
# custom:
#   id: CO-TEN-006
#   severity: high
#   checklist: tenant-audit-log
#   requires: [exchange.auditConfig]
#   modes: [tenant]
#   remediation: >-
#     Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true. Tenant: {user:text}.
package closeout.tenant.audit_log

import data.closeout.lib.tenant

deny contains result if {
	tenant.is_tenant
	not input.exchange.adminAuditLogConfig.unifiedAuditLogIngestionEnabled == true
	result := {"msg": "the unified audit log is off (UnifiedAuditLogIngestionEnabled is not True)"}
}
