// Package scan reads every account of a tenant at Microsoft's throttle
// limit: the tenant-wide lists once (users, risky users, role members,
// grants, Exchange's mailboxes and CAS settings), then per account only
// what has no bulk form (authentication methods, calendar delegates, inbox
// rules with the hidden ones, mailbox permissions), in $batch where Graph
// allows. It writes one posture-mode closeout.snapshot/v1 per account to
// DIR/snapshots.jsonl as accounts complete, and a checkpoint so that a
// killed scan resumes where it stopped. Evaluation is the caller's: the
// snapshots are the same that collect --user writes.
package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/closeout-dev/closeout/collectors/exchange"
	"github.com/closeout-dev/closeout/collectors/graph"
	"github.com/closeout-dev/closeout/snapshot"
)

// Options say what to scan and how fast.
type Options struct {
	Graph graph.ClientOptions
	// Exchange reads the mailbox sections; nil leaves them skipped.
	Exchange *exchange.Options
	// Dir receives snapshots.jsonl and the checkpoint.
	Dir    string
	Resume bool
	// Sections are those to read: the union of the active posture
	// policies' requires. The rest are skipped, saying so.
	Sections []string
	// Users, when set, limits the scan to these UPNs or object ids.
	Users []string
	// Group, when set, limits the scan to the group's transitive members.
	Group string
	// Shard and Shards split the accounts by a stable hash of their object
	// id: this run reads the accounts whose hash modulo Shards is Shard.
	// Every shard of a tenant spends the same Graph budget: run them so
	// that together they stay within it (--identity-budget divided).
	Shard, Shards int
	// Exclude are UPN patterns (path.Match, case-insensitive) to leave out.
	Exclude []string
	// IncludeGuests scans guest accounts too (left out by default).
	IncludeGuests bool
	// Workers bounds the accounts read at once (default 64).
	Workers int
	// IdentityUnitsPer10s is Graph's identity budget for the app in this
	// tenant: 3,500 (under 50 users), 5,000 (up to 500), 8,000 beyond.
	// Zero picks it by the tenant's size, divided among the shards.
	IdentityUnitsPer10s int
	// ExchangePer10s paces Exchange cmdlets (default 1,000 per 10 s:
	// Microsoft documents no number for the admin API). Unless
	// ExchangeCeiling, it is where the pace starts: the pace learns the
	// budget in force, above it or below.
	ExchangePer10s int
	// ExchangeCeiling makes ExchangePer10s a ceiling the pace never
	// passes (an explicit --exchange-budget).
	ExchangeCeiling bool
	// Window is the budgets' window (10 s; tests shorten it).
	Window time.Duration
	// StartPace, by budget name, is a pace in units per second a previous
	// scan of the tenant learned the service allows: the budget starts
	// there instead of at what it was told (and probes above it).
	StartPace map[string]float64
	// Tenant, when set, is the tenant id the credential must reach (a
	// --tenants entry's): another tenant is refused, never scanned under
	// this one's name.
	Tenant string
	// PolicySet is the digest of the policy set whose sections are read,
	// for the manifest.
	PolicySet string
	// Version is the closeout version written into each snapshot.
	Version string
	// Now is the collection time (time.Now by default).
	Now func() time.Time
	// Progress, when set, is called as accounts complete and every second.
	Progress func(Progress)
	// Since, when set, makes the scan incremental (--since DIR).
	Since *Since
}

// Progress is where a scan stands.
type Progress struct {
	Total      int  // accounts in the tenant (Graph's estimate; 0: unknown)
	Enumerated int  // accounts listed so far
	Done       int  // accounts written, this run
	Resumed    int  // accounts a previous run had written
	Reread     int  // accounts a previous run wrote with a section failed on a fault: read again
	Incomplete int  // accounts written with a section not collected
	Retried    int  // accounts read a second time at the end, a section having failed
	Recovered  int  // of those, accounts the second read got more of
	Listing    bool // still listing accounts
	Throttled  int64
	Elapsed    time.Duration
}

// Result is what a scan did.
type Result struct {
	Progress
	Requests map[string]int // Graph reads and Exchange cmdlets by budget
	Budgets  []Budget
	// UsersNotFound are the accounts Users named that the tenant does not
	// hold (as they were spelt).
	UsersNotFound []string
	// OutageCount and OutageTime are the outages of Graph and Exchange the
	// scan waited out.
	OutageCount int
	OutageTime  time.Duration
	// Incremental is what an incremental scan read, carried and spent on
	// the change feeds; nil for a full scan.
	Incremental *Incremental
}

// Outages is how many outages of Graph and Exchange the scan waited out,
// and for how long in all.
func (r *Result) Outages() (int, time.Duration) { return r.OutageCount, r.OutageTime }

// Binding is the budget whose floor is highest: the one the scan's speed
// is bound by.
func (r *Result) Binding() Budget {
	var b Budget
	for _, u := range r.Budgets {
		if u.Floor() >= b.Floor() || b.Name == "" {
			b = u
		}
	}
	return b
}

