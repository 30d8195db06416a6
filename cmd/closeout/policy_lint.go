package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/closeout-dev/closeout/policies"
	"github.com/spf13/cobra"
)

// PolicyLintOptions are the inputs of `closeout policy lint`.
type PolicyLintOptions struct {
	IO         *IOStreams
	PolicyDirs []string
	NoEmbedded bool
	Format     string
	factory    *factory
}

func newCmdPolicyLint(f *factory, runF func(*PolicyLintOptions) error) *cobra.Command {
	opts := &PolicyLintOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Check the policies as CI gates a policy change: compile, format, metadata, results, tests, unused rules",
		Long: `Check the embedded library and any --policy-dir, reporting every problem with
its file and line: strict compilation against the sandbox's builtins, opa fmt
formatting, METADATA (id pattern, severity, checklist key, required
sections, modes), unique ids, a msg in every deny and warn result, a
_test.rego exercising each finding rule, helper rules nothing uses.
Exit 1 when anything is found. -f sarif annotates a pull request.`,
		Example: `  closeout policy lint
  closeout policy lint --policy-dir examples/policies --no-embedded -f sarif > lint.sarif`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
	return cmd
}

func policyLintRun(opts *PolicyLintOptions) error {
	if opts.Format != "table" && opts.Format != "json" && opts.Format != "sarif" {
		return usageErrorf("--format %q: want table, json or sarif", opts.Format)
	}
	if opts.NoEmbedded && len(opts.PolicyDirs) == 0 {
		return usageErrorf("--no-embedded needs a --policy-dir to lint")
	}
	findings, err := policies.Lint(opts.factory.Context, policies.Options{Dirs: opts.PolicyDirs, NoEmbedded: opts.NoEmbedded})
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	switch opts.Format {
	case "json":
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"findings": findings}); err != nil {
			return err
		}
	case "sarif":
		if err := policies.WriteLintSARIF(opts.IO.Out, findings, version); err != nil {
			return err
		}
	default:
		w := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
		for _, f := range findings {
			fmt.Fprintf(w, "%s:%d\t%s\t%s\n", f.File, f.Line, f.Rule, f.Message)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.Out, "%d problems\n", len(findings))
	}
	if len(findings) > 0 {
		return &exitError{code: exitBlocking}
	}
	return nil
}
