package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/closeout-dev/closeout/history"
	"github.com/closeout-dev/closeout/internal/safefile"
	"github.com/closeout-dev/closeout/reports"
	"github.com/closeout-dev/closeout/results"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// registerHistory adds --history to a command that evaluates.
func registerHistory(fl *pflag.FlagSet, path *string) {
	fl.StringVar(path, "history", "", "record the run in the SQLite history `FILE` (first seen, age, time to fix; see closeout history)")
}

// withHistory tees the results into a temporary JSON document when a
// history file is named, and returns what records it once the reports are
// finished. The same evaluation is recorded once, however often.
func withHistory(path string, rep reports.Reporter, finish func(bool) error) (reports.Reporter, func(bool) error, func(*IOStreams) error, error) {
	none := func(*IOStreams) error { return nil }
	if path == "" {
		return rep, finish, none, nil
	}
	// The results are kept beside the history file until recorded, not in
	// $TMPDIR: a container's root (and its /tmp) may be read-only, the
	// history's volume is not.
	tmp, err := createTempBeside(path, ".closeout-results-*.json")
	if err != nil {
		return nil, nil, nil, &exitError{code: exitInput, err: fmt.Errorf("--history %s: %w", path, err)}
	}
	jsonRep, _ := reports.New("json", tmp, reports.Options{})
	record := func(io *IOStreams) error {
		defer os.Remove(tmp.Name())
		if _, err := tmp.Seek(0, 0); err != nil {
			return err
		}
		store, err := history.Open(path)
		if err != nil {
			return &exitError{code: exitInput, err: fmt.Errorf("--history: %w", err)}
		}
		defer store.Close()
		run, added, err := store.Record(tmp)
		tmp.Close()
		if err != nil {
			return &exitError{code: exitInput, err: fmt.Errorf("--history %s: %w", path, err)}
		}
		if added {
			fmt.Fprintf(io.ErrOut, "closeout: recorded run %d in %s\n", run.ID, path)
		} else {
			fmt.Fprintf(io.ErrOut, "closeout: this evaluation is in %s already (run %d)\n", path, run.ID)
		}
		return nil
	}
	return reports.Multi(rep, jsonRep), func(ok bool) error {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
		return finish(ok)
	}, record, nil
}

// historyAnnotator reads, before a run, what the history says: the trend
// of the runs recorded so far, and what places each new failing finding
// (new since the last run, or open since when).
func historyAnnotator(path string, now time.Time) ([]results.TrendPoint, func(*results.Subject), error) {
	store, err := history.Open(path)
	if err != nil {
		return nil, nil, &exitError{code: exitInput, err: fmt.Errorf("--history: %w", err)}
	}
	defer store.Close()
	a, err := store.Annotator()
	if err != nil {
		return nil, nil, &exitError{code: exitInput, err: fmt.Errorf("--history %s: %w", path, err)}
	}
	return a.Trend, func(s *results.Subject) { a.Annotate(s, now) }, nil
}

// HistoryOptions are the inputs of `closeout history`.
type HistoryOptions struct {
	IO        *IOStreams
	Path      string
	Format    string
	Checklist string
	Severity  string
	Tenant    string
	Limit     int
	RunsShown int
	factory   *factory
}

