// Package snapshot is the contract between collectors and policies: the Go
// types of closeout.snapshot/v1, its embedded JSON Schema, and the loader that
// reads, bounds and validates snapshot documents.
package snapshot

import "time"

// SchemaVersion is the version string every snapshot document carries.
const SchemaVersion = "closeout.snapshot/v1"

// Coverage statuses. Only StatusCollected lets a policy that needs the
// section report pass or fail; every other status makes it unknown.
const (
	StatusCollected  = "collected"
	StatusForbidden  = "forbidden"
	StatusUnlicensed = "unlicensed"
	StatusNotFound   = "notFound"
	StatusError      = "error"
	StatusSkipped    = "skipped"
)

// Sections lists every coverage section of an account snapshot, in the order
// docs/reference.md gives them.
var Sections = []string{
	"user", "authMethods", "registration", "roles", "risk", "oauthGrants",
	"appRoleAssignments", "appCredentials", "devices", "mailbox.forwarding", "mailbox.protocols",
	"mailbox.inboxRules", "mailbox.permissions", "mailbox.autoReply", "mailbox.audit",
	"mailbox.restricted", "connectors", "signIns", "audits",
}

// Snapshot is one account's security state as collected at CollectedAt.
type Snapshot struct {
	SchemaVersion      string              `json:"schemaVersion"`
	CollectedAt        time.Time           `json:"collectedAt"`
	Source             Source              `json:"source"`
	Tenant             Tenant              `json:"tenant"`
	Incident           *Incident           `json:"incident,omitempty"`
	User               User                `json:"user"`
	AuthMethods        []AuthMethod        `json:"authMethods,omitempty"`
	Registration       *Registration       `json:"registration,omitempty"`
	Roles              []Role              `json:"roles,omitempty"`
	Risk               *Risk               `json:"risk,omitempty"`
	OAuthGrants        []OAuthGrant        `json:"oauthGrants,omitempty"`
	AppRoleAssignments []AppRoleAssignment `json:"appRoleAssignments,omitempty"`
	AppCredentials     []AppCredential     `json:"appCredentials,omitempty"`
	Devices            []Device            `json:"devices,omitempty"`
	Mailbox            *Mailbox            `json:"mailbox,omitempty"`
	Connectors         *Connectors         `json:"connectors,omitempty"`
	SignIns            []SignIn            `json:"signIns,omitempty"`
	Audits             []Audit             `json:"audits,omitempty"`
	// Recipients are what Exchange resolved the recipients and trustees the
	// snapshot names to, keyed by the value as the snapshot writes it
	// (`"Eve" [EX:/o=…]`, a display name, an address). A name missing here
	// is judged by its form alone: an address by its domain, anything else
	// is unknown.
	Recipients map[string]Recipient `json:"recipients,omitempty"`
	// Provenance says how a scan came by the snapshot; absent for one
	// read by collect or verify.
	Provenance *Provenance             `json:"provenance,omitempty"`
	Coverage   map[string]CoverageItem `json:"coverage"`
}

// Provenance is how a scan came by a snapshot. An incremental scan
// (--since) reads again the accounts the change feeds name and carries
// the others from the previous scan unchanged: their collectedAt is still
// when they were read.
type Provenance struct {
	// Carried says the snapshot was carried from an earlier scan, not
	// read by this one.
	Carried bool `json:"carried"`
	// From is the scan directory it was carried from.
	From string `json:"from,omitempty"`
	// Reason says why an incremental scan read the account ("changed:
	// Set-Mailbox", "new", "incomplete before", "due: read 30 days ago",
	// "mailbox audit bypassed") or why the scan read everything.
	Reason string `json:"reason,omitempty"`
	// BulkSum is a digest of what the scan's tenant-wide lists (mailboxes,
	// risk, roles, grants, registration, restricted senders, audit bypass)
	// said of the account: the next incremental scan reads it again when
	// its own lists say otherwise.
	BulkSum string `json:"bulkSum,omitempty"`
}

// Source names the tool and collectors that produced a snapshot.
type Source struct {
	Tool       string   `json:"tool"`
	Version    string   `json:"version"`
	Collectors []string `json:"collectors"`
	Cloud      string   `json:"cloud,omitempty"`
}

// Tenant identifies the Microsoft 365 tenant. AcceptedDomains (Exchange's)
// decide which addresses are delivered inside; without them, Domains
// (Graph's verified domains) stand in.
type Tenant struct {
	ID              string           `json:"id"`
	DefaultDomain   string           `json:"defaultDomain"`
	Domains         []string         `json:"domains"`
	AcceptedDomains []AcceptedDomain `json:"acceptedDomains,omitempty"`
}

