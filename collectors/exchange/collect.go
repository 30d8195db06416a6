package exchange

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/closeout-dev/closeout/snapshot"
)

// Permissions are what the exchange collector needs, per group of sections.
var Permissions = []struct{ Sections, Permission, Role string }{
	{"mailbox.forwarding, mailbox.protocols, mailbox.inboxRules, mailbox.permissions", "Exchange.ManageAsApp", "View-Only Recipients"},
	{"exchange.* (tenant settings)", "Exchange.ManageAsApp", "View-Only Configuration"},
}

// RoleHint is what to grant when Exchange refuses the app.
const RoleHint = "give the app the Exchange.ManageAsApp permission and assign it the Exchange role View-Only Recipients (View-Only Configuration for tenant settings)"

// Collect adds the Exchange-only mailbox sections to a snapshot the Graph
// collector made (it needs the tenant id and the UPN): forwarding,
// protocols, inbox rules with the hidden ones merged into Graph's, and
// mailbox permissions beside Graph's calendar delegates. A cmdlet Exchange
// refuses is recorded in coverage; it never fails the collection.
func Collect(ctx context.Context, opts Options, snap *snapshot.Snapshot) error {
	r, err := Read(ctx, opts, snap.Tenant.ID, snap.User.UserPrincipalName)
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
}

type cmdletResult struct {
	out      []map[string]any
	warnings []string
	err      error
}

// The cmdlets one mailbox needs. Get-InboxRule runs twice: the hidden rules
// are the difference.
var mailboxCmdlets = []struct {
	key, cmdlet string
	params      func(upn string) map[string]any
}{
	{"mailbox", "Get-Mailbox", func(upn string) map[string]any { return map[string]any{"Identity": upn} }},
	{"cas", "Get-CASMailbox", func(upn string) map[string]any { return map[string]any{"Identity": upn} }},
	{"rules", "Get-InboxRule", func(upn string) map[string]any { return map[string]any{"Mailbox": upn} }},
	{"rulesHidden", "Get-InboxRule", func(upn string) map[string]any { return map[string]any{"Mailbox": upn, "IncludeHidden": true} }},
	{"fullAccess", "Get-MailboxPermission", func(upn string) map[string]any { return map[string]any{"Identity": upn} }},
	{"sendAs", "Get-RecipientPermission", func(upn string) map[string]any { return map[string]any{"Identity": upn} }},
}

// MailboxConcurrency is Outlook's limit of concurrent requests per mailbox.
const MailboxConcurrency = 4

// Read runs the mailbox's cmdlets, at most four at a time (Outlook's limit
// per mailbox). Only a client that cannot be built fails it; a refused
// cmdlet is kept for its section's coverage.
func Read(ctx context.Context, opts Options, tenantID, upn string) (*Reading, error) {
	client, err := NewClient(tenantID, opts)
	if err != nil {
		return nil, err
	}
	r := &Reading{upn: upn, results: map[string]cmdletResult{}}
	r.run(ctx, client, nil, func(string) bool { return true })
	return r, nil
}

// ReadMailbox reads one mailbox for a tenant scan: the cmdlets that have
// no bulk form (inbox rules, with and without hidden ones, and the
// permissions), with the mailbox's rows from the bulk Get-Mailbox and
// Get-CASMailbox (nil when the bulk list did not have it). wait, when set,
// is called before each cmdlet: the scan's Exchange budget.
func ReadMailbox(ctx context.Context, client *Client, upn string, mailboxRow, casRow map[string]any, wait func(context.Context) error) *Reading {
	r := &Reading{upn: upn, results: map[string]cmdletResult{}}
	bulk := func(cmdlet string, row map[string]any) cmdletResult {
		if row == nil {
			return cmdletResult{err: &Error{Cmdlet: cmdlet, Status: http.StatusNotFound, Message: upn + " is not in the tenant's list of mailboxes"}}
		}
		return cmdletResult{out: []map[string]any{row}}
	}
	r.results["mailbox"] = bulk("Get-Mailbox", mailboxRow)
	r.results["cas"] = bulk("Get-CASMailbox", casRow)
	r.run(ctx, client, wait, func(key string) bool { return key != "mailbox" && key != "cas" })
	return r
}

// run runs the mailbox's cmdlets that want says, four at a time.
func (r *Reading) run(ctx context.Context, client *Client, wait func(context.Context) error, want func(key string) bool) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, MailboxConcurrency)
	for _, c := range mailboxCmdlets {
		if !want(c.key) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var res cmdletResult
			if wait != nil {
				res.err = wait(ctx)
			}
			if res.err == nil {
				res.out, res.warnings, res.err = client.Invoke(ctx, "UPN:"+r.upn, c.cmdlet, c.params(r.upn))
			}
			mu.Lock()
			r.results[c.key] = res
			mu.Unlock()
		}()
	}
	wg.Wait()
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
	// Warnings Exchange attaches to a cmdlet's output are kept in the
	// detail of the section it fed.
	for section, keys := range map[string][]string{
		"mailbox.forwarding":  {"mailbox"},
		"mailbox.protocols":   {"cas"},
		"mailbox.inboxRules":  {"rules", "rulesHidden"},
		"mailbox.permissions": {"fullAccess", "sendAs"},
	} {
		var notes []string
		for _, key := range keys {
			for _, c := range mailboxCmdlets {
				if c.key == key {
					for _, w := range r.results[key].warnings {
						notes = append(notes, c.cmdlet+": "+w)
					}
				}
			}
		}
		if c := snap.Coverage[section]; len(notes) > 0 && c.Status == snapshot.StatusCollected {
			c.Detail = "Exchange warned: " + strings.Join(notes, "; ")
			snap.Coverage[section] = c
		}
	}
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
