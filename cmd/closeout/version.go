package main

import (
	"fmt"
	"github.com/closeout-dev/closeout/policies"
	"runtime"

	"github.com/closeout-dev/closeout/snapshot"
	opaversion "github.com/open-policy-agent/opa/v1/version"
	"github.com/spf13/cobra"
)

// VersionOptions are the inputs of `closeout version`.
type VersionOptions struct {
	IO         *IOStreams
	PolicyDirs []string
	factory    *factory
}

func newCmdVersion(f *factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, OPA version and policy-set digest",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.PolicyDirs, "policy-dir", nil, "include custom policies from `DIR` in the digest (repeatable)")
	return cmd
}

func versionRun(opts *VersionOptions) error {
	set, err := loadPolicies(opts.factory, policies.Options{Dirs: opts.PolicyDirs})
	if err != nil {
		return err
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "closeout %s\n", version)
	fmt.Fprintf(w, "commit:          %s\n", buildCommit())
	fmt.Fprintf(w, "opa:             %s\n", opaversion.Version)
	fmt.Fprintf(w, "go:              %s\n", runtime.Version())
	fmt.Fprintf(w, "snapshot schema: %s\n", snapshot.SchemaVersion)
	fmt.Fprintf(w, "policy set:      %s (%d policies)\n", set.Digest, len(set.Policies))
	return nil
}