// AcceptedDomain is a domain Exchange Online accepts mail for
// (Get-AcceptedDomain). DomainType is Authoritative (every recipient is in
// the tenant), InternalRelay or ExternalRelay (mail to an address the
// tenant does not hold is relayed out).
type AcceptedDomain struct {
	DomainName      string `json:"domainName"`
	DomainType      string `json:"domainType"`
	MatchSubDomains *bool  `json:"matchSubDomains,omitempty"`
}

// Recipient is what Exchange said a recipient is. Status is resolved,
// notFound (no recipient answers to the value), ambiguous (several do) or
// error (the question could not be asked; Detail says why).
type Recipient struct {
	Status               string  `json:"status"`
	RecipientTypeDetails *string `json:"recipientTypeDetails,omitempty"`
	DisplayName          *string `json:"displayName,omitempty"`
	PrimarySMTPAddress   *string `json:"primarySmtpAddress,omitempty"`
	// ExternalEmailAddress is where a mail contact, mail user or guest's
	// mail goes, as Exchange wrote it ("SMTP:eve@fabrikam.example").
	ExternalEmailAddress *string `json:"externalEmailAddress,omitempty"`
	// ResolvedBy names the read that answered: Get-Recipient, or the
	// tenant-wide list a scan read once.
	ResolvedBy string `json:"resolvedBy"`
	Detail     string `json:"detail,omitempty"`
}

// Recipient resolution statuses.
const (
	RecipientResolved  = "resolved"
	RecipientNotFound  = "notFound"
	RecipientAmbiguous = "ambiguous"
	RecipientError     = "error"
)

// Incident is present only in incident mode: the window and what is known of
// the attacker, and the human steps attested.
type Incident struct {
	ID           string                 `json:"id,omitempty"`
	WindowStart  time.Time              `json:"windowStart"`
	DetectedAt   *time.Time             `json:"detectedAt,omitempty"`
	Indicators   Indicators             `json:"indicators"`
	Attestations map[string]Attestation `json:"attestations,omitempty"`
}

// Indicators are the attacker's known IP addresses and domains.
type Indicators struct {
	IPs     []string `json:"ips"`
	Domains []string `json:"domains"`
}

// Attestation records who confirmed a human step, and when.
type Attestation struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Note string    `json:"note,omitempty"`
}

// User is the directory user object.
type User struct {
	ID                              string     `json:"id"`
	UserPrincipalName               string     `json:"userPrincipalName"`
	DisplayName                     string     `json:"displayName,omitempty"`
	Mail                            *string    `json:"mail"`
	UserType                        string     `json:"userType,omitempty"`
	AccountEnabled                  *bool      `json:"accountEnabled"`
	CreatedDateTime                 *time.Time `json:"createdDateTime"`
	LastPasswordChangeDateTime      *time.Time `json:"lastPasswordChangeDateTime"`
	SignInSessionsValidFromDateTime *time.Time `json:"signInSessionsValidFromDateTime"`
	PasswordPolicies                *string    `json:"passwordPolicies"`
	OtherMails                      []string   `json:"otherMails"`
}

// AuthMethod is one registered authentication method.
type AuthMethod struct {
	ID              string     `json:"id"`
	Type            string     `json:"type"`
	DisplayName     *string    `json:"displayName"`
	CreatedDateTime *time.Time `json:"createdDateTime"`
	PhoneNumber     *string    `json:"phoneNumber,omitempty"`
	PhoneType       *string    `json:"phoneType,omitempty"`
	EmailAddress    *string    `json:"emailAddress,omitempty"`
	// IsUsable is set for Temporary Access Passes: whether it can still sign in.
	IsUsable *bool `json:"isUsable,omitempty"`
}

// Registration is the user's MFA registration report entry.
type Registration struct {
	IsMfaRegistered   bool     `json:"isMfaRegistered"`
	MethodsRegistered []string `json:"methodsRegistered"`
	DefaultMethod     *string  `json:"defaultMethod"`
}

// Role is a directory role held by the account, directly or transitively.
type Role struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	RoleTemplateID string `json:"roleTemplateId"`
	// Privileged is whether the role's template is a privileged one; null
	// for a template the collector does not know (a newer or custom role).
	Privileged *bool `json:"privileged"`
	// Assignment is "eligible" for a role the account may activate through
	// Privileged Identity Management; absent (or "active") for one it holds.
	Assignment string `json:"assignment,omitempty"`
	// StartDateTime is when an eligibility began.
	StartDateTime *time.Time `json:"startDateTime,omitempty"`
}

