package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/closeout-dev/closeout/policies"
	"github.com/closeout-dev/closeout/policies/lint"
	"github.com/spf13/cobra"
)

// PolicyLintOptions are the inputs of `closeout policy lint`.
type PolicyLintOptions struct {
	IO         *IOStreams
	PolicyDirs []string
	NoEmbedded bool
	Format     string
	Output     string
	formatSet  bool
	factory    *factory
}

func newCmdPolicyLint(f *factory, runF func(*PolicyLintOptions) error) *cobra.Command {
	opts := &PolicyLintOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Check the policies as CI gates a policy change: compile, format, metadata, results, tests, unused rules, negations",
		Long: `Check the embedded library and any --policy-dir, reporting every problem with
its file and line. Exit 1 when anything is found. -f sarif (or -o FILE.sarif)
annotates a pull request. The rules:

` + lintRulesHelp(),
		Example: `  closeout policy lint
  closeout policy lint --policy-dir examples/policies --no-embedded -o lint.sarif`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.formatSet = cmd.Flags().Changed("format")
			if runF != nil {
				return runF(opts)
			}
			return policyLintRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.PolicyDirs, "policy-dir", nil, "also lint custom policies in `DIR` (repeatable)")
	fl.BoolVar(&opts.NoEmbedded, "no-embedded", false, "lint only the --policy-dir policies")
	fl.StringVarP(&opts.Format, "format", "f", "table", "`format`: table|json|sarif")
	fl.StringVarP(&opts.Output, "output", "o", "", "also write the problems to `FILE` (format from -f, else .sarif, .json, or a table); stdout keeps the table")
	return cmd
}

func policyLintRun(opts *PolicyLintOptions) error {
	format := opts.Format
	if opts.Output != "" && !opts.formatSet {
		// Without -f the extension says: .sarif, .json, else a table.
		switch strings.ToLower(filepath.Ext(opts.Output)) {
		case ".sarif":
			format = "sarif"
		case ".json":
			format = "json"
		}
	}
	if format != "table" && format != "json" && format != "sarif" {
		return usageErrorf("--format %q: want table, json or sarif", format)
	}
	if opts.NoEmbedded && len(opts.PolicyDirs) == 0 {
		return usageErrorf("--no-embedded needs a --policy-dir to lint")
	}
	findings, err := lint.Run(opts.factory.Context, policies.Options{Dirs: opts.PolicyDirs, NoEmbedded: opts.NoEmbedded})
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	write := func(w io.Writer, format string) error {
		switch format {
		case "json":
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(map[string]any{"findings": findings})
		case "sarif":
			return lint.WriteSARIF(w, findings, version)
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, f := range findings {
			fmt.Fprintf(tw, "%s:%d\t%s\t%s\n", f.File, f.Line, f.Rule, f.Message)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		noun := "problems"
		if len(findings) == 1 {
			noun = "problem"
		}
		_, err := fmt.Fprintf(w, "%d %s\n", len(findings), noun)
		return err
	}
	if opts.Output != "" {
		// The file gets the format; the terminal still gets the table.
		if err := writeFileAtomic(opts.Output, func(f *os.File) error { return write(f, format) }); err != nil {
			return err
		}
		format = "table"
	}
	if err := write(opts.IO.Out, format); err != nil {
		return err
	}
	if len(findings) > 0 {
		return &exitError{code: exitBlocking}
	}
	return nil
}

// lintRulesHelp lists the lint rules for --help, from the list SARIF
// describes them with.
func lintRulesHelp() string {
	var b strings.Builder
	for _, r := range lint.Rules {
		fmt.Fprintf(&b, "  %-14s %s\n", r.ID, r.Description)
	}
	return strings.TrimRight(b.String(), "\n")
}
