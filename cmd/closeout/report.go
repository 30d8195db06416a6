package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/closeout-dev/closeout/results"
	"github.com/spf13/cobra"
)

// ReportOptions are the inputs of `closeout report`.
type ReportOptions struct {
	IO      *IOStreams
	Results string
	Output  outputFlags
	factory *factory
}

func newCmdReport(f *factory, runF func(*ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:   "report RESULTS.json",
		Short: "Render saved results in another format",
		Long: `Re-render a closeout.results/v1 document (from 'check --format json') in any
format, without the snapshots or the tenant. - reads standard input.`,
		Example: `  closeout report results.json --format html -o report.html
  closeout report results.json -o sarif=closeout.sarif -o junit=closeout.xml
  closeout report results.json --redact --format markdown >> "$GITHUB_STEP_SUMMARY"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("report needs one results file (or - for stdin)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Results = args[0]
			if runF != nil {
				return runF(opts)
			}
			return reportRun(opts)
		},
	}
	opts.Output.register(cmd.Flags())
	return cmd
}

func reportRun(opts *ReportOptions) error {
	in := opts.IO.In
	if opts.Results != "-" {
		f, err := os.Open(opts.Results)
		if err != nil {
			return &exitError{code: exitInput, err: err}
		}
		defer f.Close()
		in = f
	}
	rep, finish, err := openReports(opts.IO, &opts.Output)
	if err != nil {
		return err
	}
	sum, err := results.Decode(in, rep.Begin, rep.Subject)
	if err == nil {
		err = rep.End(sum)
	}
	if ferr := finish(err == nil); err == nil {
		err = ferr
	}
	if err != nil {
		if isSnapshot(opts.Results) {
			return usageErrorf("%s is a snapshot, not a results document: evaluate it with closeout check %s", opts.Results, opts.Results)
		}
		return &exitError{code: exitInput, err: fmt.Errorf("%s: %w", opts.Results, err)}
	}
	opts.Output.sayVerdict(opts.IO, sum)
	return nil
}

// isSnapshot reports whether path holds a snapshot or tenant document
// rather than results, judging by the schemaVersion near its start.
func isSnapshot(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	return bytes.Contains(head[:n], []byte(`"closeout.snapshot/v1"`)) || bytes.Contains(head[:n], []byte(`"closeout.tenant/v1"`))
}