// Risk is the account's Identity Protection state.
type Risk struct {
	RiskLevel               *string    `json:"riskLevel"`
	RiskState               *string    `json:"riskState"`
	RiskDetail              *string    `json:"riskDetail"`
	RiskLastUpdatedDateTime *time.Time `json:"riskLastUpdatedDateTime"`
}

// OAuthGrant is a delegated permission grant, resolved to its client app.
type OAuthGrant struct {
	ClientID          string     `json:"clientId"`
	AppID             string     `json:"appId"`
	AppDisplayName    string     `json:"appDisplayName"`
	PublisherTenantID *string    `json:"publisherTenantId"`
	VerifiedPublisher *string    `json:"verifiedPublisher"`
	ConsentType       string     `json:"consentType"`
	Scopes            []string   `json:"scopes"`
	GrantedDateTime   *time.Time `json:"grantedDateTime"`
}

// AppRoleAssignment is an application permission assigned to the user.
type AppRoleAssignment struct {
	ResourceID          string     `json:"resourceId"`
	ResourceDisplayName string     `json:"resourceDisplayName"`
	AppRoleID           string     `json:"appRoleId"`
	CreatedDateTime     *time.Time `json:"createdDateTime"`
}

// AppCredential is a password (client secret) or certificate credential on
// an application or service principal the account owns, or whose
// credentials the account changed (directory audits).
type AppCredential struct {
	ObjectID       string `json:"objectId"`
	ObjectType     string `json:"objectType"` // application or servicePrincipal
	AppID          string `json:"appId,omitempty"`
	AppDisplayName string `json:"appDisplayName,omitempty"`
	// Relation is how the account is tied to the object: owner, or
	// changedCredentials (a directory audit the account initiated).
	Relation      string     `json:"relation"`
	KeyID         string     `json:"keyId"`
	Type          string     `json:"type"` // password or certificate
	DisplayName   *string    `json:"displayName"`
	StartDateTime *time.Time `json:"startDateTime"`
	EndDateTime   *time.Time `json:"endDateTime"`
	// AddedDateTime is when a directory audit recorded the credential's
	// addition, and AddedBy who added it; null when no audit read names it
	// (startDateTime can be set by whoever adds a credential).
	AddedDateTime *time.Time `json:"addedDateTime"`
	AddedBy       *string    `json:"addedBy,omitempty"`
}

// Device is a device the account registered or owns.
type Device struct {
	ID                   string     `json:"id"`
	DisplayName          string     `json:"displayName"`
	OperatingSystem      string     `json:"operatingSystem"`
	TrustType            *string    `json:"trustType"`
	RegistrationDateTime *time.Time `json:"registrationDateTime"`
	IsCompliant          *bool      `json:"isCompliant"`
}

// Mailbox is the Exchange Online state of the account's mailbox.
type Mailbox struct {
	ForwardingSMTPAddress      *string      `json:"forwardingSmtpAddress"`
	ForwardingAddress          *string      `json:"forwardingAddress"`
	DeliverToMailboxAndForward *bool        `json:"deliverToMailboxAndForward"`
	Protocols                  *Protocols   `json:"protocols,omitempty"`
	InboxRules                 []InboxRule  `json:"inboxRules,omitempty"`
	Permissions                []Permission `json:"permissions,omitempty"`
	AutoReply                  *AutoReply   `json:"autoReply,omitempty"`
	// Audit is the mailbox's audit logging (section mailbox.audit).
	Audit *MailboxAudit `json:"audit,omitempty"`
	// Restricted says whether Microsoft blocked the account from sending
	// (the restricted users list; section mailbox.restricted).
	Restricted *SendingRestriction `json:"restricted,omitempty"`
}

// MailboxAudit says whether actions on the mailbox are audited: AuditEnabled
// from Get-Mailbox, AuditBypassEnabled from Get-MailboxAuditBypassAssociation
// (the account's own actions on any mailbox go unlogged).
type MailboxAudit struct {
	AuditEnabled       *bool `json:"auditEnabled"`
	AuditBypassEnabled *bool `json:"auditBypassEnabled"`
}

// SendingRestriction is the account's entry on the restricted users list
// (Get-BlockedSenderAddress): Blocked is false when it has none.
type SendingRestriction struct {
	Blocked         bool       `json:"blocked"`
	Reason          *string    `json:"reason,omitempty"`
	Temporary       *bool      `json:"temporary,omitempty"`
	CreatedDateTime *time.Time `json:"createdDateTime,omitempty"`
	ChangedDateTime *time.Time `json:"changedDateTime,omitempty"`
}

