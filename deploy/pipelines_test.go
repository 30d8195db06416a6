package deploy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// pipelineStep is one shell step of an example pipeline, with the
// variables its CI service would set.
type pipelineStep struct {
	name   string
	script string
	env    []string
}

// run runs the step as its CI service would, in work, with closeout
// from bin on PATH.
func (s pipelineStep) run(work, bin string) ([]byte, error) {
	cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", s.script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Env = append(cmd.Env, s.env...)
	return cmd.CombinedOutput()
}

// The three example pipelines run as written, step by step, in a scratch
// clone where a pull request lowers a custom policy's severity: lint
// writes its SARIF, the Rego tests pass with coverage, and the diff
// posted for the reviewer names the change. Only the step that installs
// closeout is left out (the binary built from this tree is on PATH), and
// the CI service's variables and macros are set as the service would.
func TestPipelinesRun(t *testing.T) {
	eachPipeline(t, func(t *testing.T, c pipeline, raw []byte, work, bin string) {
		out := t.TempDir()
		steps := c.steps(t, raw, out)
		if len(steps) < 3 {
			t.Fatalf("%s: %d steps run closeout, want lint, test and diff", c.file, len(steps))
		}
		for _, s := range steps {
			if b, err := s.run(work, bin); err != nil {
				t.Fatalf("%s: step %q: %v\n%s", c.file, s.name, err, b)
			}
		}
		sarifPath := filepath.Join(work, "lint.sarif")
		diffPath := filepath.Join(work, "policy-diff.md")
		if c.summary != "" {
			diffPath = filepath.Join(out, c.summary)
		}
		if c.name == "azure" {
			sarifPath = filepath.Join(out, "lint.sarif")
		}
		var sarif struct {
			Version string `json:"version"`
			Runs    []struct {
				Results []any `json:"results"`
			} `json:"runs"`
		}
		if b, err := os.ReadFile(sarifPath); err != nil || json.Unmarshal(b, &sarif) != nil || sarif.Version != "2.1.0" || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) != 0 {
			t.Errorf("%s: lint SARIF: want SARIF 2.1.0 with no results, got %+v (%v)", c.file, sarif, err)
		}
		diff, err := os.ReadFile(diffPath)
		if err != nil {
			t.Fatalf("%s: the diff for the reviewer: %v", c.file, err)
		}
		for _, want := range []string{"ACME-001 (severity high → medium)", "holds Global Administrator without a FIDO2 security key"} {
			if !strings.Contains(string(diff), want) {
				t.Errorf("%s: the diff does not say %q:\n%s", c.file, want, diff)
			}
		}
	})
}

// The pipelines' gates measure the user's own policies: a pull request
// that adds a policy (building on the library) without tests fails lint
// and the coverage gate, each naming the file, in all three pipelines.
// (Counting the built-in library's coverage, a file at 0% once passed a
// 90% gate.)
func TestPipelinesFailOnAnUntestedPolicy(t *testing.T) {
	eachPipeline(t, func(t *testing.T, c pipeline, raw []byte, work, bin string) {
		if err := os.WriteFile(filepath.Join(work, "policies", "untested.rego"), []byte(untestedPolicy), 0o644); err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		failed := map[string]string{}
		for _, s := range c.steps(t, raw, out) {
			b, err := s.run(work, bin)
			for _, gate := range []string{"policy lint", "policy test", "policy diff"} {
				if strings.Contains(s.script, gate) && err != nil {
					failed[gate] = string(b)
				}
			}
		}
		if !strings.Contains(failed["policy lint"], "policies/untested.rego") {
			t.Errorf("%s: lint did not fail naming policies/untested.rego: %q", c.file, failed["policy lint"])
		}
		if !strings.Contains(failed["policy test"], "policies/untested.rego (0.0%)") {
			t.Errorf("%s: the coverage gate did not fail naming policies/untested.rego: %q", c.file, failed["policy test"])
		}
		if out, bad := failed["policy diff"]; bad {
			t.Errorf("%s: policy diff failed: %s", c.file, out)
		}
	})
}

