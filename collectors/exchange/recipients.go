package exchange

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/closeout-dev/closeout/snapshot"
)

// Exchange names a recipient in several forms: an SMTP address, `"Eve"
// [EX:/o=ExchangeLabs/…/cn=Recipients/cn=…]` for one picked from the address
// book, a legacy DN alone, a display name (GrantSendOnBehalfTo), a user
// principal name (FullAccess and SendAs trustees). Only Exchange can say
// what such a name is: a mailbox or group of the tenant, or a mail contact,
// mail user or guest whose mail goes elsewhere. closeout asks it
// (Get-Recipient), keeps what it said in the snapshot's recipients, and
// lets the policies' one placement function judge.

// recipientRef is one recipient as the snapshot writes it, and what
// Exchange can be asked about it.
type recipientRef struct {
	value    string
	smtp     string // an SMTP address or UPN, lower-cased
	legacyDN string // /o=…, lower-cased
	name     string // a display name, lower-cased
}

func parseRecipient(value string) recipientRef {
	r := recipientRef{value: value}
	v := strings.TrimSpace(value)
	if i := strings.LastIndex(v, "["); i > 0 && strings.HasSuffix(v, "]") {
		// `"Name" [TYPE:address]`: the address, else the name.
		r.name = strings.ToLower(strings.TrimSpace(strings.Trim(strings.TrimSpace(v[:i]), `"`)))
		v = v[i+1 : len(v)-1]
	}
	lower := strings.ToLower(v)
	switch {
	case strings.HasPrefix(lower, "ex:"), strings.HasPrefix(lower, "x500:"):
		_, dn, _ := strings.Cut(lower, ":")
		r.legacyDN = dn
	case strings.HasPrefix(lower, "/o="):
		r.legacyDN = lower
	case strings.HasPrefix(lower, "smtp:"):
		r.smtp = strings.TrimPrefix(lower, "smtp:")
	case strings.Contains(lower, "@") && !strings.ContainsAny(lower, " <>"):
		r.smtp = lower
	case r.name == "":
		r.name = lower
	}
	return r
}

// domain is the domain of the reference's address, if it has one.
func (r recipientRef) domain() string {
	if _, d, ok := strings.Cut(r.smtp, "@"); ok {
		return strings.TrimRight(d, ".")
	}
	return ""
}

var sidForm = regexp.MustCompile(`^S-1-5-21(-[0-9]+)+$`)

// domainSet is what the collector knows of the domains the tenant accepts
// mail for, to decide what Exchange need not be asked. (The verdict is the
// policies' placement; this only saves questions whose answer cannot
// change it.)
type domainSet struct {
	types    map[string]string // domain → Authoritative, InternalRelay, ExternalRelay
	matchSub map[string]bool
}

// newDomainSet reads Exchange's accepted domains, or Graph's verified
// domains (as Authoritative) when Exchange's are not known.
func newDomainSet(accepted []snapshot.AcceptedDomain, verified []string) *domainSet {
	d := &domainSet{types: map[string]string{}, matchSub: map[string]bool{}}
	for _, a := range accepted {
		name := strings.ToLower(a.DomainName)
		d.types[name] = a.DomainType
		d.matchSub[name] = deref(a.MatchSubDomains)
	}
	if len(accepted) == 0 {
		for _, v := range verified {
			d.types[strings.ToLower(v)] = "Authoritative"
		}
	}
	return d
}

// typeOf is an accepted domain's type, the domain's own or a parent's that
// matches its subdomains; ok is false for a domain the tenant does not accept.
func (d *domainSet) typeOf(domain string) (string, bool) {
	if d == nil {
		return "", false
	}
	if t, ok := d.types[domain]; ok {
		return t, true
	}
	for name, t := range d.types {
		if d.matchSub[name] && strings.HasSuffix(domain, "."+name) {
			return t, true
		}
	}
	return "", false
}

