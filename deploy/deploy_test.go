package deploy

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// The manifests decode strictly into the Kubernetes API types (an unknown
// or misspelt field fails), and the CronJob is what the README says: an
// Indexed Job, a shard per index, retried per index, the Secret's
// credentials, the output on a volume.
func TestKubernetesManifests(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("kubernetes", "scan-cronjob.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cj batchv1.CronJob
	if err := yaml.UnmarshalStrict(raw, &cj); err != nil {
		t.Fatalf("scan-cronjob.yaml: %v", err)
	}
	job := cj.Spec.JobTemplate.Spec
	if cj.Kind != "CronJob" || cj.Spec.Schedule == "" {
		t.Errorf("kind %q schedule %q", cj.Kind, cj.Spec.Schedule)
	}
	if job.CompletionMode == nil || *job.CompletionMode != batchv1.IndexedCompletion || job.BackoffLimitPerIndex == nil || job.Completions == nil {
		t.Fatalf("not an Indexed Job retried per index: %+v", job)
	}
	c := job.Template.Spec.Containers[0]
	args := strings.Join(c.Args, " ")
	if !strings.Contains(args, "--shard=$(JOB_COMPLETION_INDEX)/4") || *job.Completions != 4 {
		t.Errorf("the shard does not come from JOB_COMPLETION_INDEX over the completions: %s", args)
	}
	if len(c.EnvFrom) == 0 || c.EnvFrom[0].SecretRef == nil || c.EnvFrom[0].SecretRef.Name != "closeout-app" {
		t.Errorf("credentials not from the Secret: %+v", c.EnvFrom)
	}
	if len(c.VolumeMounts) == 0 || job.Template.Spec.Volumes[0].PersistentVolumeClaim == nil {
		t.Error("the output is not on a volume")
	}
	if job.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %q: an Indexed Job with backoffLimitPerIndex needs Never", job.Template.Spec.RestartPolicy)
	}

	raw, err = os.ReadFile(filepath.Join("kubernetes", "secret.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var secret corev1.Secret
	if err := yaml.UnmarshalStrict(raw, &secret); err != nil {
		t.Fatalf("secret.example.yaml: %v", err)
	}
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"} {
		if _, ok := secret.StringData[k]; !ok {
			t.Errorf("the example Secret lacks %s", k)
		}
	}
}

// Every shipped workflow passes actionlint: the scheduled scan here and
// the policy pull-request pipeline in examples/ci.
func TestWorkflowsPassActionlint(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("github-actions", "*.yml"))
	ci, _ := filepath.Glob(filepath.Join("..", "examples", "ci", "github", "*.yml"))
	if len(files) == 0 || len(ci) == 0 {
		t.Fatal("no workflow")
	}
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(files, ci...) {
		errs, err := linter.LintFile(f, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range errs {
			t.Errorf("%s:%d:%d: %s [%s]", f, e.Line, e.Column, e.Message, e.Kind)
		}
	}
}

// The GitLab and Azure Pipelines examples parse, and have what each
// service needs to run them: a job with a script (GitLab), steps
// (Azure), and each runs lint, test and diff.
func TestCIPipelineExamples(t *testing.T) {
	for _, c := range []struct {
		file string
		keys func(doc map[string]any) error
	}{
		{filepath.Join("..", "examples", "ci", "gitlab", ".gitlab-ci.yml"), func(doc map[string]any) error {
			if _, ok := doc["stages"].([]any); !ok {
				return fmt.Errorf("no stages list")
			}
			job, ok := doc["closeout-policies"].(map[string]any)
			if !ok {
				return fmt.Errorf("no closeout-policies job")
			}
			if s, ok := job["script"].([]any); !ok || len(s) == 0 {
				return fmt.Errorf("the job has no script")
			}
			if _, ok := job["stage"].(string); !ok {
				return fmt.Errorf("the job has no stage")
			}
			return nil
		}},
		{filepath.Join("..", "examples", "ci", "azure", "azure-pipelines.yml"), func(doc map[string]any) error {
			steps, ok := doc["steps"].([]any)
			if !ok || len(steps) == 0 {
				return fmt.Errorf("no steps")
			}
			for i, s := range steps {
				m, ok := s.(map[string]any)
				if !ok || (m["script"] == nil && m["task"] == nil && m["checkout"] == nil) {
					return fmt.Errorf("step %d is not a script, task or checkout", i)
				}
			}
			if _, ok := doc["pool"].(map[string]any); !ok {
				return fmt.Errorf("no pool")
			}
			return nil
		}},
	} {
		raw, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.UnmarshalStrict(raw, &doc); err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if err := c.keys(doc); err != nil {
			t.Errorf("%s: %v", c.file, err)
		}
		for _, cmd := range []string{"closeout policy lint", "closeout policy test", "closeout policy diff --base"} {
			if !strings.Contains(string(raw), cmd) {
				t.Errorf("%s does not run %s", c.file, cmd)
			}
		}
	}
}

// The composite action at the repository's root is well formed: every
// run step names its shell, every input it reads is declared, inputs
// reach scripts only through env (never pasted into a script), and the
// example workflows that use it pass only declared inputs.
func TestCompositeAction(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Name    string                    `json:"name"`
		Inputs  map[string]map[string]any `json:"inputs"`
		Outputs map[string]map[string]any `json:"outputs"`
		Runs    struct {
			Using string           `json:"using"`
			Steps []map[string]any `json:"steps"`
		} `json:"runs"`
	}
	if err := yaml.Unmarshal(raw, &action); err != nil {
		t.Fatal(err)
	}
	if action.Name == "" || action.Runs.Using != "composite" || len(action.Runs.Steps) == 0 {
		t.Fatalf("action.yml: want a named composite action with steps, got %q %q", action.Name, action.Runs.Using)
	}
	for i, s := range action.Runs.Steps {
		if script, ok := s["run"].(string); ok {
			if s["shell"] == nil {
				t.Errorf("step %d runs a script without a shell", i)
			}
			if strings.Contains(script, "${{") {
				t.Errorf("step %d pastes an expression into its script: pass it through env", i)
			}
		}
	}
	for _, m := range regexp.MustCompile(`inputs\.([a-z-]+)`).FindAllStringSubmatch(string(raw), -1) {
		if _, ok := action.Inputs[m[1]]; !ok {
			t.Errorf("action.yml reads inputs.%s, which it does not declare", m[1])
		}
	}
	workflows, _ := filepath.Glob(filepath.Join("..", "examples", "ci", "github", "*.yml"))
	used := 0
	for _, f := range workflows {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var wf struct {
			Jobs map[string]struct {
				Steps []struct {
					Uses string         `json:"uses"`
					With map[string]any `json:"with"`
				} `json:"steps"`
			} `json:"jobs"`
		}
		if err := yaml.Unmarshal(raw, &wf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, job := range wf.Jobs {
			for _, s := range job.Steps {
				if !strings.HasPrefix(s.Uses, "closeout-dev/closeout@") {
					continue
				}
				used++
				for k := range s.With {
					if _, ok := action.Inputs[k]; !ok {
						t.Errorf("%s passes %s, which action.yml does not declare", f, k)
					}
				}
				for k, in := range action.Inputs {
					if in["required"] == true && s.With[k] == nil {
						t.Errorf("%s does not pass the required input %s", f, k)
					}
				}
			}
		}
	}
	if used == 0 {
		t.Error("no example workflow uses the action")
	}
}
