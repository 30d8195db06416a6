package exchange

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/closeout-dev/closeout/snapshot"
)

// Permissions are what the exchange collector needs, per group of sections.
var Permissions = []struct{ Sections, Permission, Role string }{
	{"mailbox.forwarding, mailbox.protocols, mailbox.inboxRules, mailbox.permissions, mailbox.audit, recipients (Get-Recipient)", "Exchange.ManageAsApp", "View-Only Recipients"},
	{"mailbox.restricted (Get-BlockedSenderAddress)", "Exchange.ManageAsApp", "View-Only Recipients and Security Reader"},
	{"connectors, accepted domains, exchange.* (tenant settings)", "Exchange.ManageAsApp", "View-Only Configuration"},
	{"scan --since: the unified audit log (Search-UnifiedAuditLog; without it every account is read)", "Exchange.ManageAsApp", "View-Only Audit Logs"},
}

// RoleHint is what to grant when Exchange refuses the app.
const RoleHint = "give the app the Exchange.ManageAsApp permission and assign it the Exchange role View-Only Recipients (View-Only Configuration for tenant settings and connectors, Security Reader for the restricted users list)"

// Collect adds the Exchange-only sections to a snapshot the Graph collector
// made (it needs the tenant and the UPN): forwarding, protocols, inbox rules
// with the hidden ones merged into Graph's, mailbox permissions beside
// Graph's calendar delegates, mailbox auditing, the restricted users list,
// connectors (incident mode), and what every recipient those name resolves
// to. A cmdlet Exchange refuses is recorded in coverage; it never fails the
// collection.
func Collect(ctx context.Context, opts Options, snap *snapshot.Snapshot) error {
	r, err := Read(ctx, opts, snap.Tenant, snap.User.UserPrincipalName, snap.Incident != nil)
	if err != nil {
		return err
	}
	r.MergeInto(snap)
	return nil
}

// Reading is what Exchange said about one mailbox, before it is merged
// into the snapshot (Graph may still be reading when it arrives).
type Reading struct {
	upn     string
	results map[string]cmdletResult
	// recipients are what the recipients the mailbox names resolved to.
	recipients map[string]snapshot.Recipient
	// connectors are read (incident mode) or not.
	connectors bool
	// accepted, when set, are the tenant's accepted domains a scan read
	// once; else results["acceptedDomains"] has them.
	accepted []snapshot.AcceptedDomain
}

type cmdletResult struct {
	out      []map[string]any
	warnings []string
	err      error
}

// cmdlet is one read-only cmdlet a mailbox needs: anchored on the mailbox
// (at most four at a time, Outlook's limit per mailbox) or on the
// organisation.
type cmdlet struct {
	key, name string
	params    func(upn string) map[string]any
	org       bool
}

var (
	getMailbox  = cmdlet{"mailbox", "Get-Mailbox", func(upn string) map[string]any { return map[string]any{"Identity": upn} }, false}
	getCAS      = cmdlet{"cas", "Get-CASMailbox", func(upn string) map[string]any { return map[string]any{"Identity": upn} }, false}
	getRules    = cmdlet{"rules", "Get-InboxRule", func(upn string) map[string]any { return map[string]any{"Mailbox": upn} }, false}
	getHidden   = cmdlet{"rulesHidden", "Get-InboxRule", func(upn string) map[string]any { return map[string]any{"Mailbox": upn, "IncludeHidden": true} }, false}
	getFull     = cmdlet{"fullAccess", "Get-MailboxPermission", func(upn string) map[string]any { return map[string]any{"Identity": upn} }, false}
	getSendAs   = cmdlet{"sendAs", "Get-RecipientPermission", func(upn string) map[string]any { return map[string]any{"Identity": upn} }, false}
	getBypass   = cmdlet{"auditBypass", "Get-MailboxAuditBypassAssociation", func(upn string) map[string]any { return map[string]any{"Identity": upn} }, true}
	getAccepted = cmdlet{"acceptedDomains", "Get-AcceptedDomain", func(string) map[string]any { return map[string]any{} }, true}
	getInbound  = cmdlet{"inbound", "Get-InboundConnector", func(string) map[string]any { return map[string]any{} }, true}
	getOutbound = cmdlet{"outbound", "Get-OutboundConnector", func(string) map[string]any { return map[string]any{} }, true}
	// Get-BlockedSenderAddress takes the sender's SMTP address, which
	// Get-Mailbox gives (it may differ from the UPN).
	getBlocked = cmdlet{"restricted", "Get-BlockedSenderAddress", func(address string) map[string]any { return map[string]any{"SenderAddress": address} }, true}
)

