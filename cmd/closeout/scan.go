package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/internal/inputfile"
	"github.com/closeout-dev/closeout/internal/safefile"
	"github.com/closeout-dev/closeout/policies"
	"github.com/closeout-dev/closeout/reports"
	"github.com/closeout-dev/closeout/scan"
	"github.com/closeout-dev/closeout/snapshot"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// ScanOptions are the inputs of `closeout scan`.
type ScanOptions struct {
	IO            *IOStreams
	Dir           string
	Resume        bool
	UsersFrom     string
	Group         string
	Exclude       []string
	IncludeGuests bool
	Workers       int
	IdentityUnits int
	ExchangeRate  int
	// identityGiven and exchangeGiven say the budgets were given on the
	// command line: they win over what a previous scan learned.
	identityGiven, exchangeGiven bool
	Shard                        string
	Tenants                      string
	// Since, MaxAge and Overlap make the scan incremental.
	Since, MaxAge, Overlap string
	Check                  CheckOptions
	Connection             connectionFlags
	factory                *factory
	// flags are the command's flags, to tell given from defaulted and to
	// print the command that resumes the scan.
	flags *pflag.FlagSet
}

func newCmdScan(f *factory, runF func(*ScanOptions) error) *cobra.Command {
	opts := &ScanOptions{IO: f.IO, factory: f}
	opts.Check = CheckOptions{IO: f.IO, factory: f}
	opts.Check.Output.noShort = true
	opts.Check.Output.scan = true
	cmd := &cobra.Command{
		Use:   "scan -o DIR",
		Short: "Scan every account of the tenant at Microsoft's throttle limit, resumably",
		Long: `Read every account of the tenant, and the tenant's settings, in posture mode,
and evaluate them. The tenant-wide lists are read once (users, risky users,
role members, grants, Exchange's mailboxes); per account only what has no
bulk form, in $batch where Graph allows, paced to Microsoft's throttling
budgets. Only the sections the active posture policies need are read.

DIR receives tenant.json, snapshots.jsonl (one account per line, written as
accounts complete), results.json (closeout.results/v1, the same as
closeout check over those snapshots) and a checkpoint: after a kill,
closeout scan --resume -o DIR reads only the accounts not yet written.

--since PREVIOUS makes the scan incremental: it builds on PREVIOUS, the
last finished scan of the tenant. The change feeds (Entra ID's directory
audits, Identity Protection's risky users, Exchange's unified audit log)
are read once each from PREVIOUS's start less --overlap; the accounts they
name are read again, as are new accounts, accounts PREVIOUS read
incompletely, accounts whose mailbox auditing is off or bypassed (their own
changes go unlogged), accounts whose user record changed, and a rolling
share so that nothing carried is older than --max-age. Every other account
is carried from PREVIOUS as it was, marked carried, its collectedAt the time
it was read. The results judge the whole tenant. When the feeds cannot vouch
for the tenant (the unified audit log off or unreadable, PREVIOUS older than
the logs keep, other sections asked for) every account is read, and the
summary says why.`,
		Example: `  closeout scan -o out/scan
  closeout scan -o out/scan --resume
  closeout scan -o out/scan --users-from vips.txt --exclude 'svc-*' --output out/scan.html
  closeout scan -o out/nights/2026-12-07 --since out/nights/2026-12-06 --max-age 7d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.identityGiven = cmd.Flags().Changed("identity-budget")
			opts.exchangeGiven = cmd.Flags().Changed("exchange-budget")
			opts.flags = cmd.Flags()
			if runF != nil {
				return runF(opts)
			}
			return scanRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Dir, "dir", "o", "", "the scan's `DIR`: snapshots, results and checkpoint (required; {date} in it, and in --output and --history, is today's date, UTC)")
	fl.BoolVar(&opts.Resume, "resume", false, "finish a scan that was stopped, reading only the accounts not yet written")
	fl.StringVar(&opts.Tenants, "tenants", "", "scan every tenant in the YAML `FILE` (id, label, and how to authenticate: clientId with certificatePath or secretEnv, or tokenEnv), side by side, each within its own budgets, into DIR/LABEL")
	fl.StringVar(&opts.UsersFrom, "users-from", "", "scan only the accounts in `FILE` (UPNs or object ids, one a line)")
	fl.StringVar(&opts.Group, "group", "", "scan only the transitive members of the group with object `ID`")
	fl.StringArrayVar(&opts.Exclude, "exclude", nil, "leave out accounts whose UPN matches `PATTERN` (repeatable; * and ?)")
	fl.BoolVar(&opts.IncludeGuests, "include-guests", false, "scan guest accounts too")
	fl.IntVar(&opts.Workers, "workers", 64, "accounts read at once")
	fl.StringVar(&opts.Since, "since", "", "scan incrementally: build on the previous finished scan `DIR` of the tenant, reading again only the accounts the change feeds name (and new, incomplete, unaudited and due ones) and carrying the rest; {latest} in it is the newest earlier scan at its place (out/nights/{latest}), none yet meaning a full scan")
	fl.StringVar(&opts.MaxAge, "max-age", "7d", "with --since: the oldest a carried snapshot may be, `AGE` (7d, 36h); a share of the accounts is read again each night so none is older")
	fl.StringVar(&opts.Overlap, "overlap", "24h", "with --since: read the change feeds from this long before the previous scan began, `AGE`: audit records appear late")
	fl.StringVar(&opts.Shard, "shard", "", "read one shard of the accounts, `i/n` (0 ≤ i < n) by a stable hash; the shards share the tenant's Graph budget, so give each a part of --identity-budget; closeout merge joins them")
	fl.IntVar(&opts.IdentityUnits, "identity-budget", 0, "Graph resource `UNITS` per 10 s for this app in this tenant (default: Microsoft's for the tenant's size, 3500, 5000 or 8000, divided among the shards); the pace never passes it")
	fl.IntVar(&opts.ExchangeRate, "exchange-budget", 0, "Exchange admin API `CMDLETS` per 10 s, a ceiling the pace never passes (default: start at 1000 and learn the budget in force, above or below: Microsoft documents none)")
	opts.Check.registerEvaluation(fl)
	opts.Check.Output.register(fl)
	opts.Connection.register(cmd)
	// A scan has no deadline of its own: a scheduler sets one.
	opts.Connection.Timeout = 0
	timeout := cmd.Flags().Lookup("timeout")
	timeout.DefValue = "0s"
	timeout.Usage = "stop the scan after `DURATION` (default: none; a scheduler sets its own); accounts not finished are not written, and --resume reads them"
	return cmd
}

func scanRun(opts *ScanOptions) error {
	f := opts.factory
	if opts.Dir == "" {
		return usageErrorf("scan needs -o DIR for its snapshots, results and checkpoint")
	}
	opts.Dir = expandDate(opts.Dir, f.Now())
	opts.Check.expandDate(f.Now())
	if _, err := os.Stat(opts.Dir); err != nil && isReportPath(opts.Dir) {
		return usageErrorf("-o %s names the scan's directory, not a report: for a report, --output %s (the scan's directory is -o DIR)", opts.Dir, opts.Dir)
	}
	if opts.Workers < 1 || opts.Workers > 1024 {
		return usageErrorf("--workers must be between 1 and 1024")
	}
	users, err := readUsersFile(opts.UsersFrom)
	if err != nil {
		return err
	}
	shard, shards, err := parseShard(opts.Shard)
	if err != nil {
		return err
	}
	po, err := opts.Check.Bundle.apply(policies.Options{Dirs: opts.Check.PolicyDirs, EvalTimeout: opts.Check.EvalTimeout})
	if err != nil {
		return err
	}
	set, err := loadPolicies(f, po)
	if err != nil {
		return err
	}
	since, err := opts.since()
	if err != nil {
		return err
	}
	// Read what the posture policies need, and nothing else.
	sections := set.Requires(snapshot.ModePosture)
	so := scan.Options{
		Dir: opts.Dir, Resume: opts.Resume, Sections: sections, Users: users, Group: opts.Group, Exclude: opts.Exclude, Shard: shard, Shards: shards, PolicySet: set.Digest,
		IncludeGuests: opts.IncludeGuests, Workers: opts.Workers, IdentityUnitsPer10s: opts.IdentityUnits, ExchangePer10s: opts.ExchangeRate,
		ExchangeCeiling: opts.exchangeGiven, Version: version, Now: f.Now, Since: since,
		Progress: progressPrinter(opts.IO, "", opts.Check.Output.Quiet),
	}
	opts.Check.loaded = set // evaluated with the set compiled above
	if opts.Tenants != "" {
		return scanTenants(opts, so)
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	if err := scanTenant(opts, &opts.Connection, so, ""); errors.Is(err, errFinished) {
		return nil // said so; nothing changed
	} else if err != nil {
		return err
	}
	return evaluateScanDirs(opts.Check, opts.Dir, opts.Dir)
}

// scanTenant collects one tenant into so.Dir: its settings, then every
// account. label names the tenant in messages when there are several.
func scanTenant(opts *ScanOptions, conn *connectionFlags, so scan.Options, label string) error {
	f := opts.factory
	prefix := "closeout: "
	if label != "" {
		prefix = "closeout: " + label + ": "
	}
	lock, err := lockDir(so.Dir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	if so.Resume {
		// A finished scan is left as it is; an unfinished one continues
		// with the accounts its manifest chose.
		m, err := scan.ReadManifest(so.Dir)
		switch {
		case err == nil && m.Finished != nil:
			fmt.Fprintf(opts.IO.ErrOut, "%s%v\n", prefix, &scan.FinishedError{Dir: so.Dir, Manifest: m})
			return errFinished
		case err == nil:
			opts.fromManifest(&so, m)
		case !errors.Is(err, fs.ErrNotExist):
			return &exitError{code: exitInput, err: err}
		}
	}
	sess, err := conn.session(f)
	if err != nil {
		return err
	}
	defer sess.cancel()
	so.Graph = sess.client
	tenantPath := filepath.Join(so.Dir, "tenant.json")
	if _, statErr := os.Stat(tenantPath); !so.Resume || statErr != nil {
		if _, err := os.Stat(filepath.Join(so.Dir, "snapshots.jsonl")); err == nil && !so.Resume {
			return usageErrorf("%s already holds a scan: add --resume to finish it, or choose another directory", so.Dir)
		}
		doc, err := collectTenant(f, conn)
		if err != nil {
			return err
		}
		if so.Tenant != "" && !strings.EqualFold(doc.Tenant.ID, so.Tenant) {
			return &exitError{code: exitCollection, err: &scan.WrongTenantError{Want: so.Tenant, Got: doc.Tenant.ID}}
		}
		if err := writeOwnJSON(tenantPath, doc); err != nil {
			return &exitError{code: exitInput, err: err}
		}
	}
	if sess.useExchange {
		ex := conn.exchangeOptions(sess.client)
		so.Exchange = &ex
	}
	so.StartPace = learnedPace(so.Dir, opts)
	res, err := scan.Run(sess.ctx, so)
	if res != nil {
		if werr := writeLearnedPace(so.Dir, res.Budgets); werr != nil {
			fmt.Fprintf(opts.IO.ErrOut, "%scould not keep the learned pace: %v\n", prefix, werr)
		}
	}
	if sess.ctx.Err() != nil {
		// Stopped by --timeout or a signal: what was read whole is written,
		// nothing half-read is, and --resume reads the rest.
		written := 0
		if res != nil {
			written = res.Done + res.Resumed
		}
		why, code := "was interrupted", exitInterrupt
		if cause := context.Cause(sess.ctx); errors.Is(cause, context.DeadlineExceeded) {
			why, code = fmt.Sprintf("stopped when %v", cause), exitCollection
		}
		return &exitError{code: code, err: fmt.Errorf("%sthe scan %s after %d accounts; nothing half-read was written. To finish it: %s",
			labelPrefix(label), why, written, resumeCommand(opts))}
	}
	var conflict *scan.ConflictError
	var tampered *scan.CheckpointError
	var previous *scan.PreviousError
	if errors.As(err, &conflict) || errors.As(err, &tampered) || errors.As(err, &previous) {
		return &exitError{code: exitInput, err: err}
	}
	if err != nil {
		return &exitError{code: exitCollection, err: err}
	}
	if missing := res.UsersNotFound; len(missing) > 0 {
		shown := missing[:min(len(missing), 10)]
		more := ""
		if len(missing) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(missing)-len(shown))
		}
		if res.Done+res.Resumed == 0 {
			return &exitError{code: exitInput, err: fmt.Errorf("%snone of the %d accounts of --users-from %s is in the tenant: %s%s", prefix, len(missing), opts.UsersFrom, reports.TermSafe(strings.Join(shown, ", ")), more)}
		}
		fmt.Fprintf(opts.IO.ErrOut, "%s%d accounts of --users-from are not in the tenant (not scanned): %s%s\n", prefix, len(missing), reports.TermSafe(strings.Join(shown, ", ")), more)
	}
	if !opts.Check.Output.Quiet {
		fmt.Fprintf(opts.IO.ErrOut, "%sscanned %d accounts (%d this run, %d before), %d with a section not collected, in %s; %d throttled answers\n",
			prefix, res.Done+res.Resumed, res.Done, res.Resumed, res.Incomplete, res.Elapsed.Round(time.Millisecond), res.Throttled)
		if res.Retried > 0 {
			fmt.Fprintf(opts.IO.ErrOut, "%sread %d accounts again at the end after a section failed; %d of them got more\n", prefix, res.Retried, res.Recovered)
		}
		var uses []string
		for _, b := range res.Budgets {
			notes := ""
			if b.Learned > 0 {
				notes += fmt.Sprintf(", learned %s/s, ended at %s/s", rate(b.Learned), rate(b.Pace))
			}
			if b.Throttled > 0 {
				notes += fmt.Sprintf(", %d throttled", b.Throttled)
			}
			if b.NearLimit > 0 {
				notes += fmt.Sprintf(", %d near the limit", b.NearLimit)
			}
			if b.Spent == 0 && notes == "" {
				continue // a budget the scan had no use for
			}
			uses = append(uses, fmt.Sprintf("%s %d (told %s/s%s)", b.Name, b.Spent, rate(b.PerSecond), notes))
		}
		bind := res.Binding()
		fmt.Fprintf(opts.IO.ErrOut, "%sbudgets spent: %s; the binding one, %s, needs at least %s at %s/s: %.2fx that floor\n",
			prefix, strings.Join(uses, ", "), bind.Name, bind.Floor().Round(time.Millisecond), rate(bind.InForce()), res.Elapsed.Seconds()/max(bind.Floor().Seconds(), 0.001))
		if n, d := res.Outages(); n > 0 {
			fmt.Fprintf(opts.IO.ErrOut, "%swaited out %d outage(s) of Microsoft's services, %s in all\n", prefix, n, d.Round(time.Second))
		}
		if inc := res.Incremental; inc != nil {
			fmt.Fprintf(opts.IO.ErrOut, "%s%s\n", prefix, incrementalSummary(inc))
		}
	}
	return nil
}

// lockDir takes a scan or merge directory (creating it, mode 0700) for
// this command from start to end: two scans into one directory would
// interleave their lines.
func lockDir(dir string) (*safefile.DirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &exitError{code: exitInput, err: err}
	}
	lock, err := safefile.Lock(dir)
	if err != nil {
		return nil, &exitError{code: exitInput, err: err}
	}
	return lock, nil
}

// rate prints units per second to a tenth.
func rate(perSecond float64) string {
	return strconv.FormatFloat(math.Round(perSecond*10)/10, 'f', -1, 64)
}

// pacingFile keeps, in a scan directory, the pace each budget learned the
// service allows: the next scan of the directory starts there.
const pacingFile = "pacing.json"

// learnedPace is the pace a previous scan of dir learned, for the budgets
// the command line did not set.
func learnedPace(dir string, opts *ScanOptions) map[string]float64 {
	raw, err := inputfile.Read(filepath.Join(dir, pacingFile), 1<<16)
	if err != nil {
		return nil
	}
	var kept struct {
		Budgets map[string]float64 `json:"learned"`
	}
	if json.Unmarshal(raw, &kept) != nil {
		return nil
	}
	out := map[string]float64{}
	for name, pace := range kept.Budgets {
		if (name == "exchange" && opts.exchangeGiven) || (name == "identity" && opts.identityGiven) || pace <= 0 || math.IsInf(pace, 0) {
			continue
		}
		out[name] = pace
	}
	return out
}

// writeLearnedPace keeps the budgets the service was found to allow.
func writeLearnedPace(dir string, budgets []scan.Budget) error {
	learned := map[string]float64{}
	for _, b := range budgets {
		if b.Learned > 0 {
			learned[b.Name] = math.Round(b.Learned*10) / 10
		}
	}
	if len(learned) == 0 {
		return nil
	}
	return writeOwnJSON(filepath.Join(dir, pacingFile), map[string]any{"learned": learned})
}

func labelPrefix(l string) string {
	if l == "" {
		return ""
	}
	return l + ": "
}

// expandDate puts the day, UTC, where a path says {date}: a scheduled scan
// writes each night into a directory of its own
// (-o /data/nights/{date}/shard-0), and a retry the same day finds it.
func expandDate(path string, now time.Time) string {
	return strings.ReplaceAll(path, "{date}", now.UTC().Format("2006-01-02"))
}

// expandDate expands {date} in the report and history paths.
func (opts *CheckOptions) expandDate(now time.Time) {
	for i, o := range opts.Output.Outputs {
		opts.Output.Outputs[i] = expandDate(o, now)
	}
	opts.History = expandDate(opts.History, now)
}

// isReportPath says a path names a report file by its extension
// (out/scan.html), which -o DIR of a scan never should.
func isReportPath(path string) bool {
	_, ok := formatForPath(path, "table")
	return ok
}

// errFinished is --resume on a finished scan: said, and nothing else done.
var errFinished = errors.New("the scan had finished")

// fromManifest takes the account filters of a resumed scan from its
// manifest where the command line does not give them (where it does and
// they differ, scan.Run refuses the resume).
func (opts *ScanOptions) fromManifest(so *scan.Options, m *scan.Manifest) {
	given := func(name string) bool { return opts.flags != nil && opts.flags.Changed(name) }
	if !given("shard") && m.Shard != nil {
		so.Shard, so.Shards = m.Shard.Index, m.Shard.Count
	}
	if !given("users-from") {
		so.Users = m.Filters.Users
	}
	if !given("group") {
		so.Group = m.Filters.Group
	}
	if !given("exclude") {
		so.Exclude = m.Filters.Exclude
	}
	if !given("include-guests") {
		so.IncludeGuests = m.Filters.IncludeGuests
	}
	if !given("since") && m.Since != "" {
		since := scan.Since{Dir: m.Since}
		if so.Since != nil {
			since = *so.Since
			since.Dir = m.Since
		}
		so.Since = &since
	}
}

// since is --since and its settings, or nil for a full scan.
func (opts *ScanOptions) since() (*scan.Since, error) {
	given := func(name string) bool { return opts.flags != nil && opts.flags.Changed(name) }
	if opts.Since == "" {
		if given("max-age") || given("overlap") {
			return nil, usageErrorf("--max-age and --overlap go with --since PREVIOUS")
		}
		return nil, nil
	}
	maxAge, err := parseAge(opts.MaxAge)
	if err != nil || maxAge < 24*time.Hour {
		return nil, usageErrorf("--max-age %q: want an age of at least a day, such as 7d or 36h", opts.MaxAge)
	}
	overlap, err := parseAge(opts.Overlap)
	if err != nil || overlap < 0 {
		return nil, usageErrorf("--overlap %q: want an age such as 24h or 2d", opts.Overlap)
	}
	since := &scan.Since{Dir: opts.Since, MaxAge: maxAge, Overlap: overlap}
	if strings.Contains(opts.Since, latestMark) {
		dir, err := latestScan(opts.Since, opts.Dir, opts.Tenants != "")
		if err != nil {
			return nil, err
		}
		if dir == "" {
			fmt.Fprintf(opts.IO.ErrOut, "closeout: --since %s: no earlier finished scan there yet: every account is read\n", opts.Since)
			return nil, nil
		}
		since.Dir, since.Optional = dir, opts.Tenants != ""
	}
	if filepath.Clean(since.Dir) == filepath.Clean(opts.Dir) {
		return nil, usageErrorf("--since %s is the scan's own directory: build on the previous night's, into a new one", since.Dir)
	}
	return since, nil
}

// latestMark in --since stands for the newest earlier scan at its place.
const latestMark = "{latest}"

// latestScan expands {latest} in a --since pattern (/data/nights/{latest}/shard-0):
// of the directories at its place, the latest by name ({date} names sort
// by date) whose path holds a finished scan, the scan's own excepted; with
// --tenants, whose path exists (each tenant's scan is checked when it
// runs). "" when there is none.
func latestScan(pattern, own string, tenants bool) (string, error) {
	before, after, _ := strings.Cut(pattern, latestMark)
	if strings.Contains(after, latestMark) || (before != "" && !strings.HasSuffix(before, "/")) || (after != "" && !strings.HasPrefix(after, "/")) {
		return "", usageErrorf("--since %s: {latest} stands for one whole directory name (DIR/{latest} or DIR/{latest}/SUB)", pattern)
	}
	parent := filepath.Clean(cmp.Or(before, "."))
	entries, err := os.ReadDir(parent)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", &exitError{code: exitInput, err: fmt.Errorf("--since %s: %v", pattern, err)}
	}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if !e.IsDir() || e.Type()&fs.ModeSymlink != 0 {
			continue
		}
		dir := filepath.Join(parent, e.Name(), after)
		if filepath.Clean(dir) == filepath.Clean(own) {
			continue
		}
		if tenants {
			if st, err := os.Stat(dir); err == nil && st.IsDir() {
				return dir, nil
			}
			continue
		}
		if m, err := scan.ReadManifest(dir); err == nil && m.Finished != nil {
			return dir, nil
		}
	}
	return "", nil
}

// parseAge reads a duration that may be in days: 7d, 1.5d, 36h, 90m.
func parseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(strings.TrimSpace(s), "d"); ok {
		n, err := strconv.ParseFloat(d, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("not a number of days")
		}
		return time.Duration(n * 24 * float64(time.Hour)), nil
	}
	return time.ParseDuration(s)
}

// resumeCommand is the command that finishes a stopped scan: this one, as
// it was given (its outputs, budgets, policies and filters), with --resume.
// A token given on the command line is never printed: the line says where
// it goes.
func resumeCommand(opts *ScanOptions) string {
	args := []string{"closeout", "scan"}
	if opts.flags == nil {
		return strings.Join(append(args, "-o", shellQuote(opts.Dir), "--resume"), " ")
	}
	opts.flags.Visit(func(fl *pflag.Flag) {
		switch {
		case fl.Name == "resume":
			return
		case fl.Name == "dir":
			args = append(args, "-o", shellQuote(opts.Dir)) // {date} as it was expanded
			return
		case fl.Name == "token":
			args = append(args, "--token", `"$CLOSEOUT_TOKEN"`)
			return
		}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				args = append(args, "--"+fl.Name, shellQuote(v))
			}
			return
		}
		if fl.Value.Type() == "bool" {
			if fl.Value.String() == "true" {
				args = append(args, "--"+fl.Name)
			} else {
				args = append(args, "--"+fl.Name+"=false")
			}
			return
		}
		args = append(args, "--"+fl.Name, shellQuote(fl.Value.String()))
	})
	return strings.Join(append(args, "--resume"), " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// evaluateScanDirs evaluates what scan directories hold (each one's
// tenant.json and snapshots.jsonl), as closeout check would, into
// OUT/results.json and the reports asked for.
func evaluateScanDirs(check CheckOptions, out string, dirs ...string) error {
	check.Snapshots = nil
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "tenant.json")); err == nil {
			check.Snapshots = append(check.Snapshots, filepath.Join(dir, "tenant.json"))
		}
		check.Snapshots = append(check.Snapshots, filepath.Join(dir, "snapshots.jsonl"))
	}
	outputs := check.Output.Outputs
	check.Output.Outputs = append([]string{"json=" + filepath.Join(out, "results.json")}, outputs...)
	toStdout := false
	for _, o := range outputs {
		toStdout = toStdout || o == "-" || strings.HasSuffix(o, "=-")
	}
	if !toStdout && !check.Output.Quiet {
		// The terminal gets the summary (or the --format asked for)
		// whatever files are written; every finding is in results.json.
		check.Output.Outputs = append(check.Output.Outputs, "-")
	}
	return checkRun(&check)
}

// parseShard reads --shard i/n.
func parseShard(spec string) (int, int, error) {
	if spec == "" {
		return 0, 0, nil
	}
	var i, n int
	if _, err := fmt.Sscanf(spec, "%d/%d", &i, &n); err != nil || n < 1 || i < 0 || i >= n || fmt.Sprintf("%d/%d", i, n) != spec {
		return 0, 0, usageErrorf("--shard %q: want i/n with 0 ≤ i < n, such as 0/3", spec)
	}
	return i, n, nil
}

// readUsersFile reads --users-from: one UPN or object id a line.
func readUsersFile(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := inputfile.Read(path, maxUsersFile)
	if err != nil {
		return nil, &exitError{code: exitInput, err: fmt.Errorf("--users-from %s: %v", path, err)}
	}
	users, err := parseUsers(path, string(raw))
	if err != nil {
		return nil, &exitError{code: exitInput, err: err}
	}
	if len(users) == 0 {
		return nil, usageErrorf("--users-from %s names no account", path)
	}
	return users, nil
}

// maxUsersFile bounds --users-from: a million accounts at 64 bytes each.
const maxUsersFile = 64 << 20

var objectID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// parseUsers reads one account a line: a user principal name or an object
// id; # starts a comment. A CSV export (the admin center's users list)
// works too: the first column is read and its UserPrincipalName header
// skipped. A line that is neither is refused with its line number.
func parseUsers(path, text string) ([]string, error) {
	var users []string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if first, _, csv := strings.Cut(line, ","); csv {
			line = strings.Trim(strings.TrimSpace(first), `"`)
		}
		if i == 0 && strings.EqualFold(line, "UserPrincipalName") {
			continue
		}
		at := strings.LastIndexByte(line, '@')
		if !objectID.MatchString(line) && (at < 1 || at == len(line)-1 || strings.ContainsAny(line, " \t<>")) {
			shown := line
			if len(shown) > 80 {
				shown = shown[:80] + "…"
			}
			return nil, fmt.Errorf("--users-from %s:%d: %s is neither a user principal name (name@domain) nor an object id (a GUID); one account a line, # for a comment", path, i+1, strconv.Quote(reports.TermSafe(shown)))
		}
		users = append(users, line)
	}
	return users, nil
}

