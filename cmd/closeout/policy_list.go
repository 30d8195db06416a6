package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/closeout-dev/closeout/policies"
	"github.com/spf13/cobra"
)

// PolicyListOptions are the inputs of `closeout policy list`.
type PolicyListOptions struct {
	IO         *IOStreams
	Format     string
	PolicyDirs []string
	factory    *factory
}

func newCmdPolicyList(f *factory, runF func(*PolicyListOptions) error) *cobra.Command {
	opts := &PolicyListOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the policies with their checklist item, severity and modes",
		Example: "  closeout policy list\n  closeout policy list --format json --policy-dir ./our-policies",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return policyListRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Format, "format", "f", "table", "output `format`: table|json")
	cmd.Flags().StringArrayVar(&opts.PolicyDirs, "policy-dir", nil, "also load custom policies from `DIR` (repeatable)")
	return cmd
}

func policyListRun(opts *PolicyListOptions) error {
	if opts.Format != "table" && opts.Format != "json" {
		return usageErrorf("--format: unknown format %q (want table or json)", opts.Format)
	}
	set, err := loadPolicies(opts.factory, policies.Options{Dirs: opts.PolicyDirs})
	if err != nil {
		return err
	}
	if opts.Format == "json" {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(set.Policies)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tCHECKLIST\tMODES\tREQUIRES\tTITLE")
	for _, p := range set.Policies {
		requires := strings.Join(p.Requires, ",")
		if requires == "" {
			requires = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Severity, p.Checklist, strings.Join(p.Modes, ","), requires, p.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "\n%d policies, digest %s\n", len(set.Policies), set.Digest)
	return nil
}

// loadPolicies loads the policy set, turning a load error into exit code 2.
func loadPolicies(f *factory, opts policies.Options) (*policies.Set, error) {
	if opts.EvalTimeout < 0 {
		return nil, usageErrorf("--eval-timeout must be positive")
	}
	set, err := f.Policies(f.Context, opts)
	if err != nil {
		return nil, &exitError{code: exitInput, err: err}
	}
	return set, nil
}