// MailboxConcurrency is Outlook's limit of concurrent requests per mailbox.
const MailboxConcurrency = 4

// orgAnchor routes cmdlets about the organisation, not a mailbox.
func orgAnchor(domain string) string {
	return "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@" + domain
}

// Read reads one mailbox in two waves: first the cmdlets whose answers
// name recipients (Get-Mailbox, inbox rules with the hidden ones, the
// permissions) and, beside them, the organisation's (accepted domains, the
// audit bypass, connectors in incident mode); then the rest of the mailbox
// (protocols, visible rules), the restricted users list, and Get-Recipient
// for the recipients the first wave named. Only a client that cannot be
// built fails it; a refused cmdlet is kept for its section's coverage.
func Read(ctx context.Context, opts Options, tenant snapshot.Tenant, upn string, incident bool) (*Reading, error) {
	client, err := NewClient(tenant.ID, opts)
	if err != nil {
		return nil, err
	}
	r := &Reading{upn: upn, results: map[string]cmdletResult{}, connectors: incident}
	anchor := orgAnchor(tenant.DefaultDomain)
	first := []cmdlet{getMailbox, getHidden, getFull, getSendAs, getAccepted, getBypass}
	if incident {
		first = append(first, getInbound, getOutbound)
	}
	r.run(ctx, client, anchor, first...)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.run(ctx, client, anchor, getCAS, getRules, getBlocked)
	}()
	accepted, _ := r.acceptedDomains()
	r.recipients = resolveRecipients(ctx, client, anchor, r.named(), nil, newDomainSet(accepted, tenant.Domains))
	wg.Wait()
	return r, nil
}

// Bulk is what a tenant scan read once for every mailbox: each mailbox's
// rows (nil when the list did not have it), the accepted domains, the
// restricted users list and the audit bypass list (nil when not read), the
// recipients that are not mailboxes, and why a list failed.
type Bulk struct {
	Mailbox, CAS  map[string]any
	Accepted      []snapshot.AcceptedDomain
	AcceptedErr   error
	SendAs        []map[string]any // the mailbox's rows of the tenant's Get-RecipientPermission
	SendAsErr     error
	Restricted    []map[string]any // the account's entries on the list
	BypassEnabled *bool
	Directory     *Directory
	RestrictedErr error
	BypassErr     error
}

// ReadMailbox reads one mailbox for a tenant scan: the three cmdlets that
// have no tenant-wide form (inbox rules, with and without hidden ones, and
// FullAccess), with the rows the scan read in bulk (the mailbox, its CAS
// settings, its SendAs grants, ...), and Get-Recipient for the recipients
// the tenant's lists do not settle. The client's Pace is the scan's
// Exchange budget.
func ReadMailbox(ctx context.Context, client *Client, tenant snapshot.Tenant, upn string, bulk Bulk) *Reading {
	r := &Reading{upn: upn, results: map[string]cmdletResult{}, accepted: bulk.Accepted}
	if bulk.AcceptedErr != nil {
		r.results["acceptedDomains"] = cmdletResult{err: bulk.AcceptedErr}
	}
	missing := func(cmdlet string, row map[string]any) cmdletResult {
		if row == nil {
			return cmdletResult{err: &Error{Cmdlet: cmdlet, Status: http.StatusNotFound, Message: upn + " is not in the tenant's list of mailboxes"}}
		}
		return cmdletResult{out: []map[string]any{row}}
	}
	r.results["mailbox"] = missing("Get-Mailbox", bulk.Mailbox)
	r.results["cas"] = missing("Get-CASMailbox", bulk.CAS)
	r.results["restricted"] = cmdletResult{out: bulk.Restricted, err: bulk.RestrictedErr}
	r.results["sendAs"] = cmdletResult{out: bulk.SendAs, err: bulk.SendAsErr}
	if bulk.BypassErr != nil {
		r.results["auditBypass"] = cmdletResult{err: bulk.BypassErr}
	} else {
		r.results["auditBypass"] = cmdletResult{out: []map[string]any{{"AuditBypassEnabled": deref(bulk.BypassEnabled)}}}
	}
	anchor := orgAnchor(tenant.DefaultDomain)
	r.run(ctx, client, anchor, getRules, getHidden, getFull)
	r.recipients = resolveRecipients(ctx, client, anchor, r.named(), bulk.Directory, newDomainSet(bulk.Accepted, tenant.Domains))
	return r
}

