package main

import (
	"github.com/closeout-dev/closeout/policies"
	"os"

	"github.com/spf13/cobra"
)

// PolicyDocOptions are the inputs of `closeout policy doc`.
type PolicyDocOptions struct {
	IO         *IOStreams
	OutputPath string
	PolicyDirs []string
	factory    *factory
}

func newCmdPolicyDoc(f *factory, runF func(*PolicyDocOptions) error) *cobra.Command {
	opts := &PolicyDocOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:     "doc",
		Short:   "Write the Markdown policy catalogue",
		Example: "  closeout policy doc -o docs/policies.md",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return policyDocRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.OutputPath, "output", "o", "", "write to `PATH` instead of stdout")
	cmd.Flags().StringArrayVar(&opts.PolicyDirs, "policy-dir", nil, "also document custom policies from `DIR` (repeatable)")
	return cmd
}

func policyDocRun(opts *PolicyDocOptions) error {
	set, err := loadPolicies(opts.factory, policies.Options{Dirs: opts.PolicyDirs})
	if err != nil {
		return err
	}
	if opts.OutputPath == "" {
		return set.WriteCatalogue(opts.IO.Out)
	}
	return writeFileAtomic(opts.OutputPath, func(f *os.File) error { return set.WriteCatalogue(f) })
}
