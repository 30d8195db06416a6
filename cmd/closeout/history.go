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
	IO      *IOStreams
	Path    string
	Format  string
	factory *factory
}

func newCmdHistory(f *factory, runF func(*HistoryOptions) error) *cobra.Command {
	opts := &HistoryOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:   "history FILE",
		Short: "What the recorded runs say: the runs, what is open (oldest first) and how long fixes take",
		Long: `Read a history file that check --history and scan --history record into
(SQLite, one file; the stock sqlite3 shell reads it too). It lists the runs,
the findings still open with when each was first seen and its age, oldest
first, and the time fixes took per checklist item and severity.`,
		Example: `  closeout scan -o out/scan --history out/history.db
  closeout history out/history.db
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
	cmd.Flags().StringVarP(&opts.Format, "format", "f", "table", "`format`: table|json")
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
	rep, err := store.Report()
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
	w := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "RUN\tWHEN\tTENANT\tACCOUNTS\tFAILING\tPOLICY SET")
	for _, r := range rep.Runs {
		fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%d\t%s\n", r.ID, r.GeneratedAt.Format("2006-01-02 15:04"), t(orNone(r.Tenant)), r.Subjects, r.Failing, t(shortDigest(r.PolicyDigest)))
	}
	fmt.Fprintf(w, "\nOPEN (oldest first)\tFIRST SEEN\tAGE\tSEVERITY\tCHECKLIST\t\n")
	for _, o := range rep.Open {
		fmt.Fprintf(w, "%s %s\t%s\t%.1f days\t%s\t%s\t\n", t(o.Subject), t(o.PolicyID), o.FirstSeen.Format("2006-01-02"), o.AgeDays, t(o.Severity), t(o.Checklist))
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