// run runs the cmdlets at once: those anchored on the mailbox four at a
// time, the organisation's beside them.
func (r *Reading) run(ctx context.Context, client *Client, orgAnchor string, cmdlets ...cmdlet) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, MailboxConcurrency)
	senderAddress := r.senderAddress()
	for _, c := range cmdlets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			anchor, arg := "UPN:"+r.upn, r.upn
			if c.org {
				anchor = orgAnchor
			} else {
				sem <- struct{}{}
				defer func() { <-sem }()
			}
			if c.key == "restricted" {
				arg = senderAddress
			}
			var res cmdletResult
			res.out, res.warnings, res.err = client.Invoke(ctx, anchor, c.name, c.params(arg))
			mu.Lock()
			r.results[c.key] = res
			mu.Unlock()
		}()
	}
	wg.Wait()
}

// senderAddress is the mailbox's primary SMTP address, once Get-Mailbox
// gave it, else the UPN.
func (r *Reading) senderAddress() string {
	if res := r.results["mailbox"]; res.err == nil && len(res.out) == 1 {
		if a := deref(str(res.out[0]["PrimarySmtpAddress"])); a != "" {
			return a
		}
	}
	return r.upn
}

// named lists every recipient and trustee the mailbox's answers name, as
// the snapshot will write them.
func (r *Reading) named() []string {
	var out []string
	if res := r.results["mailbox"]; res.err == nil && len(res.out) == 1 {
		m := res.out[0]
		for _, k := range []string{"ForwardingAddress", "ForwardingSmtpAddress"} {
			if v := deref(str(m[k])); v != "" {
				out = append(out, v)
			}
		}
		out = append(out, stringList(m["GrantSendOnBehalfTo"])...)
	}
	for _, rule := range r.results["rulesHidden"].out {
		for _, k := range []string{"ForwardTo", "RedirectTo", "ForwardAsAttachmentTo"} {
			out = append(out, recipients(rule[k])...)
		}
	}
	for _, p := range r.results["fullAccess"].out {
		out = append(out, fmt.Sprint(p["User"]))
	}
	for _, p := range r.results["sendAs"].out {
		out = append(out, fmt.Sprint(p["Trustee"]))
	}
	return out
}

// acceptedDomains are the tenant's accepted domains as Exchange listed
// them, and why they could not be had.
func (r *Reading) acceptedDomains() ([]snapshot.AcceptedDomain, error) {
	if len(r.accepted) > 0 {
		return r.accepted, nil
	}
	res, ok := r.results["acceptedDomains"]
	if !ok {
		return nil, nil
	}
	if res.err != nil {
		return nil, res.err
	}
	return AcceptedDomainsFromExchange(res.out), nil
}

// AcceptedDomainsFromExchange maps Get-AcceptedDomain's output.
func AcceptedDomainsFromExchange(rows []map[string]any) []snapshot.AcceptedDomain {
	out := []snapshot.AcceptedDomain{}
	for _, d := range rows {
		name := deref(str(d["DomainName"]))
		if name == "" {
			continue
		}
		out = append(out, snapshot.AcceptedDomain{DomainName: name, DomainType: deref(str(d["DomainType"])), MatchSubDomains: boolean(d["MatchSubDomains"])})
	}
	return out
}

