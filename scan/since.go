package scan

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/internal/safefile"
	"github.com/closeout-dev/closeout/snapshot"
)

// Since makes a scan incremental: it builds on Dir, the previous finished
// scan of the same tenant, reads the change feeds from Dir's start minus
// Overlap, reads again the accounts they name (and the new ones, those
// read incompletely, those whose mailbox auditing is off or bypassed, and
// a rolling share so that nothing carried is older than MaxAge), and
// carries every other account from Dir unchanged. When the feeds cannot
// vouch for the tenant (its audit log off or unreadable, Dir older than
// the logs keep, other sections asked for), every account is read.
type Since struct {
	Dir string
	// Overlap is read before Dir's start: audit records appear late (an
	// Exchange record typically 60 to 90 minutes after the event;
	// Microsoft commits to no delay). Default 24 h.
	Overlap time.Duration
	// MaxAge is the oldest a carried snapshot may be (default 7 days):
	// each night reads again 1/(MaxAge in days) of the accounts, the
	// oldest first (those read for another reason count towards it), and
	// any account read longer ago than MaxAge less half a day.
	MaxAge time.Duration
	// Retention is how far back the feeds are trusted to reach (default
	// 30 days, Entra ID's directory audit retention with P1 or P2): a
	// previous scan older than that gives a full read.
	Retention time.Duration
	// Optional makes a missing or unfinished Dir a full read instead of
	// an error (--since with {latest}: the first night has none).
	Optional bool
}

func (s Since) withDefaults() Since {
	if s.Overlap <= 0 {
		s.Overlap = 24 * time.Hour
	}
	if s.MaxAge <= 0 {
		s.MaxAge = 7 * 24 * time.Hour
	}
	if s.Retention <= 0 {
		s.Retention = 30 * 24 * time.Hour
	}
	return s
}

// Incremental is what an incremental scan did: how many accounts it read
// and why, how many it carried, what the feeds cost, or why it read
// everything.
type Incremental struct {
	From    string         `json:"from"`
	Full    string         `json:"full,omitempty"` // why every account was read; "" for an incremental read
	Read    map[string]int `json:"read"`           // accounts read, by reason
	Carried int            `json:"carried"`
	// FeedRequests are the change feeds' requests, by feed.
	FeedRequests map[string]int `json:"feedRequests"`
	// Changes are the accounts the feeds named.
	Changes int `json:"changes"`
}

// ReadTotal is the accounts read, whatever the reason.
func (i *Incremental) ReadTotal() int {
	n := 0
	for _, c := range i.Read {
		n += c
	}
	return n
}

// PreviousError is a --since directory that cannot be built on: not a
// finished scan of this tenant's accounts, unreadable, or a shard.
type PreviousError struct{ Msg string }

func (e *PreviousError) Error() string { return e.Msg }

func previousErrorf(format string, args ...any) error {
	return &PreviousError{Msg: fmt.Sprintf(format, args...)}
}

// prevAccount is an account of the previous scan: where its line is, when
// it was read, and what decides whether it is read again.
type prevAccount struct {
	off      int64
	n        int
	readAt   time.Time
	complete bool // every section asked for was collected (or has no object)
	bypassed bool // its mailbox is not audited, or its owner bypasses auditing
	userSum  uint64
	bulkSum  string // what the tenant-wide lists said of it (provenance.bulkSum)
	upn      string // lower case
}

type incremental struct {
	opts    Since
	man     *Manifest
	file    *os.File
	byID    map[string]prevAccount
	full    string
	from    time.Time
	now     time.Time
	changed map[string]string // lower-case id or UPN → the change that named it
	due     map[string]bool   // lower-case ids of tonight's share, the oldest
	stats   *Incremental
}

