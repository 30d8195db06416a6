package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/closeout-dev/closeout/reports"
	"github.com/closeout-dev/closeout/results"
	"github.com/spf13/cobra"
)

// DiffOptions are the inputs of `closeout diff`.
type DiffOptions struct {
	IO      *IOStreams
	Old     string
	New     string
	Format  string
	Output  string
	FailOn  string
	All     bool
	factory *factory
}

func newCmdDiff(f *factory, runF func(*DiffOptions) error) *cobra.Command {
	opts := &DiffOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Say what changed between two runs: newly failing, fixed, still failing, accounts added and removed",
		Long: `Compare two closeout.results/v1 documents, or two scan directories (their
results.json): the counts first, then the findings newly failing, fixed and
otherwise changed; accounts new and removed; policies added, removed or
changed, with the findings they moved labelled. The findings still failing
are counted (--all lists them, each failing since at least the older run).
The Markdown (for a step summary or a ticket) lists at most 2,000 changes,
and says how many more the JSON holds.

Exit 1 when something newly fails at or above --fail-on (an error at any
severity).`,
		Example: `  closeout diff out/scan-monday out/scan-tuesday
  closeout diff old/results.json new/results.json -f markdown >> "$GITHUB_STEP_SUMMARY"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageErrorf("diff needs two results documents or scan directories: OLD NEW")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Old, opts.New = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return diffRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Format, "format", "f", "table", "`format`: "+strings.Join(reports.DiffFormats, "|"))
	fl.StringVarP(&opts.Output, "output", "o", "", "write to `FILE` (mode 0600) instead of stdout")
	fl.StringVar(&opts.FailOn, "fail-on", "high", "exit 1 when a finding at or above this `severity` newly fails (none: never; an error still does)")
	fl.BoolVar(&opts.All, "all", false, "list the findings still failing too (by default they are counted: the diff lists what changed)")
	return cmd
}

func diffRun(opts *DiffOptions) error {
	failOn, err := results.ParseFailOn(opts.FailOn)
	if err != nil {
		return usageErrorf("--fail-on: %v", err)
	}
	if !slices.Contains(reports.DiffFormats, opts.Format) {
		return usageErrorf("--format %q: want one of %s", opts.Format, strings.Join(reports.DiffFormats, ", "))
	}
	open := func(path string) (*os.File, error) {
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			path = filepath.Join(path, "results.json")
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, &exitError{code: exitInput, err: err}
		}
		return f, nil
	}
	oldF, err := open(opts.Old)
	if err != nil {
		return err
	}
	defer oldF.Close()
	newF, err := open(opts.New)
	if err != nil {
		return err
	}
	defer newF.Close()
	d, err := results.Compare(oldF, newF, failOn)
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	if !opts.All {
		d.OmitStillFailing()
	}
	if err := writeOutput(opts.Output, opts.IO.Out, func(w io.Writer) error { return reports.WriteDiff(w, d, opts.Format) }); err != nil {
		return err
	}
	if d.Blocking > 0 {
		if opts.Output != "" {
			fmt.Fprintf(opts.IO.ErrOut, "closeout: %d findings newly failing at or above %s\n", d.Blocking, failOn)
		}
		return &exitError{code: exitBlocking}
	}
	return nil
}