// MergeInto writes the reading into the snapshot Graph collected, merging
// inbox rules and permissions with Graph's.
func (r *Reading) MergeInto(snap *snapshot.Snapshot) {
	upn := r.upn
	if snap.Mailbox == nil {
		snap.Mailbox = &snapshot.Mailbox{}
	}
	if !slices.Contains(snap.Source.Collectors, "exchange") {
		snap.Source.Collectors = append(snap.Source.Collectors, "exchange")
	}
	get := func(key string) ([]map[string]any, error) { res := r.results[key]; return res.out, res.err }

	accepted, acceptedErr := r.acceptedDomains()
	if len(accepted) > 0 {
		snap.Tenant.AcceptedDomains = accepted
	}

	mailbox, mbErr := get("mailbox")
	if mbErr == nil && len(mailbox) != 1 {
		mbErr = &Error{Cmdlet: "Get-Mailbox", Message: fmt.Sprintf("%d mailboxes match %s", len(mailbox), upn)}
	}
	if mbErr != nil {
		snap.Coverage["mailbox.forwarding"] = coverageFor(mbErr)
	} else {
		m := mailbox[0]
		snap.Mailbox.ForwardingSMTPAddress = str(m["ForwardingSmtpAddress"])
		snap.Mailbox.ForwardingAddress = str(m["ForwardingAddress"])
		snap.Mailbox.DeliverToMailboxAndForward = boolean(m["DeliverToMailboxAndForward"])
		snap.Coverage["mailbox.forwarding"] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	}

	if cas, err := get("cas"); err != nil {
		snap.Coverage["mailbox.protocols"] = coverageFor(err)
	} else if len(cas) != 1 {
		snap.Coverage["mailbox.protocols"] = snapshot.CoverageItem{Status: snapshot.StatusError, Detail: fmt.Sprintf("Get-CASMailbox returned %d objects", len(cas))}
	} else {
		snap.Mailbox.Protocols = protocols(cas[0])
		snap.Coverage["mailbox.protocols"] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	}

	visible, verr := get("rules")
	all, aerr := get("rulesHidden")
	if err := errors.Join(verr, aerr); err != nil {
		snap.Coverage["mailbox.inboxRules"] = coverageFor(firstError(verr, aerr))
	} else {
		mergeRules(visible, all, snap)
		snap.Coverage["mailbox.inboxRules"] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	}

	permErr := mbErr
	if permErr == nil {
		full, ferr := get("fullAccess")
		sendAs, serr := get("sendAs")
		if permErr = firstError(ferr, serr); permErr == nil {
			permissions(full, sendAs, mailbox[0], snap)
		}
	}
	switch graphPart := snap.Coverage["mailbox.permissions"]; {
	case permErr != nil:
		snap.Coverage["mailbox.permissions"] = coverageFor(permErr)
	case graphPart.Status == snapshot.StatusCollected || graphPart.Status == snapshot.StatusSkipped || graphPart.Status == "":
		// Graph's calendar delegates (skipped only because they were
		// partial) plus Exchange's grants make the section whole.
		snap.Coverage["mailbox.permissions"] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	default:
		graphPart.Detail = "calendar delegates: " + graphPart.Detail
		snap.Coverage["mailbox.permissions"] = graphPart
	}

	// Auditing: AuditEnabled is the mailbox's, the bypass the account's.
	bypass, bypassErr := get("auditBypass")
	switch {
	case firstError(mbErr, bypassErr) != nil:
		snap.Coverage["mailbox.audit"] = coverageFor(firstError(mbErr, bypassErr))
	default:
		audit := &snapshot.MailboxAudit{AuditEnabled: boolean(mailbox[0]["AuditEnabled"])}
		for _, b := range bypass {
			if v := boolean(b["AuditBypassEnabled"]); v != nil && (audit.AuditBypassEnabled == nil || *v) {
				audit.AuditBypassEnabled = v
			}
		}
		if len(bypass) == 0 {
			// No association: nothing exempts the account.
			audit.AuditBypassEnabled = new(bool)
		}
		snap.Mailbox.Audit = audit
		snap.Coverage["mailbox.audit"] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	}

	if entries, err := get("restricted"); err != nil {
		snap.Coverage["mailbox.restricted"] = coverageFor(err)
	} else {
		snap.Mailbox.Restricted = RestrictionFromExchange(entries)
		snap.Coverage["mailbox.restricted"] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	}

	if r.connectors {
		inbound, ierr := get("inbound")
		outbound, oerr := get("outbound")
		if err := firstError(ierr, oerr); err != nil {
			snap.Coverage["connectors"] = coverageFor(err)
		} else {
			snap.Connectors = &snapshot.Connectors{Inbound: ConnectorsFromExchange(inbound), Outbound: ConnectorsFromExchange(outbound)}
			snap.Coverage["connectors"] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
		}
	} else {
		snap.Coverage["connectors"] = snapshot.CoverageItem{Status: snapshot.StatusSkipped,
			Detail: "tenant-wide: read into an incident snapshot, and by collect --tenant into the tenant document"}
	}

	if len(r.recipients) > 0 {
		if snap.Recipients == nil {
			snap.Recipients = map[string]snapshot.Recipient{}
		}
		for v, rec := range r.recipients {
			snap.Recipients[v] = rec
		}
	}

	// Warnings Exchange attaches to a cmdlet's output, and a fallback the
	// judging of recipients had to take, are kept in the detail of the
	// sections they touch.
	notes := map[string][]string{}
	for section, cmdlets := range map[string][]cmdlet{
		"mailbox.forwarding":  {getMailbox},
		"mailbox.protocols":   {getCAS},
		"mailbox.inboxRules":  {getRules, getHidden},
		"mailbox.permissions": {getFull, getSendAs},
		"mailbox.audit":       {getBypass},
		"mailbox.restricted":  {getBlocked},
		"connectors":          {getInbound, getOutbound},
	} {
		for _, c := range cmdlets {
			for _, w := range r.results[c.key].warnings {
				notes[section] = append(notes[section], c.name+": "+w)
			}
		}
	}
	if acceptedErr != nil {
		for _, section := range []string{"mailbox.forwarding", "mailbox.inboxRules", "mailbox.permissions"} {
			notes[section] = append(notes[section], "the accepted domains could not be read ("+oneLine(acceptedErr)+"): Graph's verified domains stand in")
		}
	}
	for section, list := range notes {
		if c := snap.Coverage[section]; c.Status == snapshot.StatusCollected {
			sort.Strings(list)
			c.Detail = "Exchange warned: " + strings.Join(list, "; ")
			snap.Coverage[section] = c
		}
	}
}