// the sections a scan knows how to read
var scanSections = map[string]bool{"user": true, "authMethods": true, "registration": true, "roles": true, "risk": true, "oauthGrants": true,
	"mailbox.forwarding": true, "mailbox.protocols": true, "mailbox.inboxRules": true, "mailbox.permissions": true,
	"mailbox.audit": true, "mailbox.restricted": true}

var exchangeSections = []string{"mailbox.forwarding", "mailbox.protocols", "mailbox.inboxRules", "mailbox.permissions", "mailbox.audit", "mailbox.restricted"}

// Run scans the tenant. It fails only when the tenant cannot be read at
// all; an account that cannot be read is that account's coverage.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Workers <= 0 {
		opts.Workers = 64
	}
	if opts.Window <= 0 {
		opts.Window = 10 * time.Second
	}
	if opts.ExchangePer10s <= 0 {
		opts.ExchangePer10s = 1000
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	s := &scanner{opts: opts, start: time.Now(), collectedAt: now().UTC().Truncate(time.Second), sections: map[string]bool{},
		identityB:   newBudget("identity", cmp.Or(opts.IdentityUnitsPer10s, 3500), opts.Window),
		protectionB: newBudget("identityProtection", max(1, int(opts.Window/time.Second)), opts.Window),
		reportsB:    newBudget("reports", max(1, int(opts.Window/(2*time.Second))), opts.Window),
		exchangeB:   exchangeBudget(opts),
		requests:    map[string]*atomic.Int64{"identity": {}, "identityProtection": {}, "reports": {}, "outlook": {}, "exchange": {}}}
	for _, b := range []*budget{s.identityB, s.protectionB, s.reportsB, s.exchangeB} {
		if pace, ok := opts.StartPace[b.name]; ok {
			b.startAt(pace)
		}
	}
	s.unread = map[string]bool{}
	for _, sec := range opts.Sections {
		switch {
		case scanSections[sec] && (opts.Exchange != nil || !strings.HasPrefix(sec, "mailbox.")):
			s.sections[sec] = true
		case !scanSections[sec]:
			s.unread[sec] = true // asked for, but the scan cannot read it yet
		}
	}
	s.sections["user"] = true
	gopts := opts.Graph
	gopts.OnThrottle = s.throttledGraph
	gopts.OnUsage = s.usedGraph
	reader, err := graph.NewReader(gopts)
	if err != nil {
		return nil, err
	}
	reader.Spend = s.spendGraph
	s.graph = reader
	// A resumed scan continues as it began (its manifest says how), and a
	// finished one is left as it is: nothing is read, cut or rewritten.
	var man *Manifest
	if opts.Resume {
		m, err := ReadManifest(opts.Dir)
		switch {
		case err == nil && m.Finished != nil:
			return nil, &FinishedError{Dir: opts.Dir, Manifest: m}
		case err == nil:
			if err := checkResume(m, opts); err != nil {
				return nil, err
			}
			man = m
		case !isNotExist(err):
			return nil, err
		}
	}
	cp, err := openCheckpoint(opts.Dir, opts.Resume)
	if err != nil {
		return nil, err
	}
	defer cp.close()
	s.cp = cp
	s.progress.Resumed = len(cp.done)
	s.progress.Reread = cp.reread

	if err := s.readTenant(ctx); err != nil {
		return nil, err
	}
	if opts.Tenant != "" && !strings.EqualFold(opts.Tenant, s.tenant.ID) {
		return nil, &WrongTenantError{Want: opts.Tenant, Got: s.tenant.ID}
	}
	if man != nil && !strings.EqualFold(man.Tenant.ID, s.tenant.ID) {
		return nil, &WrongTenantError{Want: man.Tenant.ID, Got: s.tenant.ID}
	}
	var noPrevious *Incremental
	if opts.Since != nil {
		var prevErr *PreviousError
		s.inc, err = openPrevious(*opts.Since, opts.Sections, shardOf(opts))
		switch {
		case err != nil && opts.Since.Optional && errors.As(err, &prevErr):
			// Nothing to build on yet: every account is read, as said.
			noPrevious = &Incremental{From: opts.Since.Dir, Full: err.Error(), Read: map[string]int{}, FeedRequests: map[string]int{}}
			opts.Since, s.opts.Since = nil, nil
		case err != nil:
			return nil, err
		}
	}
	if s.inc != nil {
		defer s.inc.close()
		if !strings.EqualFold(s.inc.man.Tenant.ID, s.tenant.ID) {
			return nil, &WrongTenantError{Want: s.inc.man.Tenant.ID, Got: s.tenant.ID}
		}
	}
	if man == nil {
		man = &Manifest{Tenant: ManifestTenant{ID: s.tenant.ID, Domain: s.tenant.DefaultDomain}, Shard: shardOf(opts),
			Filters: filtersOf(opts), Sections: opts.Sections, PolicySet: opts.PolicySet, Started: now().UTC(), Since: sinceDir(opts)}
	}
	man.Version = opts.Version
	if err := writeManifest(opts.Dir, man); err != nil {
		return nil, err
	}
	if n, err := s.graph.Count(ctx, "/users/$count"); err == nil {
		if opts.IdentityUnitsPer10s <= 0 {
			s.identityB.resize(identityBudgetFor(n) / max(opts.Shards, 1))
		}
		// The progress counts what this scan will read: members only
		// unless guests are asked for, this shard's part, the accounts
		// named; the listing makes it exact when it ends.
		total := n
		if !opts.IncludeGuests {
			if m, err := s.graph.Count(ctx, "/users/$count?$filter="+url.QueryEscape("userType eq 'Member'")); err == nil {
				total = m
			}
		}
		if opts.Shards > 1 {
			total = (total + opts.Shards - 1) / opts.Shards
		}
		if len(opts.Users) > 0 {
			total = min(total, len(opts.Users))
		}
		s.progress.Total = total
	}
	if opts.Exchange != nil {
		ex := *opts.Exchange
		ex.OnThrottle = s.exchangeB.throttle
		ex.Pace = s.spendExchangeCtx
		if s.exClient, err = exchange.NewClient(s.tenant.ID, ex); err != nil {
			return nil, err
		}
	}
	defer func() { s.mailboxes.close(); s.casRows.close() }()
	if err := s.bulk(ctx); err != nil {
		return nil, err
	}
	if s.inc != nil {
		if err := s.readFeeds(ctx); err != nil {
			return nil, err
		}
		s.inc.planShare()
	}
	stopTicker := s.tick(ctx)
	err = s.accounts(ctx)
	stopTicker()
	res := &Result{Progress: s.snapshotProgress(), Requests: map[string]int{}, UsersNotFound: s.usersNotFound,
		Budgets: []Budget{s.identityB.use(), s.protectionB.use(), s.reportsB.use(), s.exchangeB.use()}}
	for k, v := range s.requests {
		res.Requests[k] = int(v.Load())
	}
	res.OutageCount, res.OutageTime = s.graph.Outages()
	if s.exClient != nil {
		n, d := s.exClient.Outages()
		res.OutageCount, res.OutageTime = res.OutageCount+n, res.OutageTime+d
	}
	if s.inc != nil {
		s.inc.stats.Full = s.inc.full
		res.Incremental, man.Incremental = s.inc.stats, s.inc.stats
	} else if noPrevious != nil {
		noPrevious.Read["full read"] = res.Done
		res.Incremental = noPrevious
	}
	if err == nil {
		finished := now().UTC()
		man.Finished, man.Accounts = &finished, res.Done+res.Resumed
		err = writeManifest(opts.Dir, man)
	}
	return res, err
}

