package main

import (
	"fmt"
	"github.com/closeout-dev/closeout/policies"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/cover"

	"github.com/spf13/cobra"
)

// PolicyTestOptions are the inputs of `closeout policy test`.
type PolicyTestOptions struct {
	IO          *IOStreams
	PolicyDirs  []string
	Coverage    bool
	MinCoverage float64
	MinPerFile  float64
	Verbose     bool
	factory     *factory
}

func newCmdPolicyTest(f *factory, runF func(*PolicyTestOptions) error) *cobra.Command {
	opts := &PolicyTestOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Run the policies' Rego unit tests in-process",
		Long: `Run every _test.rego of the policy set with OPA's tester, compiled exactly as
the policies are evaluated (strict mode, restricted builtins). Exit 1 when a
test fails or, with --min-coverage, when line coverage is below it.

With --policy-dir, only your files' tests run and only your files are
measured, named as you have them: the built-in library is compiled with
them (import data.closeout.lib) but neither tested nor counted.`,
		Example: "  closeout policy test --coverage\n  closeout policy test --policy-dir ./our-policies --min-coverage 90 --min-coverage-per-file 80",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return policyTestRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.PolicyDirs, "policy-dir", nil, "also load custom policies and their tests from `DIR` (repeatable)")
	fl.BoolVar(&opts.Coverage, "coverage", false, "report line coverage of the policies by their tests")
	fl.Float64Var(&opts.MinCoverage, "min-coverage", 0, "fail when line coverage is below `PERCENT` (implies --coverage)")
	fl.Float64Var(&opts.MinPerFile, "min-coverage-per-file", 0, "fail when any one file's line coverage is below `PERCENT` (implies --coverage)")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "list every test, not only failures")
	return cmd
}

func policyTestRun(opts *PolicyTestOptions) error {
	set, err := loadPolicies(opts.factory, policies.Options{Dirs: opts.PolicyDirs})
	if err != nil {
		return err
	}
	withCoverage := opts.Coverage || opts.MinCoverage > 0 || opts.MinPerFile > 0
	rep, err := set.RunTests(opts.factory.Context, withCoverage)
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	w := opts.IO.Out
	for _, r := range rep.Results {
		status := "PASS"
		switch {
		case r.Error != nil:
			status = "ERROR"
		case r.Fail:
			status = "FAIL"
		case r.Skip:
			status = "SKIP"
		}
		if status == "PASS" && !opts.Verbose {
			continue
		}
		fmt.Fprintf(w, "%-5s %s.%s (%s:%d)", status, strings.TrimPrefix(r.Package, "data."), r.Name, r.Location.File, r.Location.Row)
		if r.Error != nil {
			fmt.Fprintf(w, ": %v", r.Error)
		}
		fmt.Fprintln(w)
	}
	failed := rep.Failed()
	var below []string
	if withCoverage {
		files := make([]string, 0, len(rep.Coverage.Files))
		for name := range rep.Coverage.Files {
			files = append(files, name)
		}
		sort.Strings(files)
		for _, name := range files {
			fr := rep.Coverage.Files[name]
			if fr.Coverage < 100 || opts.Verbose {
				fmt.Fprintf(w, "coverage %5.1f%%  %s (not covered: %s)\n", fr.Coverage, name, notCovered(fr.NotCovered))
			}
			if fr.Coverage < opts.MinPerFile {
				below = append(below, fmt.Sprintf("%s (%.1f%%)", name, fr.Coverage))
			}
		}
		what := "the built-in library"
		if set.HasCustom() {
			what = fmt.Sprintf("your policies (%d files)", len(files))
		}
		fmt.Fprintf(w, "line coverage of %s: %.1f%%\n", what, rep.Coverage.Coverage)
	}
	fmt.Fprintf(w, "policy tests: %d passed, %d failed\n", len(rep.Results)-failed, failed)
	blocked := failed > 0
	if withCoverage && rep.Coverage.Coverage < opts.MinCoverage {
		fmt.Fprintf(opts.IO.ErrOut, "closeout: line coverage %.1f%% is below --min-coverage %.1f%%\n", rep.Coverage.Coverage, opts.MinCoverage)
		blocked = true
	}
	if len(below) > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "closeout: below --min-coverage-per-file %.1f%%: %s\n", opts.MinPerFile, strings.Join(below, ", "))
		blocked = true
	}
	if blocked {
		return &exitError{code: exitBlocking}
	}
	return nil
}

// notCovered renders uncovered line ranges as "12, 15-18".
func notCovered(ranges []cover.Range) string {
	parts := make([]string, 0, len(ranges))
	for _, r := range ranges {
		part := fmt.Sprint(r.Start.Row)
		if r.Start.Row != r.End.Row {
			part = fmt.Sprintf("%d-%d", r.Start.Row, r.End.Row)
		}
		if len(parts) == 0 || parts[len(parts)-1] != part {
			parts = append(parts, part)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