const untestedPolicy = `# METADATA
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
`

// pipeline is one example pipeline: its file and how its steps are read.
type pipeline struct {
	name    string
	file    string
	steps   func(t *testing.T, raw []byte, out string) []pipelineStep
	summary string // where the step writes the diff, under out
}

// eachPipeline runs check on every example pipeline, in a fresh clone with
// a pull request, closeout built from this tree in bin.
func eachPipeline(t *testing.T, check func(t *testing.T, c pipeline, raw []byte, work, bin string)) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: the pipelines read the base policies with git")
	}
	bin := buildCloseout(t)
	for _, c := range pipelines {
		t.Run(c.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("..", "examples", "ci", c.file))
			if err != nil {
				t.Fatal(err)
			}
			check(t, c, raw, pullRequestClone(t), bin)
		})
	}
}

var pipelines = []pipeline{
	{"github", "github/policy-pr.yml", githubSteps, "summary.md"},
	{"gitlab", "gitlab/.gitlab-ci.yml", gitlabSteps, ""},
	{"azure", "azure/azure-pipelines.yml", azureSteps, "policy-diff.md"},
}

func buildCloseout(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "closeout"), "../cmd/closeout")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// pullRequestClone makes an upstream repository with policies/ (the
// example custom policy) and corpus/ (scenario snapshots) on main, and
// returns a clone of it on a branch that lowers the policy's severity.
func pullRequestClone(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	upstream, work := filepath.Join(root, "upstream"), filepath.Join(root, "work")
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=ci", "GIT_AUTHOR_EMAIL=ci@example.com",
			"GIT_COMMITTER_NAME=ci", "GIT_COMMITTER_EMAIL=ci@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, b)
		}
	}
	copyInto := func(dst string, srcs ...string) {
		t.Helper()
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, src := range srcs {
			b, err := os.ReadFile(src)
			if err == nil {
				err = os.WriteFile(filepath.Join(dst, filepath.Base(src)), b, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	policies, _ := filepath.Glob(filepath.Join("..", "examples", "policies", "*.rego"))
	copyInto(filepath.Join(upstream, "policies"), policies...)
	copyInto(filepath.Join(upstream, "corpus"),
		filepath.Join("..", "testdata", "snapshots", "clean-hardened.json"),
		filepath.Join("..", "testdata", "snapshots", "compromised-unremediated.json"),
		filepath.Join("..", "testdata", "snapshots", "missed-sms-only.json"),
		filepath.Join("..", "testdata", "corpus", "compromised-unremediated--privileged-role.json"))
	git(upstream, "init", "-q", "-b", "main")
	git(upstream, "add", ".")
	git(upstream, "commit", "-q", "-m", "policies and corpus")
	git(root, "clone", "-q", upstream, work)
	git(work, "checkout", "-q", "-b", "lower-severity")
	p := filepath.Join(work, "policies", "admin_security_key.rego")
	b, err := os.ReadFile(p)
	if err != nil || !strings.Contains(string(b), "severity: high") {
		t.Fatalf("%s: want a policy of severity high to change (%v)", p, err)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), "severity: high", "severity: medium", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	git(work, "commit", "-q", "-am", "ACME-001 is medium")
	return work
}

// runsCloseout keeps the steps that run closeout, not the one that
// installs it.
func runsCloseout(script string) bool {
	return strings.Contains(script, "closeout ") && !strings.Contains(script, "go install")
}

func githubSteps(t *testing.T, raw []byte, out string) []pipelineStep {
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string            `json:"name"`
				Run  string            `json:"run"`
				Env  map[string]string `json:"env"`
			} `json:"steps"`
		} `json:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	github := map[string]string{"${{ github.base_ref }}": "main"}
	var steps []pipelineStep
	for _, job := range wf.Jobs {
		for _, s := range job.Steps {
			if !runsCloseout(s.Run) {
				continue
			}
			if strings.Contains(s.Run, "${{") {
				t.Errorf("step %q pastes an expression into its script: pass it through env", s.Name)
			}
			env := []string{"GITHUB_STEP_SUMMARY=" + filepath.Join(out, "summary.md")}
			for k, v := range s.Env {
				if val, ok := github[v]; ok {
					v = val
				}
				env = append(env, k+"="+v)
			}
			steps = append(steps, pipelineStep{s.Name, s.Run, env})
		}
	}
	return steps
}

func gitlabSteps(t *testing.T, raw []byte, _ string) []pipelineStep {
	var doc struct {
		Job struct {
			Script []string `json:"script"`
		} `json:"closeout-policies"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var steps []pipelineStep
	for _, line := range doc.Job.Script {
		if runsCloseout(line) || strings.HasPrefix(line, "git ") {
			steps = append(steps, pipelineStep{line, line, []string{"CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main"}})
		}
	}
	return steps
}

var azureMacro = regexp.MustCompile(`\$\([A-Z][A-Za-z]*\.[A-Za-z.]+\)`)

func azureSteps(t *testing.T, raw []byte, out string) []pipelineStep {
	var doc struct {
		Steps []struct {
			Script      string `json:"script"`
			DisplayName string `json:"displayName"`
		} `json:"steps"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var steps []pipelineStep
	for _, s := range doc.Steps {
		if !runsCloseout(s.Script) {
			continue
		}
		// Azure replaces $(Name) macros before the shell sees the script.
		script := strings.ReplaceAll(s.Script, "$(Build.ArtifactStagingDirectory)", out)
		if m := azureMacro.FindString(script); m != "" {
			t.Errorf("step %q uses the macro %s, which the test does not set", s.DisplayName, m)
		}
		steps = append(steps, pipelineStep{s.DisplayName, script, []string{"SYSTEM_PULLREQUEST_TARGETBRANCH=refs/heads/main"}})
	}
	return steps
}

// The action's run step, as written, splits args on spaces and expands a
// glob as the shell would: check-action.yml's `check --policy-dir
// policies snapshots/*.json` checks every snapshot (it used to pass the
// pattern itself, and check refused it).
func TestActionExpandsGlobs(t *testing.T) {
	bin := buildCloseout(t)
	raw, err := os.ReadFile(filepath.Join("..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Runs struct {
			Steps []struct {
				ID  string `json:"id"`
				Run string `json:"run"`
			} `json:"steps"`
		} `json:"runs"`
	}
	if err := yaml.Unmarshal(raw, &action); err != nil {
		t.Fatal(err)
	}
	script := ""
	for _, s := range action.Runs.Steps {
		if s.ID == "run" {
			script = s.Run
		}
	}
	if script == "" {
		t.Fatal("action.yml has no step with id run")
	}
	work := t.TempDir()
	for _, dir := range []string{"snapshots", "policies"} {
		if err := os.MkdirAll(filepath.Join(work, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, src := range map[string]string{"a.json": "clean-hardened.json", "b.json": "compromised-unremediated.json"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "snapshots", src))
		if err == nil {
			err = os.WriteFile(filepath.Join(work, "snapshots", name), b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"guest_admin.rego", "guest_admin_test.rego"} {
		b, err := os.ReadFile(filepath.Join("..", "examples", "policies", f))
		if err == nil {
			err = os.WriteFile(filepath.Join(work, "policies", f), b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	output := filepath.Join(work, "github-output")
	cmd := exec.Command("bash", "-e", "-c", script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"ARGS=check --policy-dir policies snapshots/*.json", "SARIF=check.sarif", "GITHUB_OUTPUT="+output)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the run step: %v\n%s", err, b)
	}
	got, _ := os.ReadFile(output)
	if strings.TrimSpace(string(got)) != "exit-code=1" {
		t.Errorf("GITHUB_OUTPUT %q, want exit-code=1 (b.json has blocking findings)", got)
	}
	sarif, _ := os.ReadFile(filepath.Join(work, "check.sarif"))
	if !strings.Contains(string(sarif), "snapshots/b.json") {
		t.Errorf("check.sarif does not name snapshots/b.json: the glob was not expanded")
	}
}
