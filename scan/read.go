package scan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/closeout-dev/closeout/collectors/exchange"
	"github.com/closeout-dev/closeout/collectors/graph"
	"github.com/closeout-dev/closeout/snapshot"
)

// spendGraph charges Graph reads to their budgets, as Microsoft counts
// them: Identity Protection by request, Outlook's mailbox reads to none of
// the identity units, everything else in identity resource units (users
// and grants 2, $select takes one off users; other reads 1).
func (s *scanner) spendGraph(ctx context.Context, paths []string) error {
	units, protection, reports := 0, 0, 0
	for _, p := range paths {
		kind, n := graphCost(p)
		s.requests[kind].Add(1)
		switch kind {
		case "identityProtection":
			protection += n
		case "reports":
			reports += n
		case "identity":
			units += n
		}
	}
	if err := s.protectionB.spend(ctx, protection); err != nil {
		return err
	}
	if err := s.reportsB.spend(ctx, reports); err != nil {
		return err
	}
	return s.identityB.spend(ctx, units)
}

// graphCost is the budget a Graph read is charged to and what it costs.
func graphCost(path string) (string, int) {
	switch {
	case strings.Contains(path, "/identityProtection/"):
		return "identityProtection", 1
	case strings.Contains(path, "/reports/") || strings.Contains(path, "/auditLogs/"):
		return "reports", 1
	case strings.Contains(path, "/calendar/") || strings.Contains(path, "/mailFolders") || strings.Contains(path, "/mailboxSettings"):
		return "outlook", 0
	case strings.HasSuffix(path, "/users"):
		return "identity", 1 // 2, less 1 for $select
	case strings.Contains(path, "oauth2PermissionGrants"):
		return "identity", 2
	}
	return "identity", 1
}

// usedGraph takes in what Graph said of an identity read's cost and of
// the budget left.
func (s *scanner) usedGraph(u graph.Usage) {
	kind, paced := graphCost(u.Path)
	if kind != "identity" {
		return
	}
	s.identityB.charged(u.ResourceUnits, paced)
	s.identityB.near(u.LimitShare)
}

// throttledGraph pauses and slows the budget a throttled Graph read was
// charged to: Identity Protection's, or the identity units (which a whole
// $batch and Outlook's reads also slow).
func (s *scanner) throttledGraph(path string, retryAfter time.Duration) {
	if strings.Contains(path, "/identityProtection/") {
		s.protectionB.throttle(retryAfter)
		return
	}
	s.identityB.throttle(retryAfter)
}

func (s *scanner) spendExchange(ctx context.Context) error {
	s.requests["exchange"].Add(1)
	return s.exchangeB.spend(ctx, 1)
}

func (s *scanner) readTenant(ctx context.Context) error {
	body, err := s.graph.Get(ctx, "/organization?$select=id,verifiedDomains")
	if err != nil {
		return graph.Fatal("tenant", err)
	}
	s.tenant, err = graph.TenantFromGraph(body)
	return err
}

