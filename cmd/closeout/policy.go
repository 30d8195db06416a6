package main

import "github.com/spf13/cobra"

func newCmdPolicy(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "List, test and document the policies",
		Long: `Work with the policy set: the embedded library plus any --policy-dir.

CI gating on policy changes runs 'closeout policy test' (the Rego unit tests,
in-process, with coverage) beside 'go test'.`,
	}
	cmd.AddCommand(newCmdPolicyList(f, nil), newCmdPolicyTest(f, nil), newCmdPolicyDoc(f, nil), newCmdPolicyLint(f, nil), newCmdPolicyDiff(f, nil), newCmdPolicyBundle(f, nil))
	return cmd
}