// decided says whether the placement of a value follows from its form,
// so that Exchange need not be asked: a guest's UPN, Windows' own
// principals, a deleted account's SID, an address in a domain the tenant
// does not accept.
func decided(ref recipientRef, domains *domainSet) bool {
	v := strings.TrimSpace(ref.value)
	switch {
	case strings.Contains(strings.ToUpper(v), "#EXT#@"),
		strings.HasPrefix(strings.ToUpper(v), `NT AUTHORITY\`),
		sidForm.MatchString(v),
		ref.smtp == "" && ref.legacyDN == "" && ref.name == "":
		return true
	case ref.smtp != "" && domains != nil:
		_, accepted := domains.typeOf(ref.domain())
		return !accepted
	}
	return false
}

// Directory indexes recipients Exchange listed by every name a snapshot
// may give them: addresses (primary, proxies, UPN), legacy DNs (and X500
// proxies), names and display names.
type Directory struct {
	mu         sync.RWMutex
	resolvedBy string
	by         map[string][]int32
	recipients []snapshot.Recipient
}

// NewDirectory is an empty directory whose answers say they came from
// resolvedBy.
func NewDirectory(resolvedBy string) *Directory {
	return &Directory{resolvedBy: resolvedBy, by: map[string][]int32{}}
}

// Len is how many recipients the directory holds.
func (d *Directory) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.recipients)
}

// Add indexes one recipient as Get-Recipient or Get-Mailbox wrote it.
func (d *Directory) Add(row map[string]any) {
	rec := RecipientFromExchange(row, d.resolvedBy)
	var keys []string
	addKey := func(kind, v string) {
		if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
			keys = append(keys, kind+v)
		}
	}
	for _, k := range []string{"PrimarySmtpAddress", "WindowsLiveID", "UserPrincipalName"} {
		addKey("smtp:", fmt.Sprint(deref(str(row[k]))))
	}
	for _, proxy := range stringList(row["EmailAddresses"]) {
		prefix, addr, ok := strings.Cut(proxy, ":")
		switch {
		case ok && strings.EqualFold(prefix, "smtp"):
			addKey("smtp:", addr)
		case ok && strings.EqualFold(prefix, "x500"):
			addKey("dn:", addr)
		}
	}
	addKey("dn:", deref(str(row["LegacyExchangeDN"])))
	for _, k := range []string{"Name", "DisplayName", "Alias"} {
		addKey("name:", deref(str(row[k])))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	i := int32(len(d.recipients))
	d.recipients = append(d.recipients, rec)
	for _, k := range keys {
		if list := d.by[k]; len(list) == 0 || list[len(list)-1] != i {
			d.by[k] = append(list, i)
		}
	}
}

// lookup finds what the directory holds for a reference: by legacy DN,
// else address, else name. found is false when it holds nothing.
func (d *Directory) lookup(ref recipientRef) (rec snapshot.Recipient, found bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var hits []int32
	for _, key := range []string{"dn:" + ref.legacyDN, "smtp:" + ref.smtp, "name:" + ref.name} {
		if !strings.HasSuffix(key, ":") {
			if hits = d.by[key]; len(hits) > 0 {
				break
			}
		}
	}
	switch len(hits) {
	case 0:
		return snapshot.Recipient{}, false
	case 1:
		return d.recipients[hits[0]], true
	}
	return snapshot.Recipient{Status: snapshot.RecipientAmbiguous, ResolvedBy: d.resolvedBy,
		Detail: fmt.Sprintf("%d recipients answer to it", len(hits))}, true
}

// RecipientFromExchange maps one recipient row (Get-Recipient, Get-Mailbox)
// into what the snapshot keeps of it: the one mapping for both paths.
func RecipientFromExchange(row map[string]any, resolvedBy string) snapshot.Recipient {
	rec := snapshot.Recipient{Status: snapshot.RecipientResolved, ResolvedBy: resolvedBy,
		RecipientTypeDetails: nonEmpty(str(row["RecipientTypeDetails"])), DisplayName: nonEmpty(str(row["DisplayName"])),
		PrimarySMTPAddress: nonEmpty(str(row["PrimarySmtpAddress"])), ExternalEmailAddress: nonEmpty(str(row["ExternalEmailAddress"]))}
	return rec
}

func nonEmpty(s *string) *string {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil
	}
	return s
}

// maxFilterTerms bounds the recipients one Get-Recipient asks about.
const maxFilterTerms = 20

// maxResolved bounds the recipients resolved for one mailbox: an attacker
// cannot make closeout send a thousand cmdlets by writing a thousand
// recipients; past it, a recipient is unknown (never inside).
const maxResolved = 200

// recipientFilter is the OPATH filter asking Exchange for the references.
func recipientFilter(refs []recipientRef) string {
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	var terms []string
	for _, r := range refs {
		switch {
		case r.legacyDN != "":
			terms = append(terms, "(LegacyExchangeDN -eq "+quote(r.legacyDN)+")", "(EmailAddresses -eq "+quote("X500:"+r.legacyDN)+")")
		case r.smtp != "":
			terms = append(terms, "(EmailAddresses -eq "+quote("smtp:"+r.smtp)+")", "(WindowsLiveID -eq "+quote(r.smtp)+")")
		case r.name != "":
			terms = append(terms, "(Name -eq "+quote(r.name)+")", "(DisplayName -eq "+quote(r.name)+")")
		}
	}
	return strings.Join(terms, " -or ")
}

// resolveRecipients asks Exchange about each value the directory (if any)
// does not hold and whose placement its form does not decide, a
// Get-Recipient per maxFilterTerms values, and returns a record per value
// it knows something of.
func resolveRecipients(ctx context.Context, client *Client, anchor string, values []string, dir *Directory,
	domains *domainSet) map[string]snapshot.Recipient {
	out := map[string]snapshot.Recipient{}
	var ask []recipientRef
	seen := map[string]bool{}
	for _, v := range values {
		if seen[v] {
			continue
		}
		seen[v] = true
		ref := parseRecipient(v)
		if decided(ref, domains) {
			continue
		}
		if dir != nil {
			if rec, ok := dir.lookup(ref); ok {
				out[v] = rec
				continue
			}
			// A tenant directory of every recipient but the mailboxes
			// answers for an address in an Authoritative domain: it is a
			// mailbox or nobody, and mail to it stays inside either way.
			if t, _ := domains.typeOf(ref.domain()); ref.smtp != "" && t == "Authoritative" {
				continue
			}
		}
		ask = append(ask, ref)
	}
	sort.Slice(ask, func(i, j int) bool { return ask[i].value < ask[j].value })
	if len(ask) > maxResolved {
		for _, ref := range ask[maxResolved:] {
			out[ref.value] = snapshot.Recipient{Status: snapshot.RecipientError, ResolvedBy: "Get-Recipient",
				Detail: fmt.Sprintf("not asked: the mailbox names more than %d recipients", maxResolved)}
		}
		ask = ask[:maxResolved]
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, MailboxConcurrency)
	for start := 0; start < len(ask); start += maxFilterTerms {
		chunk := ask[start:min(start+maxFilterTerms, len(ask))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			answers := askExchange(ctx, client, anchor, chunk)
			mu.Lock()
			for v, rec := range answers {
				out[v] = rec
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// askExchange runs one Get-Recipient for the references and matches its
// answer back to each.
func askExchange(ctx context.Context, client *Client, anchor string, refs []recipientRef) map[string]snapshot.Recipient {
	out := make(map[string]snapshot.Recipient, len(refs))
	rows, _, err := client.Invoke(ctx, anchor, "Get-Recipient", map[string]any{"Filter": recipientFilter(refs), "ResultSize": "Unlimited"})
	if err != nil {
		for _, ref := range refs {
			out[ref.value] = snapshot.Recipient{Status: snapshot.RecipientError, ResolvedBy: "Get-Recipient", Detail: err.Error()}
		}
		return out
	}
	dir := NewDirectory("Get-Recipient")
	for _, row := range rows {
		dir.Add(row)
	}
	for _, ref := range refs {
		rec, ok := dir.lookup(ref)
		if !ok {
			rec = snapshot.Recipient{Status: snapshot.RecipientNotFound, ResolvedBy: "Get-Recipient"}
		}
		out[ref.value] = rec
	}
	return out
}