// progressPrinter shows a scan's progress: a live bar on a terminal
// (accounts done of the tenant's count, rate, ETA), a line every 10
// seconds otherwise (CI logs).
func progressPrinter(io *IOStreams, label string, quiet bool) func(scan.Progress) {
	if quiet {
		return nil // -q: errors only
	}
	prefix := "scan: "
	if label != "" {
		prefix = "scan " + label + ": "
	}
	if io.ErrTTY {
		var bar *progressbar.ProgressBar
		return func(p scan.Progress) {
			expected := int64(p.Enumerated)
			if p.Listing {
				expected = int64(max(p.Total, p.Enumerated))
			}
			if bar == nil {
				bar = progressbar.NewOptions64(expected, progressbar.OptionSetWriter(io.ErrOut), progressbar.OptionShowCount(),
					progressbar.OptionShowIts(), progressbar.OptionSetItsString("accounts"), progressbar.OptionSetPredictTime(true),
					progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish(), progressbar.OptionFullWidth())
			}
			bar.ChangeMax64(max(expected, 1))
			bar.Describe(fmt.Sprintf("%s%d throttled, %d incomplete", prefix, p.Throttled, p.Incomplete))
			bar.Set64(int64(p.Done + p.Resumed))
		}
	}
	var last time.Time
	return func(p scan.Progress) {
		if time.Since(last) < 10*time.Second {
			return
		}
		last = time.Now()
		rate := float64(p.Done) / max(p.Elapsed.Seconds(), 0.001)
		// The tenant's count (guests and filtered accounts included) until
		// the listing is done, then the accounts actually listed.
		expected := p.Enumerated
		total := fmt.Sprintf("%d", expected)
		if p.Listing {
			expected = max(p.Total, p.Enumerated)
			total = fmt.Sprintf("~%d", expected)
		}
		eta := "-"
		if rate > 0 {
			left := max(0, expected-p.Done-p.Resumed)
			eta = (time.Duration(float64(left)/rate) * time.Second).Round(time.Second).String()
		}
		fmt.Fprintf(io.ErrOut, "%s%d/%s accounts, %.1f/s, eta %s, %d throttled, %d incomplete\n",
			prefix, p.Done+p.Resumed, total, rate, eta, p.Throttled, p.Incomplete)
	}
}