// RestrictionFromExchange maps the account's Get-BlockedSenderAddress
// entries: none means it may send.
func RestrictionFromExchange(entries []map[string]any) *snapshot.SendingRestriction {
	if len(entries) == 0 {
		return &snapshot.SendingRestriction{Blocked: false}
	}
	e := entries[0]
	return &snapshot.SendingRestriction{Blocked: true, Reason: nonEmpty(str(e["Reason"])), Temporary: boolean(e["TemporaryBlock"]),
		CreatedDateTime: exchangeTime(e["CreatedDatetime"]), ChangedDateTime: exchangeTime(e["ChangedDatetime"])}
}

// ConnectorsFromExchange maps Get-InboundConnector or Get-OutboundConnector.
func ConnectorsFromExchange(rows []map[string]any) []snapshot.Connector {
	out := []snapshot.Connector{}
	for _, c := range rows {
		out = append(out, snapshot.Connector{
			Name: fmt.Sprint(c["Name"]), Enabled: boolean(c["Enabled"]), ConnectorType: deref(str(c["ConnectorType"])),
			RecipientDomains: stringList(c["RecipientDomains"]), SmartHosts: stringList(c["SmartHosts"]), UseMXRecord: boolean(c["UseMXRecord"]),
			SenderDomains: stringList(c["SenderDomains"]), SenderIPAddresses: stringList(c["SenderIPAddresses"]),
			WhenCreated: exchangeTime(firstPresent(c, "WhenCreatedUTC", "WhenCreated")), WhenChanged: exchangeTime(firstPresent(c, "WhenChangedUTC", "WhenChanged")),
		})
	}
	return out
}