// Connectors are Exchange Online's mail flow connectors, read into an
// incident snapshot so that one created or changed during the window is
// seen (section connectors); a tenant document carries them too.
type Connectors struct {
	Inbound  []Connector `json:"inbound"`
	Outbound []Connector `json:"outbound"`
}

// Connector is one inbound or outbound connector.
type Connector struct {
	Name          string `json:"name"`
	Enabled       *bool  `json:"enabled"`
	ConnectorType string `json:"connectorType,omitempty"` // Partner or OnPremises
	// Outbound: the domains it routes and where to.
	RecipientDomains []string `json:"recipientDomains,omitempty"`
	SmartHosts       []string `json:"smartHosts,omitempty"`
	UseMXRecord      *bool    `json:"useMxRecord,omitempty"`
	// Inbound: whom it accepts mail from.
	SenderDomains     []string   `json:"senderDomains,omitempty"`
	SenderIPAddresses []string   `json:"senderIpAddresses,omitempty"`
	WhenCreated       *time.Time `json:"whenCreated"`
	WhenChanged       *time.Time `json:"whenChanged"`
}

// Protocols says which client protocols the mailbox allows. A nil SMTPAuth
// means the organisation default applies.
type Protocols struct {
	IMAP       *bool `json:"imap"`
	POP        *bool `json:"pop"`
	SMTPAuth   *bool `json:"smtpAuth"`
	ActiveSync *bool `json:"activeSync"`
	EWS        *bool `json:"ews"`
	MAPI       *bool `json:"mapi"`
	OWA        *bool `json:"owa"`
}

// InboxRule is one inbox rule, from Graph, Exchange or both.
type InboxRule struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	Enabled         bool           `json:"enabled"`
	Hidden          bool           `json:"hidden"`
	Source          string         `json:"source,omitempty"`
	CreatedDateTime *time.Time     `json:"createdDateTime,omitempty"`
	Conditions      map[string]any `json:"conditions"`
	Actions         RuleActions    `json:"actions"`
}

// RuleActions are what an inbox rule does to matching mail.
type RuleActions struct {
	ForwardTo             []string `json:"forwardTo"`
	RedirectTo            []string `json:"redirectTo"`
	ForwardAsAttachmentTo []string `json:"forwardAsAttachmentTo"`
	Delete                bool     `json:"delete"`
	PermanentDelete       bool     `json:"permanentDelete"`
	MoveToFolder          *string  `json:"moveToFolder"`
	MarkAsRead            bool     `json:"markAsRead"`
	StopProcessingRules   bool     `json:"stopProcessingRules"`
}

// Permission is a mailbox or calendar permission granted to a trustee.
type Permission struct {
	Trustee         string     `json:"trustee"`
	AccessRights    []string   `json:"accessRights"`
	CreatedDateTime *time.Time `json:"createdDateTime,omitempty"`
}

// AutoReply is the mailbox's automatic-reply setting. A value Graph did not
// send is null: it is never assumed to be "disabled" or "none".
type AutoReply struct {
	Status           *string `json:"status"`
	ExternalAudience *string `json:"externalAudience"`
}

// SignIn is one sign-in log entry.
type SignIn struct {
	CreatedDateTime       time.Time `json:"createdDateTime"`
	IPAddress             string    `json:"ipAddress"`
	CountryOrRegion       string    `json:"countryOrRegion"`
	City                  string    `json:"city"`
	ClientAppUsed         string    `json:"clientAppUsed"`
	AppDisplayName        string    `json:"appDisplayName"`
	ErrorCode             int       `json:"errorCode"`
	RiskLevelDuringSignIn *string   `json:"riskLevelDuringSignIn"`
	IsInteractive         bool      `json:"isInteractive"`
}

// Audit is one directory audit entry about the account.
type Audit struct {
	ActivityDateTime    time.Time        `json:"activityDateTime"`
	ActivityDisplayName string           `json:"activityDisplayName"`
	Category            string           `json:"category"`
	InitiatedBy         string           `json:"initiatedBy"`
	Result              string           `json:"result"`
	TargetProperties    []TargetProperty `json:"targetProperties"`
}

// TargetProperty is one property an audited activity changed.
type TargetProperty struct {
	Name     string  `json:"name"`
	OldValue *string `json:"oldValue"`
	NewValue *string `json:"newValue"`
}

// CoverageItem says whether a section was collected and, if not, why.
type CoverageItem struct {
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// Mode is "incident" when the snapshot carries an incident, else "posture".
func (s *Snapshot) Mode() string {
	if s.Incident != nil {
		return ModeIncident
	}
	return ModePosture
}

// Evaluation modes.
const (
	ModeIncident = "incident"
	ModePosture  = "posture"
)