// identityBudgetFor is Graph's documented identity budget, in resource
// units per 10 s, for a tenant of n users.
func identityBudgetFor(n int) int {
	switch {
	case n < 50:
		return 3500
	case n <= 500:
		return 5000
	}
	return 8000
}

// WrongTenantError is a credential that reaches another tenant than the
// one it was given for.
type WrongTenantError struct{ Want, Got string }

func (e *WrongTenantError) Error() string {
	return fmt.Sprintf("the credential reaches tenant %s, not %s: refusing to scan one tenant under another's name", e.Got, e.Want)
}

func exchangeBudget(opts Options) *budget {
	b := newBudget("exchange", opts.ExchangePer10s, opts.Window)
	if !opts.ExchangeCeiling {
		b.probing()
	}
	return b
}

type scanner struct {
	opts          Options
	usersNotFound []string // names of Users the listing did not hold
	start         time.Time
	collectedAt   time.Time
	sections      map[string]bool
	unread        map[string]bool // sections a policy needs that the scan does not read
	graph         *graph.Reader
	exClient      *exchange.Client
	cp            *checkpoint
	inc           *incremental // an incremental scan's previous scan and feeds (--since)

	identityB, protectionB, reportsB, exchangeB *budget
	requests                                    map[string]*atomic.Int64

	tenant snapshot.Tenant

	// From the tenant-wide lists, by user id (Exchange's by UPN).
	risk       map[string]*snapshot.Risk
	registered map[string]*snapshot.Registration
	// rolesCoverage, when set, is what the PIM eligibility read left the
	// roles section: collected without PIM, or forbidden.
	rolesCoverage *snapshot.CoverageItem
	roles         map[string][]snapshot.Role
	grants        map[string][]snapshot.OAuthGrant
	allGrants     []snapshot.OAuthGrant // tenant-wide (AllPrincipals)
	mailboxes     *rowStore
	casRows       *rowStore
	// From Exchange's tenant-wide lists: the recipients that are not
	// mailboxes, the restricted users by sender address, the identities
	// that bypass mailbox auditing, and why the accepted domains failed.
	directory   *exchange.Directory
	restricted  map[string][]map[string]any
	sendAs      map[string][]map[string]any // by the mailbox's identity
	bypass      map[string]bool
	acceptedErr error
	bulkErrors  map[string]error // section → why its tenant-wide list failed

	mu       sync.Mutex
	progress Progress
}