// openPrevious reads the previous scan's manifest and indexes its
// snapshots (offsets, not the lines: a carried line is read when written).
func openPrevious(opts Since, sections []string, shard *ShardSpec) (*incremental, error) {
	opts = opts.withDefaults()
	man, err := ReadManifest(opts.Dir)
	if err != nil {
		return nil, previousErrorf("--since %s: %v", opts.Dir, err)
	}
	if man.Finished == nil {
		return nil, previousErrorf("--since %s: that scan did not finish: finish it with scan --resume, or scan without --since", opts.Dir)
	}
	// A whole tenant's scan (or a merge) serves any shard; a shard serves
	// only the same shard.
	if man.Shard != nil && man.Shard.String() != shard.String() {
		return nil, previousErrorf("--since %s: it holds %s, this scan reads %s: give each shard its own previous shard, or a merged scan", opts.Dir, man.Shard, shard)
	}
	f, err := safefile.Open(filepath.Join(opts.Dir, snapshotsName), os.O_RDONLY)
	if err != nil {
		return nil, previousErrorf("--since %s: %v", opts.Dir, err)
	}
	inc := &incremental{opts: opts, man: man, file: f, byID: map[string]prevAccount{}, changed: map[string]string{},
		stats: &Incremental{From: opts.Dir, Read: map[string]int{}, FeedRequests: map[string]int{}}}
	want := map[string]bool{}
	for _, s := range sections {
		want[s] = true
	}
	r := bufio.NewReaderSize(f, 1<<20)
	var off int64
	for line := 1; ; line++ {
		raw, err := r.ReadBytes('\n')
		if len(raw) > 0 && raw[len(raw)-1] == '\n' {
			if err := inc.index(raw, off, want); err != nil {
				f.Close()
				return nil, previousErrorf("--since %s: %s:%d: %v", opts.Dir, snapshotsName, line, err)
			}
		}
		off += int64(len(raw))
		if err == io.EOF {
			break
		}
		if err != nil {
			f.Close()
			return nil, previousErrorf("--since %s: %v", opts.Dir, err)
		}
	}
	if !slices.Equal(sorted(man.Sections), sorted(sections)) {
		inc.full = "the policies ask for other sections than " + opts.Dir + " read"
	}
	return inc, nil
}