func firstPresent(row map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := row[k]; ok && v != nil {
			return v
		}
	}
	return nil
}

// exchangeTime reads a time as the admin API writes it: RFC 3339, with or
// without a zone (UTC), or /Date(ms)/. Anything else is null.
func exchangeTime(v any) *time.Time {
	s, ok := v.(string)
	if !ok || s == "" {
		return nil
	}
	if strings.HasPrefix(s, "/Date(") {
		ms, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(s, "/Date("), ")/"), 10, 64)
		if err != nil {
			return nil
		}
		t := time.UnixMilli(ms).UTC()
		return &t
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t
		}
	}
	return nil
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func coverageFor(err error) snapshot.CoverageItem {
	var e *Error
	if errors.As(err, &e) {
		switch e.Status {
		case http.StatusForbidden:
			return snapshot.CoverageItem{Status: snapshot.StatusForbidden, Detail: fmt.Sprintf("Exchange Online refused %s: %s", e.Cmdlet, RoleHint)}
		case http.StatusUnauthorized:
			return snapshot.CoverageItem{Status: snapshot.StatusForbidden, Detail: fmt.Sprintf("Exchange Online refused the token for %s: it must be issued for the Exchange resource (%s)", e.Cmdlet, "https://outlook.office365.com/.default")}
		case http.StatusNotFound:
			return snapshot.CoverageItem{Status: snapshot.StatusNotFound, Detail: e.Error()}
		}
	}
	return snapshot.CoverageItem{Status: snapshot.StatusError, Detail: err.Error()}
}

func protocols(cas map[string]any) *snapshot.Protocols {
	p := &snapshot.Protocols{
		IMAP: boolean(cas["ImapEnabled"]), POP: boolean(cas["PopEnabled"]), ActiveSync: boolean(cas["ActiveSyncEnabled"]),
		EWS: boolean(cas["EwsEnabled"]), MAPI: boolean(cas["MAPIEnabled"]), OWA: boolean(cas["OWAEnabled"]),
	}
	// SmtpClientAuthenticationDisabled: null follows the organisation.
	if disabled := boolean(cas["SmtpClientAuthenticationDisabled"]); disabled != nil {
		enabled := !*disabled
		p.SMTPAuth = &enabled
	}
	return p
}

// mergeRules takes the inbox rules listed without and with -IncludeHidden,
// tells the hidden ones, and merges them with the rules Graph listed: one
// entry per rule, its source graph, exchange or both.
func mergeRules(visible, all []map[string]any, snap *snapshot.Snapshot) {
	shown := map[string]bool{}
	for _, r := range visible {
		shown[fmt.Sprint(r["RuleIdentity"])] = true
	}
	graphRules := snap.Mailbox.InboxRules
	merged := make([]snapshot.InboxRule, 0, len(all))
	used := map[int]bool{}
	for _, r := range all {
		rule := rule(r)
		rule.Hidden = !shown[fmt.Sprint(r["RuleIdentity"])]
		rule.Source = "exchange"
		for i, g := range graphRules {
			if !used[i] && g.Name == rule.Name {
				used[i] = true
				rule.ID, rule.Source = g.ID, "both"
				if rule.CreatedDateTime == nil {
					rule.CreatedDateTime = g.CreatedDateTime
				}
				break
			}
		}
		merged = append(merged, rule)
	}
	// A rule Graph saw that Exchange did not list is kept, not lost.
	for i, g := range graphRules {
		if !used[i] {
			merged = append(merged, g)
		}
	}
	snap.Mailbox.InboxRules = merged
}

