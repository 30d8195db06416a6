package main

import "github.com/spf13/cobra"

func newCmdPolicy(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "List, test, lint, diff, bundle and document the policies",
		Long: `Work with the policy set: the embedded library plus any --policy-dir.

A pull request that changes policies is gated with 'closeout policy lint'
(every problem, SARIF for annotations), 'closeout policy test --coverage'
(the Rego unit tests, in-process) and 'closeout policy diff --base
origin/main' (which accounts of a snapshot corpus the change flips).
Pipelines ready to copy are in examples/ci/.`,
	}
	cmd.AddCommand(newCmdPolicyList(f, nil), newCmdPolicyTest(f, nil), newCmdPolicyDoc(f, nil), newCmdPolicyLint(f, nil), newCmdPolicyDiff(f, nil), newCmdPolicyBundle(f, nil))
	return cmd
}
