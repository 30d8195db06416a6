package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"go.yaml.in/yaml/v3"
)

// pipelineCommands are the closeout command lines of a CI example, as
// written: GitHub steps' run, GitLab's script, Azure's script steps, with
// continuation lines joined.
func pipelineCommands(t *testing.T, file string) []string {
	raw, err := os.ReadFile(filepath.Join("..", "..", "examples", "ci", file))
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var scripts []string
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				walk(c, k)
			}
		case []any:
			for _, c := range v {
				walk(c, key)
			}
		case string:
			if key == "run" || key == "script" {
				scripts = append(scripts, v)
			}
		}
	}
	walk(doc, "")
	// A block that runs closeout runs whole (its shell lines set what the
	// closeout line reads), but for what this machine has done already:
	// installing closeout, fetching the base branch, the service's
	// logging commands.
	var cmds []string
	for _, s := range scripts {
		s = strings.ReplaceAll(s, "\\\n", " ")
		var keep []string
		for _, line := range strings.Split(s, "\n") {
			line = strings.TrimSpace(line)
			switch {
			case line == "", strings.HasPrefix(line, "#"), strings.HasPrefix(line, "go install "),
				strings.HasPrefix(line, "git fetch "), strings.HasPrefix(line, `echo "##vso`):
				continue
			}
			keep = append(keep, line)
		}
		if block := strings.Join(keep, "; "); strings.Contains(block, "closeout ") {
			cmds = append(cmds, block)
		}
	}
	if len(cmds) < 3 {
		t.Fatalf("%s: found %d closeout commands", file, len(cmds))
	}
	return cmds
}

// The CI examples run as written in a repository of custom policies that
// build on the library (import data.closeout.lib): every gate passes while
// each policy is tested; once a policy without tests is added, lint and
// the coverage gate fail, naming it, and policy diff still reports.
func TestCIExamplesRunAsWritten(t *testing.T) {
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	script.WriteString("mkdir repo/policies\n")
	script.WriteString(`symlink repo/corpus -> ` + filepath.Join(repo, "testdata", "corpus") + `
cp ` + filepath.Join(repo, "examples", "policies", "guest_admin.rego") + ` repo/policies/guest_admin.rego
cp ` + filepath.Join(repo, "examples", "policies", "guest_admin_test.rego") + ` repo/policies/guest_admin_test.rego
cd repo
exec git init -q -b main .
exec git add -A
exec git -c user.name=ci -c user.email=ci@example.com commit -qm base
exec git update-ref refs/remotes/origin/main HEAD
mkdir $WORK/staging
env BASE_REF=main
env CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main
env SYSTEM_PULLREQUEST_TARGETBRANCH=refs/heads/main
env GITHUB_STEP_SUMMARY=$WORK/summary.md
`)
	for _, file := range []string{"github/policy-pr.yml", "gitlab/.gitlab-ci.yml", "azure/azure-pipelines.yml"} {
		cmds := pipelineCommands(t, file)
		run := func(cmd, expect string) {
			cmd = strings.ReplaceAll(cmd, "$(Build.ArtifactStagingDirectory)", "$WORK/staging")
			fmt.Fprintf(&script, "# %s: %s\n%sexec sh -ec '%s'\n", file, cmd, expect, strings.ReplaceAll(cmd, "'", "''"))
		}
		// Every policy tested: every gate passes.
		for _, cmd := range cmds {
			run(cmd, "")
		}
		// A policy without tests: lint and the coverage gate name it.
		script.WriteString("cp $WORK/untested.rego policies/untested.rego\n")
		for _, cmd := range cmds {
			switch {
			case strings.Contains(cmd, "policy lint"):
				run(cmd, "! ")
				script.WriteString("stdout 'policies/untested.rego:\\d+ +tests +no untested_test.rego beside the policy'\n")
			case strings.Contains(cmd, "policy test"):
				run(cmd, "! ")
				script.WriteString("stderr 'below --min-coverage-per-file 80.0%: policies/untested.rego \\(0.0%\\)'\n")
			default:
				run(cmd, "")
			}
		}
		script.WriteString("rm policies/untested.rego\n")
	}
	// The action splits its args on spaces and expands a glob as the
	// shell would (check 'snapshots/*.json' is the check-action example).
	run := actionRunScript(t)
	fmt.Fprintf(&script, `mkdir snapshots
cp %[1]s/clean-hardened.json snapshots/a.json
cp %[1]s/compromised-unremediated.json snapshots/b.json
env ARGS='check --policy-dir policies snapshots/*.json'
env SARIF=check.sarif
env GITHUB_OUTPUT=$WORK/github-output
exec bash -e $WORK/action-run.sh
grep '^exit-code=1$' $WORK/github-output
grep '"uri": "snapshots/b.json"' check.sarif
`, filepath.Join(repo, "testdata", "snapshots"))
	script.WriteString("\n-- action-run.sh --\n" + run + "\n")
	script.WriteString(`
-- untested.rego --
# METADATA
# title: Guests forward no mail outside
# description: A custom policy that has no tests yet.
# custom:
#   id: ACME-003
#   severity: high
#   checklist: custom-guest-forwarding
#   requires: [user, mailbox.forwarding]
#   modes: [posture]
#   remediation: Remove the forwarding of {user}.
package custom.acme.untested

import data.closeout.lib

deny contains "a guest forwards mail outside" if {
	lib.guest_form(input.user.userPrincipalName)
	lib.external_address(input.mailbox.forwardingSmtpAddress)
}
`)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pipelines.txtar"), []byte(script.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, scriptParams(t, dir))
}

// actionRunScript is the shell of action.yml's run step, as written.
func actionRunScript(t *testing.T) string {
	raw, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Runs struct {
			Steps []struct {
				ID  string `yaml:"id"`
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(raw, &action); err != nil {
		t.Fatal(err)
	}
	for _, st := range action.Runs.Steps {
		if st.ID == "run" {
			return strings.TrimSpace(st.Run)
		}
	}
	t.Fatal("action.yml has no step with id run")
	return ""
}
