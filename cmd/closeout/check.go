package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/internal/inputfile"
	"github.com/closeout-dev/closeout/policies"
	"github.com/closeout-dev/closeout/reports"
	"github.com/closeout-dev/closeout/results"
	"github.com/closeout-dev/closeout/snapshot"
	opaversion "github.com/open-policy-agent/opa/v1/version"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// CheckOptions are the inputs of `closeout check`.
type CheckOptions struct {
	IO         *IOStreams
	Snapshots  []string
	Output     outputFlags
	FailOn     string
	Strict     bool
	PolicyDirs []string
	Bundle     bundleFlags
	Waivers    string
	// Partners is the known-partners file (--partners) merged into every
	// tenant document before it is evaluated.
	Partners string
	Workers  int
	// EvalTimeout bounds one account's evaluation; a policy past it is an error.
	EvalTimeout time.Duration
	// History, when set, records the run in this SQLite file.
	History string
	// annotate places each subject's failing findings in the history.
	annotate func(*results.Subject)
	// partial is what a merge with --allow-partial lacks, for the results.
	partial string
	// loaded is the policy set when the caller has compiled it already
	// (scan, which read it for the sections to collect).
	loaded  *policies.Set
	Verbose bool
	factory *factory
}

func newCmdCheck(f *factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:   "check SNAPSHOT...",
		Short: "Evaluate saved snapshots against the policies, offline",
		Long: `Evaluate one or more snapshots against the policy set, with no tenant access.

A SNAPSHOT is a closeout.snapshot/v1 JSON file, a JSON Lines file with one
snapshot per line (.jsonl), a directory (its .json and .jsonl files, in
name order), or - for standard input. Many accounts stream
through in constant memory. Findings are printed as a table on a terminal;
use --format json for the closeout.results/v1 document.`,
		Example: `  closeout check testdata/snapshots/compromised-remediated.json
  closeout check --format json -o results.json snapshots.jsonl
  closeout check snapshots/
  closeout check -o json=results.json -o html=report.html -o sarif=closeout.sarif snap.json
  closeout check --redact -f markdown snap.json
  closeout check --fail-on critical --strict --policy-dir ./our-policies snap.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("check needs at least one snapshot file, a directory of them, or - for stdin")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := snapshotFiles("", args)
			if err != nil {
				return err
			}
			opts.Snapshots = files
			if runF != nil {
				return runF(opts)
			}
			return checkRun(opts)
		},
	}
	fl := cmd.Flags()
	opts.Output.register(fl)
	opts.registerEvaluation(fl)
	fl.StringVar(&opts.Waivers, "waivers", "", "accepted exceptions, YAML or JSON `FILE`: matching failures become waived until they expire")
	fl.IntVar(&opts.Workers, "workers", 0, fmt.Sprintf("evaluate with `N` goroutines, at most %d (default: one per CPU)", maxWorkers))
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "report fields the snapshot schema does not know")
	return cmd
}

func checkRun(opts *CheckOptions) error {
	f := opts.factory
	failOn, err := results.ParseFailOn(opts.FailOn)
	if err != nil {
		return usageErrorf("--fail-on: %v", err)
	}
	gate := results.Gate{FailOn: failOn, Strict: opts.Strict}
	if opts.Workers < 0 || opts.Workers > maxWorkers {
		return usageErrorf("--workers must be between 0 (one per CPU) and %d", maxWorkers)
	}
	waivers, err := loadWaivers(opts.Waivers)
	if err != nil {
		return err
	}
	rep, finish, err := openReports(opts.IO, &opts.Output)
	if err != nil {
		return err
	}
	rep, finish, recordHistory, err := withHistory(opts.History, rep, finish)
	if err != nil {
		return err
	}
	set := opts.loaded
	if set == nil {
		po, err := opts.Bundle.apply(policies.Options{Dirs: opts.PolicyDirs, EvalTimeout: opts.EvalTimeout})
		if err == nil {
			set, err = loadPolicies(f, po)
		}
		if err != nil {
			finish(false)
			return err
		}
	}
	warnUnknownWaivers(opts.IO.ErrOut, waivers, set)
	partners, partnersFile, err := loadPartners(opts.Partners)
	if err != nil {
		finish(false)
		return err
	}
	meta := results.Meta{
		GeneratedAt: f.Now(),
		Tool: results.Tool{Name: "closeout", Version: version, Commit: buildCommit(),
			OPAVersion: opaversion.Version, SchemaInput: snapshot.SchemaVersion},
		PolicySet:     results.PolicySet{Digest: set.Digest, Count: len(set.Policies), Custom: opts.PolicyDirs, Embedded: set.Embedded, Bundle: bundleInfo(set, opts.IO)},
		FailOn:        failOn,
		Strict:        opts.Strict,
		Policies:      set.Info(),
		KnownPartners: partnersFile,
		Partial:       opts.partial,
	}
	if opts.History != "" {
		trend, annotate, err := historyAnnotator(opts.History, meta.GeneratedAt)
		if err != nil {
			finish(false)
			return err
		}
		meta.Trend, opts.annotate = trend, annotate
	}
	tally, err := evaluateStream(opts, set, gate, meta, rep, waivers, partners)
	if ferr := finish(err == nil); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	opts.Output.sayVerdict(opts.IO, tally.Summary)
	if err := recordHistory(opts.IO); err != nil {
		return err
	}
	for _, e := range tally.Summary.InputErrors {
		fmt.Fprintf(opts.IO.ErrOut, "closeout: %s\n", e.Message)
	}
	switch {
	case tally.Summary.InputErrorCount > 0:
		if extra := tally.Summary.InputErrorCount - len(tally.Summary.InputErrors); extra > 0 {
			fmt.Fprintf(opts.IO.ErrOut, "closeout: … and %d more input errors\n", extra)
		}
		return &exitError{code: exitInput}
	case tally.Summary.Blocking > 0:
		return &exitError{code: exitBlocking}
	}
	return nil
}

// maxWorkers bounds --workers: evaluation is CPU-bound, so more goroutines
// than this only cost memory.
const maxWorkers = 256

// registerEvaluation adds the flags of every command that evaluates
// (check, scan, merge): the gate, the policies and the history.
func (opts *CheckOptions) registerEvaluation(fl *pflag.FlagSet) {
	fl.StringVar(&opts.FailOn, "fail-on", "high", "exit 1 when a finding at or above this `severity` fails: critical|high|medium|low|info, or none (findings never change the exit code; an evaluation error still does)")
	fl.BoolVar(&opts.Strict, "strict", false, "count unknown findings as failing (error findings always are)")
	fl.StringArrayVar(&opts.PolicyDirs, "policy-dir", nil, "also load custom policies from `DIR` (repeatable)")
	registerEvalTimeout(fl, &opts.EvalTimeout)
	registerBundle(fl, &opts.Bundle)
	registerHistory(fl, &opts.History)
	fl.StringVar(&opts.Partners, "partners", "", "known partners, YAML or JSON `FILE`: the outbound connectors the organisation vouches for (CO-TEN-010)")
}

// registerEvalTimeout adds --eval-timeout to a command that evaluates.
func registerEvalTimeout(fl *pflag.FlagSet, d *time.Duration) {
	fl.DurationVar(d, "eval-timeout", policies.DefaultEvalTimeout, "stop evaluating one account after `DURATION`; a policy still running is an error finding")
}

// evaluateStream reads every snapshot in order, evaluates them concurrently
// and feeds the reporter as results arrive, keeping nothing but the tally.
func evaluateStream(opts *CheckOptions, set *policies.Set, gate results.Gate, meta results.Meta, rep reports.Reporter, waivers *results.Waivers, partners *snapshot.KnownPartners) (*results.Tally, error) {
	f := opts.factory
	tally := results.NewTally(gate)
	if err := rep.Begin(meta); err != nil {
		return nil, err
	}
	next := snapshotSource(opts.Snapshots, opts.IO.In)
	if partners != nil {
		read := next
		next = func() (*snapshot.Document, error) {
			doc, err := read()
			if err == nil && doc.IsTenant() {
				doc.SetKnownPartners(partners)
			}
			return doc, err
		}
	}
	start := time.Now()
	err := set.Stream(f.Context, opts.Workers, next, func(sub *results.Subject, inErr error) error {
		if inErr != nil {
			tally.AddInputError(inputSource(inErr), inErr.Error())
			return nil
		}
		if opts.Verbose {
			reportUnknownFields(opts.IO.ErrOut, sub)
		}
		waivers.Apply(sub, meta.GeneratedAt)
		if opts.annotate != nil {
			opts.annotate(sub)
		}
		tally.Add(sub)
		return rep.Subject(sub)
	})
	if err != nil {
		return nil, err
	}
	tally.Summary.Timings = results.Timings{
		LoadPoliciesMs: set.LoadTime.Milliseconds(),
		EvaluateMs:     time.Since(start).Milliseconds(),
	}
	return tally, rep.End(tally.Summary)
}

func reportUnknownFields(w io.Writer, sub *results.Subject) {
	if fields := sub.UnknownFields; len(fields) > 0 {
		fmt.Fprintf(w, "closeout: %s: note: kept unknown top-level fields: %s\n", sub.Source, strings.Join(fields, ", "))
	}
}

// snapshotSource yields the documents of every path in turn. A path that
// cannot be opened, or a document that does not validate, is yielded as an
// error in its place, and reading goes on with the next.
func snapshotSource(paths []string, stdin io.Reader) func() (*snapshot.Document, error) {
	var cur *snapshot.Reader
	i := 0
	return func() (*snapshot.Document, error) {
		for {
			if cur == nil {
				if i >= len(paths) {
					return nil, io.EOF
				}
				r, err := snapshot.Open(paths[i], stdin, snapshot.DefaultLimits)
				i++
				if err != nil {
					return nil, err
				}
				cur = r
			}
			doc, err := cur.Next()
			if err == io.EOF {
				cur.Close()
				cur = nil
				continue
			}
			return doc, err
		}
	}
}

// inputSource is "file:line" for an input error, or "" when it names none.
func inputSource(err error) string {
	var se *snapshot.Error
	if !errors.As(err, &se) {
		return ""
	}
	if se.Line > 0 {
		return fmt.Sprintf("%s:%d", se.File, se.Line)
	}
	return se.File
}

// warnUnknownWaivers says which waivers name a policy the set lacks.
func warnUnknownWaivers(w io.Writer, waivers *results.Waivers, set *policies.Set) {
	known := map[string]bool{}
	for _, p := range set.Policies {
		known[p.ID] = true
	}
	for _, msg := range waivers.Unknown(func(id string) bool { return known[id] }) {
		fmt.Fprintf(w, "closeout: warning: %s\n", msg)
	}
}

// loadPartners reads --partners, if given, and says what was read; a bad
// file is an input error.
func loadPartners(path string) (*snapshot.KnownPartners, *results.InputFile, error) {
	if path == "" {
		return nil, nil, nil
	}
	raw, err := inputfile.Read(path, inputfile.MaxBytes)
	if err != nil {
		return nil, nil, &exitError{code: exitInput, err: fmt.Errorf("--partners %s: %w", path, err)}
	}
	p, err := snapshot.ParsePartners(raw, path)
	if err != nil {
		return nil, nil, &exitError{code: exitInput, err: err}
	}
	sum := sha256.Sum256(raw)
	return p, &results.InputFile{File: path, SHA256: hex.EncodeToString(sum[:])}, nil
}

// loadWaivers reads --waivers, if given; a bad file is an input error.
func loadWaivers(path string) (*results.Waivers, error) {
	if path == "" {
		return nil, nil
	}
	w, err := results.LoadWaivers(path)
	if err != nil {
		return nil, &exitError{code: exitInput, err: err}
	}
	return w, nil
}