func rule(r map[string]any) snapshot.InboxRule {
	rule := snapshot.InboxRule{
		ID:   fmt.Sprint(r["RuleIdentity"]),
		Name: fmt.Sprint(r["Name"]),
		// A rule whose state Exchange did not send is taken as enabled: a
		// rule is never assumed harmless for lack of a field.
		Enabled:    boolean(r["Enabled"]) == nil || *boolean(r["Enabled"]),
		Conditions: map[string]any{},
		Actions: snapshot.RuleActions{
			ForwardTo:             recipients(r["ForwardTo"]),
			RedirectTo:            recipients(r["RedirectTo"]),
			ForwardAsAttachmentTo: recipients(r["ForwardAsAttachmentTo"]),
			Delete:                deref(boolean(r["DeleteMessage"])) || deref(boolean(r["SoftDeleteMessage"])),
			MarkAsRead:            deref(boolean(r["MarkAsRead"])),
			StopProcessingRules:   deref(boolean(r["StopProcessingRules"])),
		},
	}
	if folder := str(r["MoveToFolder"]); folder != nil && *folder != "" {
		// Exchange may write "mailbox:\Inbox\RSS Subscriptions"; the folder's
		// own name is what matters.
		name := (*folder)[strings.LastIndexAny(*folder, `\/`)+1:]
		rule.Actions.MoveToFolder = &name
	}
	for exchangeName, key := range map[string]string{
		"SubjectContainsWords": "subjectContains", "BodyContainsWords": "bodyContains",
		"SubjectOrBodyContainsWords": "bodyOrSubjectContains", "FromAddressContainsWords": "senderContains",
		"From": "fromAddresses", "SentTo": "sentToAddresses",
	} {
		if words := stringList(r[exchangeName]); len(words) > 0 {
			if key == "fromAddresses" || key == "sentToAddresses" {
				words = recipients(r[exchangeName])
			}
			rule.Conditions[key] = words
		}
	}
	return rule
}

// permissions adds FullAccess, SendAs and SendOnBehalf grants, leaving out
// the mailbox's own SELF entries and inherited ones.
func permissions(full, sendAs []map[string]any, mailbox map[string]any, snap *snapshot.Snapshot) {
	add := func(trustee string, rights []string) {
		if trustee == "" || strings.HasPrefix(strings.ToUpper(trustee), `NT AUTHORITY\`) || len(rights) == 0 {
			return
		}
		snap.Mailbox.Permissions = append(snap.Mailbox.Permissions, snapshot.Permission{Trustee: trustee, AccessRights: rights})
	}
	for _, p := range full {
		if deref(boolean(p["IsInherited"])) || deref(boolean(p["Deny"])) {
			continue
		}
		add(fmt.Sprint(p["User"]), rights(p["AccessRights"]))
	}
	for _, p := range sendAs {
		if deref(boolean(p["IsInherited"])) || fmt.Sprint(p["AccessControlType"]) == "Deny" {
			continue
		}
		add(fmt.Sprint(p["Trustee"]), rights(p["AccessRights"]))
	}
	for _, delegate := range stringList(mailbox["GrantSendOnBehalfTo"]) {
		add(delegate, []string{"SendOnBehalf"})
	}
}

// rights lists access rights one by one, whether Exchange sent them as a
// list or as one "FullAccess, ReadPermission" string.
func rights(v any) []string {
	var out []string
	for _, r := range stringList(v) {
		for _, part := range strings.Split(r, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// recipients turns Exchange's `"Name" [SMTP:x@y]` and `SMTP:x@y` forms
// into plain addresses; anything without an address is kept as written.
func recipients(v any) []string {
	out := []string{}
	for _, s := range stringList(v) {
		addr := s
		if i := strings.LastIndex(s, "SMTP:"); i >= 0 {
			addr = strings.TrimRight(s[i+5:], "]")
		} else if i := strings.LastIndex(s, "smtp:"); i >= 0 {
			addr = strings.TrimRight(s[i+5:], "]")
		}
		out = append(out, strings.TrimSpace(addr))
	}
	return out
}

func stringList(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, it := range items {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func str(v any) *string {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	return &s
}

func boolean(v any) *bool {
	b, ok := v.(bool)
	if !ok {
		return nil
	}
	return &b
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