// bulk reads the tenant-wide lists the sections need. A list that fails
// is recorded against its section for every account, not the scan.
func (s *scanner) bulk(ctx context.Context) error {
	s.bulkErrors = map[string]error{}
	var err error
	fail := func(section string, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.bulkErrors[section] = err
		return nil
	}
	if s.sections["risk"] {
		if s.risk, err = byID(ctx, s.graph, "/identityProtection/riskyUsers?$select=id,riskLevel,riskState,riskDetail,riskLastUpdatedDateTime", graph.RiskFromGraph); err != nil {
			if err := fail("risk", err); err != nil {
				return err
			}
		}
	}
	if s.sections["registration"] {
		if s.registered, err = byID(ctx, s.graph, "/reports/authenticationMethods/userRegistrationDetails", graph.RegistrationFromGraph); err != nil {
			if err := fail("registration", err); err != nil {
				return err
			}
		}
	}
	if s.sections["roles"] {
		if err := s.readRoles(ctx); err != nil {
			if err := fail("roles", err); err != nil {
				return err
			}
		}
	}
	if s.sections["oauthGrants"] {
		if err := s.readGrants(ctx); err != nil {
			if err := fail("oauthGrants", err); err != nil {
				return err
			}
		}
	}
	if s.exClient != nil && s.needsMailbox() {
		if s.mailboxes, err = newRowStore(filepath.Join(s.opts.Dir, ".mailboxes.tmp"), mailboxKeys); err != nil {
			return err
		}
		if err := s.readMailboxes(ctx, "Get-Mailbox", s.mailboxes); err != nil {
			if err := fail("mailbox.forwarding", err); err != nil {
				return err
			}
		}
		if err := s.readExchangeDirectory(ctx); err != nil {
			return err
		}
	}
	if s.exClient != nil && s.sections["mailbox.permissions"] {
		if err := s.readSendAs(ctx); err != nil {
			if err := fail("mailbox.permissions", err); err != nil {
				return err
			}
		}
	}
	if s.exClient != nil && s.sections["mailbox.protocols"] {
		if s.casRows, err = newRowStore(filepath.Join(s.opts.Dir, ".casmailboxes.tmp"), casKeys); err != nil {
			return err
		}
		if err := s.readMailboxes(ctx, "Get-CASMailbox", s.casRows); err != nil {
			if err := fail("mailbox.protocols", err); err != nil {
				return err
			}
		}
	}
	if s.exClient != nil && s.sections["mailbox.restricted"] {
		if err := s.readRestricted(ctx); err != nil {
			if err := fail("mailbox.restricted", err); err != nil {
				return err
			}
		}
	}
	if s.exClient != nil && s.sections["mailbox.audit"] {
		if err := s.readAuditBypass(ctx); err != nil {
			if err := fail("mailbox.audit", err); err != nil {
				return err
			}
		}
	}
	return nil
}

// byID reads a tenant-wide list into a map by each item's id, mapping
// each as one account's collection would.
func byID[T any](ctx context.Context, r *graph.Reader, path string, mapItem func([]byte) (T, error)) (map[string]T, error) {
	out := map[string]T{}
	err := r.Pages(ctx, path, func(raw json.RawMessage) error {
		var id struct {
			ID string `json:"id"`
		}
		json.Unmarshal(raw, &id)
		v, err := mapItem(raw)
		if err != nil {
			return err
		}
		out[id.ID] = v
		return nil
	})
	return out, err
}