func newCmdHistory(f *factory, runF func(*HistoryOptions) error) *cobra.Command {
	opts := &HistoryOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:   "history FILE",
		Short: "What the recorded runs say: the runs, what is open (oldest first) and how long fixes take",
		Long: `Read a history file that check --history and scan --history record into
(SQLite, one file; the stock sqlite3 shell reads it too). It lists the runs,
the findings still open, most severe first and then oldest first, with when
each was first seen and its age, and the time fixes took per checklist item
and severity. Tenants are named by their domain where a run had the tenant's
document. --checklist, --severity and --tenant narrow what is listed;
--limit bounds the open findings printed (-f json has them all).`,
		Example: `  closeout scan -o out/scan --history out/history.db
  closeout history out/history.db
  closeout history out/history.db --severity critical --tenant contoso.com
  closeout history out/history.db --checklist forwarding-removed --limit 0
  closeout history out/history.db -f json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("history needs the history file")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path = args[0]
			if runF != nil {
				return runF(opts)
			}
			return historyRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Format, "format", "f", "table", "`format`: table|json")
	fl.StringVar(&opts.Checklist, "checklist", "", "only this checklist `ITEM`'s findings")
	fl.StringVar(&opts.Severity, "severity", "", "only findings at or above this `severity`")
	fl.StringVar(&opts.Tenant, "tenant", "", "only this tenant's findings, by `ID or domain`")
	fl.IntVar(&opts.Limit, "limit", 50, "open findings printed in the table (`N`; 0: all)")
	fl.IntVar(&opts.RunsShown, "runs", 20, "runs printed in the table, the latest (`N`; 0: all)")
	return cmd
}

func historyRun(opts *HistoryOptions) error {
	if opts.Format != "table" && opts.Format != "json" {
		return usageErrorf("--format %q: want table or json", opts.Format)
	}
	if _, err := os.Stat(opts.Path); err != nil {
		return &exitError{code: exitInput, err: err}
	}
	store, err := history.Open(opts.Path)
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	defer store.Close()
	filter := history.Filter{Checklist: opts.Checklist, Tenant: opts.Tenant}
	if opts.Severity != "" {
		if filter.MinSeverity, err = results.ParseSeverity(opts.Severity); err != nil {
			return usageErrorf("--severity: %v", err)
		}
	}
	rep, err := store.Report(filter)
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	domains, err := store.Domains()
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	if opts.Format == "json" {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	// Everything the file holds came from a tenant or a file: shown inert,
	// as every report shows it (an escape sequence in a display name does
	// not drive the terminal).
	t := reports.TermSafe
	tenantName := func(ids string) string {
		var names []string
		for _, id := range strings.Split(ids, ",") {
			if d := domains[id]; d != "" {
				id = d
			}
			names = append(names, id)
		}
		return orNone(strings.Join(names, ","))
	}
	w := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	runs := rep.Runs
	if opts.RunsShown > 0 && len(runs) > opts.RunsShown {
		fmt.Fprintf(w, "(%d earlier runs not shown: --runs 0 shows all)\n", len(runs)-opts.RunsShown)
		runs = runs[len(runs)-opts.RunsShown:]
	}
	fmt.Fprintln(w, "RUN\tWHEN\tTENANT\tACCOUNTS\tFAILING\tPOLICY SET")
	for _, r := range runs {
		fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%d\t%s\n", r.ID, r.GeneratedAt.Format("2006-01-02 15:04"), t(tenantName(r.Tenant)), r.Subjects, r.Failing, t(shortDigest(r.PolicyDigest)))
	}
	accounts := map[string]bool{}
	for _, o := range rep.Open {
		accounts[o.Tenant+"\x00"+o.Subject] = true
	}
	fmt.Fprintf(w, "\n%d open findings on %d accounts or tenants, most severe first, then oldest\n", len(rep.Open), len(accounts))
	fmt.Fprintf(w, "SEVERITY\tAGE\tFIRST SEEN\tTENANT\tACCOUNT\tPOLICY\tCHECKLIST\n")
	for i, o := range rep.Open {
		if opts.Limit > 0 && i == opts.Limit {
			fmt.Fprintf(w, "… and %d more (--limit 0 lists all; -f json has every one)\n", len(rep.Open)-i)
			break
		}
		tenant := o.Domain
		if tenant == "" {
			tenant = o.Tenant
		}
		fmt.Fprintf(w, "%s\t%.1f days\t%s\t%s\t%s\t%s\t%s\n", t(o.Severity), o.AgeDays, o.FirstSeen.Format("2006-01-02"), t(orNone(tenant)), t(o.Subject), t(o.PolicyID), t(o.Checklist))
	}
	fmt.Fprintf(w, "\nTIME TO FIX\tSEVERITY\tFIXED\tMEDIAN\tLONGEST\t\n")
	for _, s := range rep.Fixes {
		fmt.Fprintf(w, "%s\t%s\t%d\t%.1f days\t%.1f days\t\n", t(s.Checklist), t(s.Severity), s.Fixed, s.MedianDays, s.MaxDays)
	}
	return w.Flush()
}

// createTempBeside creates a new file, mode 0600, in the directory of path,
// named by pattern (its * replaced by a random string).
func createTempBeside(path, pattern string) (*os.File, error) {
	dir := filepath.Dir(path)
	for range 100 {
		name := filepath.Join(dir, strings.Replace(pattern, "*", strconv.FormatUint(rand.Uint64(), 36), 1))
		f, err := safefile.CreateNew(name)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("no free temporary name in %s", dir)
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		return d[:12]
	}
	return d
}
