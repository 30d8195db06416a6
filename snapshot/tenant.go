package snapshot

import "time"

// TenantSchemaVersion is the version string of a tenant settings document.
const TenantSchemaVersion = "closeout.tenant/v1"

// ModeTenant is the evaluation mode of a tenant document.
const ModeTenant = "tenant"

// TenantSections are the coverage sections of a tenant document.
var TenantSections = []string{
	"securityDefaults", "conditionalAccess", "authorizationPolicy", "authenticationMethodsPolicy",
	"exchange.outboundSpam", "exchange.remoteDomains", "exchange.transportConfig",
	"exchange.casMailboxPlans", "exchange.transportRules", "exchange.auditConfig", "exchange.connectors",
}

// TenantSettings is closeout.tenant/v1: the tenant-wide settings that make
// compromise likely (no MFA enforcement, legacy authentication, external
// auto-forwarding, open user consent, no audit log).
type TenantSettings struct {
	SchemaVersion       string               `json:"schemaVersion"`
	CollectedAt         time.Time            `json:"collectedAt"`
	Source              Source               `json:"source"`
	Tenant              Tenant               `json:"tenant"`
	SecurityDefaults    *SecurityDefaults    `json:"securityDefaults,omitempty"`
	ConditionalAccess   []ConditionalAccess  `json:"conditionalAccess,omitempty"`
	AuthorizationPolicy *AuthorizationPolicy `json:"authorizationPolicy,omitempty"`
	AuthMethodsPolicy   *AuthMethodsPolicy   `json:"authenticationMethodsPolicy,omitempty"`
	Exchange            *ExchangeSettings    `json:"exchange,omitempty"`
	// KnownPartners is the operator's allow-list (--partners), merged in
	// before evaluation: connectors that route mail to a partner on purpose.
	KnownPartners *KnownPartners `json:"knownPartners,omitempty"`
	// Recipients are what Exchange resolved the recipients mail flow rules
	// name to, as in an account snapshot.
	Recipients map[string]Recipient    `json:"recipients,omitempty"`
	Coverage   map[string]CoverageItem `json:"coverage"`
}

// KnownPartners lists the mail flow the operator vouches for.
type KnownPartners struct {
	Connectors []KnownConnector `json:"connectors"`
}

// KnownConnector vouches for an outbound connector by name and the smart
// hosts it may route to (all of them must be listed), with who vouched
// and why.
type KnownConnector struct {
	Name          string     `json:"name"`
	SmartHosts    []string   `json:"smartHosts"`
	Justification string     `json:"justification"`
	ApprovedBy    string     `json:"approvedBy"`
	Expires       *time.Time `json:"expires,omitempty"`
}

// SecurityDefaults is Entra ID's security defaults switch.
type SecurityDefaults struct {
	IsEnabled *bool `json:"isEnabled"`
}

// ConditionalAccess is one Conditional Access policy, flattened to what
// the tenant policies read.
type ConditionalAccess struct {
	ID                     string   `json:"id"`
	DisplayName            string   `json:"displayName"`
	State                  string   `json:"state"`
	IncludeUsers           []string `json:"includeUsers"`
	ExcludeUsers           []string `json:"excludeUsers"`
	IncludeApplications    []string `json:"includeApplications"`
	ClientAppTypes         []string `json:"clientAppTypes"`
	BuiltInControls        []string `json:"builtInControls"`
	AuthenticationStrength *string  `json:"authenticationStrength"`
}

// AuthorizationPolicy holds what users may consent to.
type AuthorizationPolicy struct {
	PermissionGrantPoliciesAssigned []string `json:"permissionGrantPoliciesAssigned"`
}

// AuthMethodsPolicy says which sign-in methods the tenant allows.
type AuthMethodsPolicy struct {
	Methods []AuthMethodState `json:"methods"`
}

// AuthMethodState is one method's switch: id as Graph names it (Sms, Voice, Fido2, ...).
type AuthMethodState struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

// ExchangeSettings are Exchange Online's organisation settings.
type ExchangeSettings struct {
	OutboundSpamPolicies []OutboundSpamPolicy `json:"outboundSpamPolicies,omitempty"`
	RemoteDomains        []RemoteDomain       `json:"remoteDomains,omitempty"`
	TransportConfig      *TransportConfig     `json:"transportConfig,omitempty"`
	CASMailboxPlans      []CASMailboxPlan     `json:"casMailboxPlans,omitempty"`
	TransportRules       []TransportRule      `json:"transportRules,omitempty"`
	AdminAuditLogConfig  *AdminAuditLogConfig `json:"adminAuditLogConfig,omitempty"`
	Connectors           *Connectors          `json:"connectors,omitempty"`
}

// OutboundSpamPolicy carries the automatic external forwarding switch.
type OutboundSpamPolicy struct {
	Name               string `json:"name"`
	AutoForwardingMode string `json:"autoForwardingMode"`
	IsDefault          *bool  `json:"isDefault"`
}

// RemoteDomain carries per-domain auto-forwarding.
type RemoteDomain struct {
	Name               string `json:"name"`
	DomainName         string `json:"domainName"`
	AutoForwardEnabled *bool  `json:"autoForwardEnabled"`
}

// TransportConfig carries the organisation's SMTP AUTH default.
type TransportConfig struct {
	SMTPClientAuthenticationDisabled *bool `json:"smtpClientAuthenticationDisabled"`
}

// CASMailboxPlan carries the protocol defaults new mailboxes get.
type CASMailboxPlan struct {
	Name        string `json:"name"`
	IMAPEnabled *bool  `json:"imapEnabled"`
	POPEnabled  *bool  `json:"popEnabled"`
}

// TransportRule is a mail flow rule's delivery-changing actions.
type TransportRule struct {
	Name              string   `json:"name"`
	State             string   `json:"state"`
	RedirectMessageTo []string `json:"redirectMessageTo"`
	BlindCopyTo       []string `json:"blindCopyTo"`
	CopyTo            []string `json:"copyTo"`
	AddToRecipients   []string `json:"addToRecipients"`
}

// AdminAuditLogConfig carries the unified audit log switch.
type AdminAuditLogConfig struct {
	UnifiedAuditLogIngestionEnabled *bool `json:"unifiedAuditLogIngestionEnabled"`
}