// index records one line of the previous scan.
func (inc *incremental) index(raw []byte, off int64, want map[string]bool) error {
	var doc struct {
		CollectedAt time.Time     `json:"collectedAt"`
		User        snapshot.User `json:"user"`
		Mailbox     *struct {
			Audit *snapshot.MailboxAudit `json:"audit"`
		} `json:"mailbox"`
		Coverage   map[string]snapshot.CoverageItem `json:"coverage"`
		Provenance *snapshot.Provenance             `json:"provenance"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || doc.User.ID == "" {
		return fmt.Errorf("not a snapshot of the scan")
	}
	a := prevAccount{off: off, n: len(raw), readAt: doc.CollectedAt, complete: true, userSum: userSum(doc.User), upn: strings.ToLower(doc.User.UserPrincipalName)}
	if doc.Provenance != nil {
		a.bulkSum = doc.Provenance.BulkSum
	}
	for sec := range want {
		switch doc.Coverage[sec].Status {
		case snapshot.StatusCollected, snapshot.StatusNotFound:
		default:
			a.complete = false
		}
	}
	if want["mailbox.audit"] && doc.Coverage["mailbox.audit"].Status == snapshot.StatusCollected && doc.Mailbox != nil && doc.Mailbox.Audit != nil {
		au := doc.Mailbox.Audit
		a.bypassed = (au.AuditEnabled != nil && !*au.AuditEnabled) || (au.AuditBypassEnabled != nil && *au.AuditBypassEnabled)
	}
	inc.byID[strings.ToLower(doc.User.ID)] = a
	return nil
}

// userSum is a digest of what the user listing says of an account: a
// change of any of it (enabled, password changed, sessions revoked, a new
// name) makes the account read again.
func userSum(u snapshot.User) uint64 {
	sum, _ := jsonSum(u)
	return sum
}

// jsonSum is a digest of v's JSON (maps' keys sorted, so stable).
func jsonSum(v any) (uint64, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	h := fnv.New64a()
	h.Write(raw)
	return h.Sum64(), nil
}

func (inc *incremental) close() {
	if inc != nil && inc.file != nil {
		inc.file.Close()
	}
}

// auditResultSize is the records Search-UnifiedAuditLog returns a page.
// Every record naming a mailbox is taken as a change to it, whatever its
// operation: reading one mailbox again costs little, missing a change
// costs a wrong verdict.
const auditResultSize = "5000"

// readFeeds reads the change feeds once each, from the previous scan's
// start minus the overlap, and marks the accounts they name. A feed that
// cannot be read makes the scan read every account, saying why.
func (s *scanner) readFeeds(ctx context.Context) error {
	inc := s.inc
	inc.now = s.collectedAt
	inc.from = inc.man.Started.Add(-inc.opts.Overlap)
	if inc.full != "" {
		return nil
	}
	if age := inc.now.Sub(inc.man.Started); age > inc.opts.Retention {
		inc.full = fmt.Sprintf("%s began %s ago, longer than the change feeds are kept (%s)", inc.opts.Dir, days(age), days(inc.opts.Retention))
		return nil
	}
	full := func(feed string, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		inc.full = fmt.Sprintf("the %s could not be read (%v)", feed, err)
		return nil
	}
	count := func(feed string, before int64, budget string) {
		inc.stats.FeedRequests[feed] += int(s.requests[budget].Load() - before)
	}
	// Entra ID's directory audits: security info registered, roles,
	// consent, credentials, user properties.
	before := s.requests["reports"].Load()
	path := "/auditLogs/directoryAudits?$filter=" + url.QueryEscape("activityDateTime ge "+inc.from.Format(time.RFC3339)) + "&$top=999"
	err := s.graph.Pages(ctx, path, func(raw json.RawMessage) error {
		var a struct {
			Activity    string `json:"activityDisplayName"`
			InitiatedBy struct {
				User *struct {
					ID  string `json:"id"`
					UPN string `json:"userPrincipalName"`
				} `json:"user"`
			} `json:"initiatedBy"`
			Targets []struct {
				ID   string `json:"id"`
				UPN  string `json:"userPrincipalName"`
				Type string `json:"type"`
			} `json:"targetResources"`
		}
		if json.Unmarshal(raw, &a) != nil {
			return nil
		}
		for _, t := range a.Targets {
			inc.mark(t.ID, a.Activity)
			inc.mark(t.UPN, a.Activity)
		}
		if u := a.InitiatedBy.User; u != nil {
			inc.mark(u.ID, a.Activity)
			inc.mark(u.UPN, a.Activity)
		}
		return nil
	})
	count("directoryAudits", before, "reports")
	if err != nil {
		return full("directory audit log", err)
	}
	// Identity Protection: the tenant-wide risky users list is read anyway;
	// a risk updated since is a change.
	for id, r := range s.risk {
		if r != nil && r.RiskLastUpdatedDateTime != nil && !r.RiskLastUpdatedDateTime.Before(inc.from) {
			inc.mark(id, "risk updated")
		}
	}
	if s.exClient == nil {
		return nil
	}
	// Exchange: the unified audit log, which must be on.
	before = s.requests["exchange"].Load()
	defer count("unifiedAuditLog", before, "exchange")
	cfg, _, err := s.exClient.Invoke(ctx, s.orgAnchor(), "Get-AdminAuditLogConfig", nil)
	if err != nil {
		return full("unified audit log's configuration", err)
	}
	if len(cfg) == 0 || cfg[0]["UnifiedAuditLogIngestionEnabled"] != true {
		inc.full = "the tenant's unified audit log is off: no record vouches for an unchanged mailbox"
		return nil
	}
	params := map[string]any{"StartDate": inc.from.Format(time.RFC3339), "EndDate": inc.now.Add(time.Minute).Format(time.RFC3339), "ResultSize": auditResultSize}
	_, err = s.exClient.InvokeEach(ctx, s.orgAnchor(), "Search-UnifiedAuditLog", params, func(rec map[string]any) error {
		op, _ := rec["Operations"].(string)
		var data struct {
			ObjectID string `json:"ObjectId"`
			Owner    string `json:"MailboxOwnerUPN"`
			UserID   string `json:"UserId"`
		}
		if s, ok := rec["AuditData"].(string); ok {
			json.Unmarshal([]byte(s), &data)
		}
		inc.mark(data.ObjectID, op)
		inc.mark(data.Owner, op)
		return nil
	})
	if err != nil {
		return full("unified audit log", err)
	}
	return nil
}

// mark records that a feed named an account.
func (inc *incremental) mark(key, why string) {
	key = strings.ToLower(strings.TrimSpace(key))
	if key == "" {
		return
	}
	if _, seen := inc.changed[key]; !seen {
		inc.changed[key] = why
		inc.stats.Changes++
	}
}

// why is the reason an account is read tonight, or "" to carry it; bulk
// is what tonight's tenant-wide lists say of it (bulkSum).
func (inc *incremental) why(u snapshot.User, bulk string) string {
	if inc.full != "" {
		return "full read: " + inc.full
	}
	prev, had := inc.byID[strings.ToLower(u.ID)]
	switch {
	case !had:
		return "new"
	case inc.changed[strings.ToLower(u.ID)] != "":
		return "changed: " + inc.changed[strings.ToLower(u.ID)]
	case inc.changed[strings.ToLower(u.UserPrincipalName)] != "":
		return "changed: " + inc.changed[strings.ToLower(u.UserPrincipalName)]
	case !prev.complete:
		return "incomplete before"
	case prev.bypassed:
		return "mailbox audit off or bypassed"
	case prev.userSum != userSum(u):
		return "changed: user properties"
	case bulk == "" || prev.bulkSum == "":
		return "unvouched: no digest of the tenant-wide lists to compare"
	case prev.bulkSum != bulk:
		return "changed: tenant-wide lists"
	}
	age := inc.now.Sub(prev.readAt)
	switch {
	case age >= inc.opts.MaxAge-12*time.Hour:
		return "due: read " + days(age) + " ago, near --max-age"
	case inc.due[strings.ToLower(u.ID)]:
		return "due: tonight's share, the oldest (read " + days(age) + " ago)"
	}
	return ""
}

// planShare picks tonight's share of the accounts to read again: enough
// that, night after night, every account is read within --max-age (one
// (max-age in days)th of them), less those read tonight for another
// reason the previous scan or the feeds already tell, the oldest first.
// Anything that would be older than --max-age is read regardless.
func (inc *incremental) planShare() {
	inc.due = map[string]bool{}
	nights := max(1, int(inc.opts.MaxAge/(24*time.Hour)))
	quota := (len(inc.byID) + nights - 1) / nights
	type candidate struct {
		id     string
		readAt time.Time
		h      uint32
	}
	var rest []candidate
	for id, a := range inc.byID {
		if inc.changed[id] != "" || inc.changed[a.upn] != "" || !a.complete || a.bypassed {
			quota--
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(id))
		rest = append(rest, candidate{id, a.readAt, h.Sum32()})
	}
	sort.Slice(rest, func(i, j int) bool {
		if !rest[i].readAt.Equal(rest[j].readAt) {
			return rest[i].readAt.Before(rest[j].readAt)
		}
		return rest[i].h < rest[j].h
	})
	for i := 0; i < quota && i < len(rest); i++ {
		inc.due[rest[i].id] = true
	}
}

// carry is the previous scan's line of the account, marked carried, with
// tonight's tenant (its accepted domains decide inside and outside).
func (inc *incremental) carry(u snapshot.User, tenant snapshot.Tenant, bulk string) ([]byte, error) {
	prev := inc.byID[strings.ToLower(u.ID)]
	raw := make([]byte, prev.n)
	if _, err := inc.file.ReadAt(raw, prev.off); err != nil {
		return nil, err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	doc["provenance"], _ = json.Marshal(snapshot.Provenance{Carried: true, From: inc.opts.Dir, BulkSum: bulk})
	doc["tenant"], _ = json.Marshal(tenant)
	line, err := json.Marshal(doc)
	return append(line, '\n'), err
}

// days words a duration in days, "3.0 days".
func days(d time.Duration) string {
	return fmt.Sprintf("%.1f days", d.Hours()/24)
}

// reasonKind is a read reason without its detail, for the counts.
func reasonKind(why string) string {
	k, _, _ := strings.Cut(why, ":")
	return k
}

// bulkSum is a digest of what tonight's tenant-wide lists say of an
// account: its Get-Mailbox and Get-CASMailbox rows, its risk, roles,
// registration and grants, whether it is restricted, bypasses auditing or
// is granted SendAs. An account whose digest differs from the one its
// previous snapshot recorded changed, whatever the audit logs say; the
// lists are read every night anyway, so this costs no request. "" when a
// list could not be read.
func (s *scanner) bulkSum(u snapshot.User, rows mailboxRows) string {
	for _, err := range s.bulkErrors {
		if err != nil {
			return ""
		}
	}
	if rows.err != nil {
		return ""
	}
	mbx, cas := rows.mbx, rows.cas
	primary, _ := mbx["PrimarySmtpAddress"].(string)
	parts := map[string]any{"mailbox": mbx, "cas": cas, "risk": s.risk[u.ID], "roles": s.roles[u.ID],
		"registration": s.registered[u.ID], "grants": s.grants[u.ID], "allGrants": s.allGrants}
	if mbx != nil {
		parts["bypass"] = s.bypassed(mbx)
		if identity, _ := mbx["Identity"].(string); identity != "" {
			parts["sendAs"] = s.sendAs[strings.ToLower(identity)]
		}
	}
	var restricted []map[string]any
	for _, addr := range []string{u.UserPrincipalName, primary} {
		restricted = append(restricted, s.restricted[strings.ToLower(addr)]...)
	}
	parts["restricted"] = restricted
	sum, err := jsonSum(parts)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%016x", sum)
}