// readRoles reads the activated directory roles and their members; a
// group holding a role gives it to its transitive members.
func (s *scanner) readRoles(ctx context.Context) error {
	s.roles = map[string][]snapshot.Role{}
	var roles []snapshot.Role
	err := s.graph.Pages(ctx, "/directoryRoles?$select=id,displayName,roleTemplateId", func(raw json.RawMessage) error {
		var r snapshot.Role
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		r.Privileged = graph.RoleIsPrivileged(r.RoleTemplateID)
		roles = append(roles, r)
		return nil
	})
	if err != nil {
		return err
	}
	for _, role := range roles {
		err := s.graph.Pages(ctx, "/directoryRoles/"+url.PathEscape(role.ID)+"/members?$select=id", func(raw json.RawMessage) error {
			var m struct {
				Type string `json:"@odata.type"`
				ID   string `json:"id"`
			}
			if err := json.Unmarshal(raw, &m); err != nil {
				return err
			}
			switch m.Type {
			case "#microsoft.graph.user":
				s.roles[m.ID] = append(s.roles[m.ID], role)
			case "#microsoft.graph.group":
				return s.graph.Pages(ctx, "/groups/"+url.PathEscape(m.ID)+"/transitiveMembers/microsoft.graph.user?$select=id", func(raw json.RawMessage) error {
					var u struct {
						ID string `json:"id"`
					}
					json.Unmarshal(raw, &u)
					s.roles[u.ID] = append(s.roles[u.ID], role)
					return nil
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// The roles each account can activate through PIM, for the tenant at once.
	eligible, err := byPrincipal(ctx, s.graph, "/roleManagement/directory/roleEligibilityScheduleInstances?$select=principalId,roleDefinitionId,directoryScopeId,startDateTime")
	if err != nil {
		cov, ok := graph.EligibilityUnread(err)
		if !ok {
			return err
		}
		s.rolesCoverage = &cov
	}
	for principal, raws := range eligible {
		if s.roles[principal], err = graph.WithEligible(s.roles[principal], raws); err != nil {
			return err
		}
	}
	// Direct assignments: custom roles and roles scoped to administrative
	// units, which the directoryRole lists leave out.
	assigned, err := byPrincipal(ctx, s.graph, "/roleManagement/directory/roleAssignments?$select=principalId,roleDefinitionId,directoryScopeId&$expand=roleDefinition($select=displayName,templateId)")
	if err != nil {
		cov, ok := graph.AssignmentsUnread(err)
		if !ok {
			return err
		}
		s.rolesCoverage = &cov
		return nil
	}
	for principal, raws := range assigned {
		if s.roles[principal], err = graph.WithAssigned(s.roles[principal], raws); err != nil {
			return err
		}
	}
	return nil
}

// byPrincipal reads a tenant-wide list of role eligibilities or
// assignments, grouped by the principal each names.
func byPrincipal(ctx context.Context, r *graph.Reader, path string) (map[string][]json.RawMessage, error) {
	out := map[string][]json.RawMessage{}
	err := r.Pages(ctx, path, func(raw json.RawMessage) error {
		var p struct {
			PrincipalID string `json:"principalId"`
		}
		json.Unmarshal(raw, &p)
		out[p.PrincipalID] = append(out[p.PrincipalID], raw)
		return nil
	})
	return out, err
}

// readGrants reads every delegated grant once and the app behind each.
func (s *scanner) readGrants(ctx context.Context) error {
	s.grants = map[string][]snapshot.OAuthGrant{}
	clients := map[string]bool{}
	err := s.graph.Pages(ctx, "/oauth2PermissionGrants?$select=clientId,consentType,principalId,scope", func(raw json.RawMessage) error {
		g, err := graph.GrantFromGraph(raw)
		if err != nil {
			return err
		}
		var p struct {
			PrincipalID *string `json:"principalId"`
		}
		json.Unmarshal(raw, &p)
		clients[g.ClientID] = true
		if g.ConsentType == "AllPrincipals" || p.PrincipalID == nil {
			s.allGrants = append(s.allGrants, g)
		} else {
			s.grants[*p.PrincipalID] = append(s.grants[*p.PrincipalID], g)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var steps []graph.Step
	for id := range clients {
		steps = append(steps, graph.Step{ID: id, URL: "/servicePrincipals/" + url.PathEscape(id) + "?$select=id,appId,displayName,appOwnerOrganizationId,verifiedPublisher"})
	}
	sps := map[string]json.RawMessage{}
	for start := 0; start < len(steps); start += 100 {
		for id, a := range s.graph.Batch(ctx, steps[start:min(start+100, len(steps))]) {
			if a.Err != nil {
				if status, _, _ := graph.Describe(a.Err); status == 404 {
					continue // a deleted app: its grant keeps its client id
				}
				return fmt.Errorf("resolving client %s: %w", id, a.Err)
			}
			sps[id] = a.Body
		}
	}
	resolve := func(gs []snapshot.OAuthGrant) error {
		for i := range gs {
			if raw, ok := sps[gs[i].ClientID]; ok {
				if err := graph.ServicePrincipalFromGraph(raw, &gs[i]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, gs := range s.grants {
		if err := resolve(gs); err != nil {
			return err
		}
	}
	return resolve(s.allGrants)
}

// readMailboxes pages a bulk cmdlet, keeping only the keys a snapshot
// uses, by the account's object id (ExternalDirectoryObjectId), its
// user principal name and its primary address, whichever the cmdlet gives.
func (s *scanner) readMailboxes(ctx context.Context, cmdlet string, into *rowStore) error {
	_, err := s.exClient.InvokeEach(ctx, s.orgAnchor(), cmdlet, map[string]any{}, func(full map[string]any) error {
		var keys []string
		for _, k := range []string{"ExternalDirectoryObjectId", "UserPrincipalName", "PrimarySmtpAddress"} {
			if v, _ := full[k].(string); v != "" {
				keys = append(keys, strings.ToLower(v))
			}
		}
		return into.put(keys, full)
	})
	return err
}

func (s *scanner) orgAnchor() string {
	return "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@" + s.tenant.DefaultDomain
}

// directoryTypes are the recipients that are not mailboxes, which a scan
// lists once to judge what rules and grants name: those whose mail goes
// outside, and groups.
var directoryTypes = []any{"MailContact", "MailUser", "GuestMailUser", "MailUniversalDistributionGroup", "MailUniversalSecurityGroup",
	"MailNonUniversalGroup", "DynamicDistributionGroup", "GroupMailbox", "RoomList", "PublicFolder"}

// readExchangeDirectory reads the tenant's accepted domains into the
// tenant every snapshot carries, and the recipients that are not
// mailboxes into a directory. Either failing leaves each account to ask
// Exchange itself (Get-Recipient) and to fall back on Graph's domains,
// saying so.
func (s *scanner) readExchangeDirectory(ctx context.Context) error {
	var rows []map[string]any
	_, err := s.exClient.InvokeEach(ctx, s.orgAnchor(), "Get-AcceptedDomain", map[string]any{}, func(row map[string]any) error {
		rows = append(rows, row)
		return nil
	})
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	s.acceptedErr = err
	if err == nil {
		s.tenant.AcceptedDomains = exchange.AcceptedDomainsFromExchange(rows)
	}
	dir := exchange.NewDirectory("Get-Recipient (the tenant's list)")
	_, err = s.exClient.InvokeEach(ctx, s.orgAnchor(), "Get-Recipient", map[string]any{"RecipientTypeDetails": directoryTypes, "ResultSize": "Unlimited"},
		func(row map[string]any) error {
			dir.Add(row)
			return nil
		})
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if err == nil {
		s.directory = dir
	}
	return nil
}

// readSendAs reads every SendAs grant of the tenant once (the tenant-wide
// Get-RecipientPermission, paged), keeping the ones a snapshot lists (not
// the mailbox's own, not inherited, not denials) by the mailbox's identity.
func (s *scanner) readSendAs(ctx context.Context) error {
	s.sendAs = map[string][]map[string]any{}
	_, err := s.exClient.InvokeEach(ctx, s.orgAnchor(), "Get-RecipientPermission", map[string]any{"ResultSize": "Unlimited"},
		func(row map[string]any) error {
			identity, _ := row["Identity"].(string)
			trustee, _ := row["Trustee"].(string)
			if inherited, _ := row["IsInherited"].(bool); inherited || identity == "" || strings.HasPrefix(strings.ToUpper(trustee), `NT AUTHORITY\`) {
				return nil
			}
			s.sendAs[strings.ToLower(identity)] = append(s.sendAs[strings.ToLower(identity)], row)
			return nil
		})
	return err
}

// readRestricted reads the restricted users list once, by sender address.
func (s *scanner) readRestricted(ctx context.Context) error {
	s.restricted = map[string][]map[string]any{}
	_, err := s.exClient.InvokeEach(ctx, s.orgAnchor(), "Get-BlockedSenderAddress", map[string]any{}, func(row map[string]any) error {
		if addr, _ := row["SenderAddress"].(string); addr != "" {
			s.restricted[strings.ToLower(addr)] = append(s.restricted[strings.ToLower(addr)], row)
		}
		return nil
	})
	return err
}

// readAuditBypass reads every mailbox audit bypass association once,
// keeping the accounts that bypass, by each identity Exchange gives them.
func (s *scanner) readAuditBypass(ctx context.Context) error {
	s.bypass = map[string]bool{}
	_, err := s.exClient.InvokeEach(ctx, s.orgAnchor(), "Get-MailboxAuditBypassAssociation", map[string]any{"ResultSize": "Unlimited"},
		func(row map[string]any) error {
			if on, _ := row["AuditBypassEnabled"].(bool); on {
				for _, k := range bypassKeys {
					if v, _ := row[k].(string); v != "" {
						s.bypass[strings.ToLower(k+":"+v)] = true
					}
				}
			}
			return nil
		})
	return err
}

// bypassKeys identify an account in Get-MailboxAuditBypassAssociation and
// in Get-Mailbox alike.
var bypassKeys = []string{"Guid", "DistinguishedName", "Identity"}

// bypassed says whether the mailbox's account bypasses auditing, by the
// most specific identity both lists give.
func (s *scanner) bypassed(mailbox map[string]any) bool {
	for _, k := range bypassKeys {
		if v, _ := mailbox[k].(string); v != "" {
			return s.bypass[strings.ToLower(k+":"+v)]
		}
	}
	return false
}

func (s *scanner) spendExchangeCtx(ctx context.Context) error { return s.spendExchange(ctx) }

// userFields are read for every account from the user list.
var userSelect = "id,userPrincipalName,displayName,mail,userType,accountEnabled,createdDateTime,lastPasswordChangeDateTime,signInSessionsValidFromDateTime,passwordPolicies,otherMails"

// ShardOf is the shard (of n) an account belongs to: a stable hash of its
// object id, the same in every run and every process.
func ShardOf(userID string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(userID)))
	return int(h.Sum32() % uint32(n))
}

// wanted says whether the filters keep an account.
func (s *scanner) wanted(u snapshot.User, only map[string]bool) bool {
	if s.opts.Shards > 1 && ShardOf(u.ID, s.opts.Shards) != s.opts.Shard {
		return false
	}
	if len(only) > 0 && !only[strings.ToLower(u.UserPrincipalName)] && !only[strings.ToLower(u.ID)] {
		return false
	}
	if !s.opts.IncludeGuests && strings.EqualFold(u.UserType, "Guest") {
		return false
	}
	for _, pattern := range s.opts.Exclude {
		if ok, _ := path.Match(strings.ToLower(pattern), strings.ToLower(u.UserPrincipalName)); ok {
			return false
		}
	}
	return true
}

type written struct {
	user    snapshot.User
	line    []byte
	carried bool   // carried from the previous scan (--since)
	why     string // why an incremental scan read it
	ok      bool   // every section asked for was collected
	retry   bool   // a section failed on its own read: reading it again may help
	lost    int    // sections asked for and not collected
}

// maxHeldForRetry bounds the accounts held back, in memory, to be read
// again at the end of the scan; past it, an incomplete account is written
// as it is.
const maxHeldForRetry = 1000

// accounts lists the users and reads each account, Workers at a time;
// one writer appends the snapshots and the checkpoint. An account a
// section of which failed on its own read (not a tenant-wide list, not
// forbidden) is held back and read once more when the others are done,
// when a passing outage or throttling storm has gone; the better of the
// two reads is written.
func (s *scanner) accounts(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	only := map[string]bool{}
	for _, u := range s.opts.Users {
		only[strings.ToLower(strings.TrimSpace(u))] = true
	}
	if s.opts.Group != "" {
		members := map[string]bool{}
		err := s.graph.Pages(ctx, "/groups/"+url.PathEscape(s.opts.Group)+"/transitiveMembers/microsoft.graph.user?$select=id", func(raw json.RawMessage) error {
			var u struct {
				ID string `json:"id"`
			}
			json.Unmarshal(raw, &u)
			if len(only) == 0 || only[strings.ToLower(u.ID)] {
				members[strings.ToLower(u.ID)] = true
			}
			return nil
		})
		if err != nil {
			return graph.Fatal("group "+s.opts.Group, err)
		}
		if len(members) == 0 {
			return fmt.Errorf("group %s has no user members to scan", s.opts.Group)
		}
		only = members
	}
	jobs := make(chan snapshot.User, s.opts.Workers*2)
	batcher := newBatcher(s.graph)
	defer batcher.close()
	var listErr error
	listed := map[string]bool{} // every account of the tenant's listing, wanted or not
	found := map[string]bool{}  // the names of --users-from the listing holds
	s.setListing(true)
	go func() {
		defer close(jobs)
		listErr = s.graph.Pages(ctx, "/users?$select="+userSelect+"&$top=999", func(raw json.RawMessage) error {
			u, err := graph.UserFromGraph(raw)
			if err != nil {
				return err
			}
			listed[u.ID] = true
			for _, k := range []string{strings.ToLower(u.ID), strings.ToLower(u.UserPrincipalName)} {
				if only[k] {
					found[k] = true
				}
			}
			if !s.wanted(u, only) {
				return nil
			}
			s.mu.Lock()
			s.progress.Enumerated++
			s.mu.Unlock()
			if s.cp.done[u.ID] {
				return nil
			}
			select {
			case jobs <- u:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if listErr == nil {
			s.mu.Lock()
			s.progress.Total = s.progress.Enumerated // the listing is whole: exact
			s.mu.Unlock()
		}
		s.setListing(false)
	}()
	var writeErr error
	write := func(w written) {
		if writeErr != nil || ctx.Err() != nil {
			return // a cancelled scan writes nothing more: each line on disk is whole
		}
		if writeErr = s.cp.write(w.user.ID, w.line, w.retry); writeErr != nil {
			cancel()
			return
		}
		s.mu.Lock()
		s.progress.Done++
		if !w.ok {
			s.progress.Incomplete++
		}
		if s.inc != nil {
			if w.carried {
				s.inc.stats.Carried++
			} else {
				s.inc.stats.Read[reasonKind(w.why)]++
			}
		}
		s.mu.Unlock()
		s.report()
	}
	var held []written
	for w := range s.readAll(ctx, batcher, jobs) {
		if w.retry && len(held) < maxHeldForRetry {
			held = append(held, w)
			continue
		}
		write(w)
	}
	if len(held) > 0 && ctx.Err() == nil && writeErr == nil {
		first := map[string]written{}
		again := make(chan snapshot.User, len(held))
		for _, w := range held {
			first[w.user.ID] = w
			again <- w.user
		}
		close(again)
		for w := range s.readAll(ctx, batcher, again) {
			was := first[w.user.ID]
			s.mu.Lock()
			s.progress.Retried++
			if w.lost < was.lost {
				s.progress.Recovered++
			}
			s.mu.Unlock()
			if w.lost > was.lost {
				w = was // the first read got more
			}
			write(w)
		}
	}
	switch {
	case writeErr != nil:
		return writeErr
	case listErr != nil && !errors.Is(listErr, context.Canceled):
		return graph.Fatal("users", listErr)
	case ctx.Err() != nil:
		return ctx.Err()
	}
	if s.opts.Group == "" {
		for _, u := range s.opts.Users {
			if k := strings.ToLower(strings.TrimSpace(u)); k != "" && !found[k] {
				s.usersNotFound = append(s.usersNotFound, u)
			}
		}
	}
	return s.cp.notListed(s.opts.Dir, listed)
}

// readAll reads the accounts jobs sends, Workers at a time, until jobs is
// closed; the channel it returns closes when every read is done.
func (s *scanner) readAll(ctx context.Context, b *batcher, jobs <-chan snapshot.User) <-chan written {
	out := make(chan written, s.opts.Workers*2)
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range jobs {
				w, err := s.read(ctx, b, u)
				if err != nil {
					continue
				}
				select {
				case out <- w:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// read reads one account into the line the scan writes, saying what it
// lost and whether reading it again may help.
func (s *scanner) read(ctx context.Context, b *batcher, u snapshot.User) (written, error) {
	rows := s.mailboxRows(u)
	why, bulk := "", s.bulkSum(u, rows)
	if s.inc != nil {
		if why = s.inc.why(u, bulk); why == "" {
			line, err := s.inc.carry(u, s.tenant, bulk)
			if err == nil {
				return written{user: u, line: line, ok: true, carried: true}, nil
			}
			why = "the previous snapshot could not be carried (" + err.Error() + ")"
		}
	}
	snap := s.account(ctx, b, u, rows)
	// Every scan's snapshot records what the lists said of the account:
	// the next scan --since compares it with its own.
	snap.Provenance = &snapshot.Provenance{Reason: why, BulkSum: bulk}
	line, err := json.Marshal(snap)
	if err != nil {
		return written{}, err
	}
	w := written{user: u, line: append(line, '\n'), ok: true, why: why}
	for sec := range s.sections {
		c := snap.Coverage[sec]
		if c.Status == snapshot.StatusCollected {
			continue
		}
		w.ok = false
		w.lost++
		if c.Status == snapshot.StatusError && s.bulkErrors[sec] == nil {
			w.retry = true
		}
	}
	return w, nil
}

// account builds one account's posture snapshot from the lists and its
// own reads.
func (s *scanner) account(ctx context.Context, b *batcher, u snapshot.User, rows mailboxRows) *snapshot.Snapshot {
	snap := &snapshot.Snapshot{
		SchemaVersion: snapshot.SchemaVersion, CollectedAt: s.collectedAt,
		Source: snapshot.Source{Tool: "closeout", Version: s.opts.Version, Collectors: []string{"graph"}, Cloud: cloudName(s.opts.Graph.Cloud)},
		Tenant: s.tenant, User: u, Coverage: map[string]snapshot.CoverageItem{"user": {Status: snapshot.StatusCollected}},
	}
	s.skipUnread(snap)
	if s.opts.Exchange == nil {
		for _, sec := range exchangeSections {
			snap.Coverage[sec] = snapshot.CoverageItem{Status: snapshot.StatusSkipped, Detail: "Exchange-only: run the exchange collector"}
		}
	}
	bulkSection := func(sec string, fill func()) {
		if !s.sections[sec] {
			return
		}
		if err := s.bulkErrors[sec]; err != nil {
			snap.Coverage[sec] = graph.CoverageFor(sec, err)
			return
		}
		fill()
		snap.Coverage[sec] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
	}
	bulkSection("risk", func() {
		if r, ok := s.risk[u.ID]; ok {
			snap.Risk = r
		} else {
			snap.Risk = graph.NoRiskRecord()
		}
	})
	bulkSection("roles", func() { snap.Roles = s.roles[u.ID] })
	if s.rolesCoverage != nil && snap.Coverage["roles"].Status == snapshot.StatusCollected {
		snap.Coverage["roles"] = *s.rolesCoverage
	}
	bulkSection("registration", func() { snap.Registration = s.registered[u.ID] })
	if snap.Registration == nil && snap.Coverage["registration"].Status == snapshot.StatusCollected {
		detail := "not in Microsoft's registration report (a new account can take a day to appear)"
		if u.AccountEnabled != nil && !*u.AccountEnabled {
			detail = "Microsoft's registration report leaves out disabled accounts"
		}
		snap.Coverage["registration"] = snapshot.CoverageItem{Status: snapshot.StatusNotFound, Detail: detail}
	}
	bulkSection("oauthGrants", func() {
		snap.OAuthGrants = append(append([]snapshot.OAuthGrant(nil), s.grants[u.ID]...), s.allGrants...)
	})
	if cov, ok := snap.Coverage["oauthGrants"]; ok && cov.Status == snapshot.StatusCollected {
		cov.Detail = "the account's own grants and every tenant-wide (admin) grant"
		snap.Coverage["oauthGrants"] = cov
	}
	// The reads with no bulk form, in a shared $batch.
	steps := graph.AccountReads(u.ID, s.sections)
	answers := b.read(ctx, steps)
	if s.sections["authMethods"] {
		s.fillItems(ctx, snap, "authMethods", answers[u.ID+"|authMethods"], func(raw json.RawMessage) error {
			m, err := graph.AuthMethodFromGraph(raw)
			snap.AuthMethods = append(snap.AuthMethods, m)
			return err
		})
	}
	var calendar []snapshot.Permission
	if s.sections["mailbox.permissions"] {
		s.fillItems(ctx, snap, "mailbox.permissions", answers[u.ID+"|calendar"], func(raw json.RawMessage) error {
			p, err := graph.CalendarPermissionFromGraph(raw)
			if p != nil {
				calendar = append(calendar, *p)
			}
			return err
		})
		if snap.Coverage["mailbox.permissions"].Status == snapshot.StatusCollected {
			// Calendar delegates alone are partial: Exchange completes them.
			snap.Coverage["mailbox.permissions"] = snapshot.CoverageItem{Status: snapshot.StatusSkipped, Detail: "calendar delegates only"}
			snap.Mailbox = &snapshot.Mailbox{Permissions: calendar}
		}
	}
	if s.exClient != nil && s.needsMailbox() {
		mbx, hasMailbox, cas, hasCAS := rows.mbx, rows.hasMailbox, rows.cas, rows.hasCAS
		if err := rows.err; err != nil {
			for _, sec := range exchangeSections {
				if s.sections[sec] {
					snap.Coverage[sec] = snapshot.CoverageItem{Status: snapshot.StatusError, Detail: err.Error()}
				}
			}
			return snap
		}
		if !hasMailbox && s.mailboxes != nil && s.bulkErrors["mailbox.forwarding"] == nil && !hasCAS && s.bulkErrors["mailbox.protocols"] == nil {
			for _, sec := range exchangeSections {
				if s.sections[sec] {
					snap.Coverage[sec] = snapshot.CoverageItem{Status: snapshot.StatusNotFound, Detail: "the account has no mailbox (not in Get-Mailbox's list)"}
				}
			}
		} else {
			r := exchange.ReadMailbox(ctx, s.exClient, s.tenant, u.UserPrincipalName, s.bulkFor(u, mbx, cas))
			r.MergeInto(snap)
			for _, sec := range exchangeSections {
				if err := s.bulkErrors[sec]; err != nil && s.sections[sec] {
					snap.Coverage[sec] = snapshot.CoverageItem{Status: snapshot.StatusError, Detail: "the tenant's list failed: " + err.Error()}
				}
			}
			s.skipUnread(snap) // Exchange's reading fills every section it knows
			snap.Source.Collectors = []string{"graph", "exchange"}
		}
	}
	return snap
}

// mailboxRows are an account's rows of the tenant-wide Get-Mailbox and
// Get-CASMailbox lists, read once for both the account's snapshot and its
// digest (bulkSum).
type mailboxRows struct {
	mbx, cas           map[string]any
	hasMailbox, hasCAS bool
	err                error
}

func (s *scanner) mailboxRows(u snapshot.User) mailboxRows {
	var r mailboxRows
	var err1, err2 error
	r.mbx, r.hasMailbox, err1 = s.mailboxes.get(u.ID, u.UserPrincipalName)
	primary, _ := r.mbx["PrimarySmtpAddress"].(string)
	r.cas, r.hasCAS, err2 = s.casRows.get(u.ID, primary, u.UserPrincipalName)
	r.err = firstErr(err1, err2)
	return r
}

// skipUnread marks the sections the scan does not read, saying why.
func (s *scanner) skipUnread(snap *snapshot.Snapshot) {
	for _, sec := range snapshot.Sections {
		switch {
		case s.unread[sec]:
			snap.Coverage[sec] = snapshot.CoverageItem{Status: snapshot.StatusSkipped, Detail: "a policy needs it, but closeout scan does not read this section yet: closeout collect --user reads it"}
		case !s.sections[sec]:
			snap.Coverage[sec] = snapshot.CoverageItem{Status: snapshot.StatusSkipped, Detail: "not read by the scan: no active posture policy needs it"}
		}
	}
}

// bulkFor is what the tenant-wide lists say of one account's mailbox.
func (s *scanner) bulkFor(u snapshot.User, mbx, cas map[string]any) exchange.Bulk {
	b := exchange.Bulk{Mailbox: mbx, CAS: cas, Accepted: s.tenant.AcceptedDomains, AcceptedErr: s.acceptedErr, Directory: s.directory,
		RestrictedErr: s.bulkErrors["mailbox.restricted"], BypassErr: s.bulkErrors["mailbox.audit"], SendAsErr: s.bulkErrors["mailbox.permissions"]}
	if identity, _ := mbx["Identity"].(string); identity != "" {
		b.SendAs = s.sendAs[strings.ToLower(identity)]
	}
	seen := map[string]bool{}
	for _, addr := range []any{u.UserPrincipalName, mbx["PrimarySmtpAddress"]} {
		if a, _ := addr.(string); a != "" && !seen[strings.ToLower(a)] {
			seen[strings.ToLower(a)] = true
			b.Restricted = append(b.Restricted, s.restricted[strings.ToLower(a)]...)
		}
	}
	bypass := mbx != nil && s.bypassed(mbx)
	b.BypassEnabled = &bypass
	return b
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *scanner) needsMailbox() bool {
	for _, sec := range exchangeSections {
		if s.sections[sec] {
			return true
		}
	}
	return false
}

// fillItems maps a per-account collection answer into the snapshot; a
// failure is the section's coverage, and leaves no partial data.
func (s *scanner) fillItems(ctx context.Context, snap *snapshot.Snapshot, section string, a graph.Answer, each func(json.RawMessage) error) {
	err := a.Err
	var items []json.RawMessage
	if err == nil {
		items, err = s.graph.Items(ctx, a.Body)
	}
	for _, raw := range items {
		if err != nil {
			break
		}
		err = each(raw)
	}
	if err != nil {
		if section == "authMethods" {
			snap.AuthMethods = nil
		}
		snap.Coverage[section] = graph.CoverageFor(section, err)
		return
	}
	if section == "authMethods" && snap.AuthMethods == nil {
		snap.AuthMethods = []snapshot.AuthMethod{}
	}
	snap.Coverage[section] = snapshot.CoverageItem{Status: snapshot.StatusCollected}
}

func cloudName(c string) string {
	if c == "" {
		return "global"
	}
	return strings.ToLower(c)
}

func (s *scanner) setListing(on bool) {
	s.mu.Lock()
	s.progress.Listing = on
	s.mu.Unlock()
}

func (s *scanner) snapshotProgress() Progress {
	s.mu.Lock()
	p := s.progress
	s.mu.Unlock()
	p.Elapsed = time.Since(s.start)
	for _, b := range []*budget{s.identityB, s.protectionB, s.exchangeB} {
		p.Throttled += b.throttled.Load()
	}
	return p
}

func (s *scanner) report() {
	if s.opts.Progress != nil {
		s.opts.Progress(s.snapshotProgress())
	}
}

// tick reports progress every second until stopped.
func (s *scanner) tick(ctx context.Context) func() {
	if s.opts.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.report()
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { close(done) }
}