// readReasons are why an incremental scan reads an account, in the order
// the summary gives them.
var readReasons = []string{"changed", "new", "incomplete before", "mailbox audit off or bypassed", "due", "unvouched"}

// incrementalSummary says what an incremental scan read and why, what it
// carried, and what the change feeds cost.
func incrementalSummary(inc *scan.Incremental) string {
	var feeds []string
	for _, name := range []string{"directoryAudits", "unifiedAuditLog"} {
		if n, ok := inc.FeedRequests[name]; ok {
			feeds = append(feeds, fmt.Sprintf("%s %d", name, n))
		}
	}
	cost := "the change feeds cost " + strings.Join(feeds, ", ") + " requests"
	if len(feeds) == 0 {
		cost = "no change feed was read"
	}
	if inc.Full != "" {
		return fmt.Sprintf("read every account (%d), not incrementally: %s; %s", inc.ReadTotal(), inc.Full, cost)
	}
	var why []string
	for _, k := range readReasons {
		if n := inc.Read[k]; n > 0 {
			why = append(why, fmt.Sprintf("%d %s", n, k))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(inc.Read)) {
		if !slices.Contains(readReasons, k) {
			why = append(why, fmt.Sprintf("%d %s", inc.Read[k], k))
		}
	}
	return fmt.Sprintf("incremental since %s: read %d accounts (%s), carried %d; the feeds named %d accounts; %s",
		inc.From, inc.ReadTotal(), strings.Join(why, ", "), inc.Carried, inc.Changes, cost)
}
