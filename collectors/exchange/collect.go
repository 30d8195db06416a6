package exchange

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/closeout-dev/closeout/snapshot"
)

// RoleHint is what to grant when Exchange refuses the app.
const RoleHint = "give the app the Exchange.ManageAsApp permission and assign it the Exchange role View-Only Recipients (View-Only Configuration for tenant settings)"

// Collect adds the Exchange-only mailbox sections to a snapshot the Graph
// collector made (it needs the tenant id and the UPN): forwarding,
// protocols, inbox rules with the hidden ones merged into Graph's, and
// mailbox permissions beside Graph's calendar delegates. A cmdlet Exchange
// refuses is recorded in coverage; it never fails the collection.
func Collect(ctx context.Context, opts Options, snap *snapshot.Snapshot) error {
	client, err := NewClient(snap.Tenant.ID, opts)
	if err != nil {
		return err
	}
	upn := snap.User.UserPrincipalName
	anchor := "UPN:" + upn
	if snap.Mailbox == nil {
		snap.Mailbox = &snapshot.Mailbox{}
	}
	if !slices.Contains(snap.Source.Collectors, "exchange") {
		snap.Source.Collectors = append(snap.Source.Collectors, "exchange")
	}
	// Warnings Exchange attaches to a cmdlet's output are kept in the
	// detail of the section it fed.
	warned := map[string][]string{}
	run := func(cmdlet string, params map[string]any) ([]map[string]any, error) {
		out, warnings, err := client.Invoke(ctx, anchor, cmdlet, params)
		warned[cmdlet] = append(warned[cmdlet], warnings...)
		return out, err
	}

	mailbox, mbErr := run("Get-Mailbox", map[string]any{"Identity": upn})
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

	if cas, err := run("Get-CASMailbox", map[string]any{"Identity": upn}); err != nil {
		snap.Coverage["mailbox.protocols"] = coverageFor(err)
	} else if len(cas) != 1 {
		snap.Coverage["mailbox.protocols"] = snapshot.CoverageItem{Status: snapshot.StatusError, Detail: fmt.Sprintf("Get-CASMailbox returned %d objects", len(cas))}
	} else {
		snap.Mailbox.Protocols = protocols(cas[0])
		snap.Coverage["mailbox.protocols"] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	}

	if err := rules(run, upn, snap); err != nil {
		snap.Coverage["mailbox.inboxRules"] = coverageFor(err)
	} else {
		snap.Coverage["mailbox.inboxRules"] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	}

	permErr := mbErr
	if permErr == nil {
		permErr = permissions(run, upn, mailbox[0], snap)
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
	for section, cmdlets := range map[string][]string{
		"mailbox.forwarding":  {"Get-Mailbox"},
		"mailbox.protocols":   {"Get-CASMailbox"},
		"mailbox.inboxRules":  {"Get-InboxRule"},
		"mailbox.permissions": {"Get-MailboxPermission", "Get-RecipientPermission"},
	} {
		var notes []string
		for _, c := range cmdlets {
			for _, w := range warned[c] {
				notes = append(notes, c+": "+w)
			}
		}
		if c := snap.Coverage[section]; len(notes) > 0 && c.Status == snapshot.StatusCollected {
			c.Detail = "Exchange warned: " + strings.Join(notes, "; ")
			snap.Coverage[section] = c
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

// rules reads the inbox rules twice, without and with -IncludeHidden, to
// tell the hidden ones, and merges them with the rules Graph listed: one
// entry per rule, its source graph, exchange or both.
func rules(run func(string, map[string]any) ([]map[string]any, error), upn string, snap *snapshot.Snapshot) error {
	visible, err := run("Get-InboxRule", map[string]any{"Mailbox": upn})
	if err != nil {
		return err
	}
	all, err := run("Get-InboxRule", map[string]any{"Mailbox": upn, "IncludeHidden": true})
	if err != nil {
		return err
	}
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
	return nil
}

func rule(r map[string]any) snapshot.InboxRule {
	rule := snapshot.InboxRule{
		ID:         fmt.Sprint(r["RuleIdentity"]),
		Name:       fmt.Sprint(r["Name"]),
		Enabled:    deref(boolean(r["Enabled"])),
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

// permissions reads FullAccess, SendAs and SendOnBehalf grants, leaving out
// the mailbox's own SELF entries and inherited ones.
func permissions(run func(string, map[string]any) ([]map[string]any, error), upn string, mailbox map[string]any, snap *snapshot.Snapshot) error {
	full, err := run("Get-MailboxPermission", map[string]any{"Identity": upn})
	if err != nil {
		return err
	}
	sendAs, err := run("Get-RecipientPermission", map[string]any{"Identity": upn})
	if err != nil {
		return err
	}
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
	return nil
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
