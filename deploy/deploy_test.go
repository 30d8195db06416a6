package deploy

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/collectors/fake"

	"github.com/rhysd/actionlint"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// manifests decodes every document of the Kubernetes manifests strictly
// (an unknown or misspelt field fails), by kind.
func manifests(t *testing.T) (cronJobs map[string]*batchv1.CronJob, other map[string][]byte) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	if len(files) < 3 {
		t.Fatalf("manifests: %v", files)
	}
	cronJobs, other = map[string]*batchv1.CronJob{}, map[string][]byte{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range strings.Split(string(raw), "\n---\n") {
			var head struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			var into any
			switch head.Kind {
			case "CronJob":
				cj := &batchv1.CronJob{}
				cronJobs[head.Metadata.Name], into = cj, cj
			case "PersistentVolumeClaim":
				into = &corev1.PersistentVolumeClaim{}
			case "Secret":
				into = &corev1.Secret{}
			case "ConfigMap":
				into = &corev1.ConfigMap{}
			default:
				t.Fatalf("%s document %d: kind %q", f, i, head.Kind)
			}
			if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
				t.Fatalf("%s document %d (%s): %v", f, i, head.Kind, err)
			}
			other[head.Kind+"/"+head.Metadata.Name] = []byte(doc)
		}
	}
	return cronJobs, other
}

// The deployment as a hardening reviewer would ship it, each item checked
// on every pod the manifests run: the image by digest, the runtime's
// seccomp profile, no service account token, a deadline, a read-only root
// with no privilege to gain, and credentials as mounted files, never
// environment variables. Removing any one fails this test.
func TestKubernetesHardening(t *testing.T) {
	cronJobs, other := manifests(t)
	if len(cronJobs) != 2 || cronJobs["closeout-scan"] == nil || cronJobs["closeout-merge"] == nil {
		t.Fatalf("want the scan and merge CronJobs, got %v", cronJobs)
	}
	digest := regexp.MustCompile(`^ghcr\.io/closeout-dev/closeout(:v[0-9.]+)?@sha256:[0-9a-f]{64}$`)
	for name, cj := range cronJobs {
		job := cj.Spec.JobTemplate.Spec
		pod := job.Template.Spec
		fail := func(format string, args ...any) { t.Errorf("%s: "+format, append([]any{name}, args...)...) }
		if cj.Spec.TimeZone == nil || cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
			fail("a schedule without a time zone, or runs that may overlap")
		}
		if job.ActiveDeadlineSeconds == nil || *job.ActiveDeadlineSeconds <= 0 {
			fail("no activeDeadlineSeconds")
		}
		if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
			fail("the service account token is mounted")
		}
		if pod.RestartPolicy != corev1.RestartPolicyNever {
			fail("restartPolicy %q", pod.RestartPolicy)
		}
		psc := pod.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			fail("not non-root with the RuntimeDefault seccomp profile: %+v", psc)
		}
		writable := map[string]bool{}
		for _, c := range pod.Containers {
			if !digest.MatchString(c.Image) {
				fail("image %q is not pinned by digest", c.Image)
			}
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
				sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
				fail("container %s: not read-only, unprivileged, every capability dropped: %+v", c.Name, sc)
			}
			for _, e := range c.EnvFrom {
				if e.SecretRef != nil {
					fail("container %s takes Secret %s as environment variables", c.Name, e.SecretRef.Name)
				}
			}
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					fail("container %s takes a Secret key as an environment variable", c.Name)
				}
			}
			if c.Resources.Limits.Memory().IsZero() {
				fail("container %s has no memory limit", c.Name)
			}
			for _, m := range c.VolumeMounts {
				if !m.ReadOnly {
					writable[m.MountPath] = true
				}
			}
			// Everything a pod writes (its directories, reports, history,
			// temporary files) is under a writable mount.
			for _, a := range c.Args {
				if v, ok := strings.CutPrefix(a, "--output="); ok {
					a = v[strings.Index(v, "=")+1:]
				}
				if v, ok := strings.CutPrefix(a, "--history="); ok {
					a = v
				}
				if strings.HasPrefix(a, "/") && !underAny(a, writable) {
					fail("container %s writes %s, outside its writable volumes %v", c.Name, a, writable)
				}
			}
			tmp := false
			for _, e := range c.Env {
				tmp = tmp || (e.Name == "TMPDIR" && writable[e.Value])
			}
			if !tmp {
				fail("container %s: TMPDIR is not a writable volume", c.Name)
			}
		}
		for _, v := range pod.Volumes {
			if v.Secret != nil && (v.Secret.DefaultMode == nil || *v.Secret.DefaultMode&0o077 != 0) {
				fail("secret volume %s is readable by others", v.Name)
			}
		}
	}
	// The scan's pods authenticate with the certificate Secret, mounted.
	scanPod := cronJobs["closeout-scan"].Spec.JobTemplate.Spec.Template.Spec
	mounted := false
	for _, v := range scanPod.Volumes {
		mounted = mounted || (v.Secret != nil && v.Secret.SecretName == "closeout-app-cert")
	}
	if !mounted || !strings.Contains(strings.Join(scanPod.Containers[0].Args, " "), "--auth=cert") {
		t.Error("the scan's credential is not the mounted certificate")
	}
	var secret corev1.Secret
	yaml.Unmarshal(other["Secret/closeout-app-cert"], &secret)
	var config corev1.ConfigMap
	yaml.Unmarshal(other["ConfigMap/closeout-app"], &config)
	if _, ok := secret.StringData["client.pem"]; !ok || !strings.HasPrefix(config.Data["AZURE_CLIENT_CERTIFICATE_PATH"], "/var/run/secrets/closeout/") {
		t.Error("the example Secret and ConfigMap do not give the certificate's file")
	}
	for k := range config.Data {
		if strings.Contains(strings.ToUpper(k), "SECRET") {
			t.Errorf("the ConfigMap holds %s", k)
		}
	}
	var pvc corev1.PersistentVolumeClaim
	yaml.Unmarshal(other["PersistentVolumeClaim/closeout-data"], &pvc)
	if len(pvc.Spec.AccessModes) != 1 || pvc.Spec.AccessModes[0] != corev1.ReadWriteMany {
		t.Errorf("the data volume is %v: four shard pods on several nodes need ReadWriteMany", pvc.Spec.AccessModes)
	}
}

func underAny(path string, dirs map[string]bool) bool {
	for d := range dirs {
		if path == d || strings.HasPrefix(path, strings.TrimSuffix(d, "/")+"/") {
			return true
		}
	}
	return false
}

// Every shipped workflow passes actionlint: the scheduled scan here and
// the policy pull-request pipeline in examples/ci.
func TestWorkflowsPassActionlint(t *testing.T) {
	files := workflowFiles(t)
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
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

// One night as the manifests run it, against the fake tenant: the four
// shard pods (each as its args say, /data and /tmp mapped to directories
// here), then the merge pod, then closeout history over the history file
// the merge wrote. Nothing is written outside the mounted volumes (the
// working directory and HOME stay empty). A second night with a shard
// missing makes the merge fail, naming the shard; nothing is merged.
func TestKubernetesNight(t *testing.T) {
	if testing.Short() {
		t.Skip("builds closeout and runs a night: not in -short")
	}
	cronJobs, _ := manifests(t)
	root := t.TempDir()
	bin := filepath.Join(root, "closeout")
	build := exec.Command("go", "build", "-o", bin, "./cmd/closeout")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tenant, err := fake.LoadTenant(filepath.Join("..", "testdata", "tenants", "contoso.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := fake.New(fake.Generate(tenant, 200, 5))
	srv.Token = "night-token"
	url := srv.Start()
	defer srv.Close()

	volumes := map[string]string{"/data": filepath.Join(root, "data"), "/tmp": filepath.Join(root, "tmp")}
	cwd, home := filepath.Join(root, "cwd"), filepath.Join(root, "home")
	for _, d := range append([]string{cwd, home}, volumes["/data"], volumes["/tmp"]) {
		os.MkdirAll(d, 0o700)
	}
	// mapPath puts a path (or the path after a flag's last =) of the pod
	// under the directory standing for its volume.
	mapPath := func(s string) string {
		prefix, path := "", s
		if i := strings.LastIndex(s, "="); i >= 0 {
			prefix, path = s[:i+1], s[i+1:]
		}
		for from, to := range volumes {
			if path == from || strings.HasPrefix(path, from+"/") {
				return prefix + to + strings.TrimPrefix(path, from)
			}
		}
		return s
	}
	run := func(c corev1.Container, index string, replace map[string]string) (int, string) {
		var args []string
		for _, a := range c.Args {
			a = strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", index)
			if r, ok := replace[a]; ok {
				a = r
			}
			args = append(args, mapPath(a))
		}
		cmd := exec.Command(bin, args...)
		cmd.Dir = cwd
		cmd.Env = []string{"HOME=" + home, "CLOSEOUT_GRAPH_URL=" + url, "CLOSEOUT_TOKEN=night-token"}
		for _, e := range c.Env {
			cmd.Env = append(cmd.Env, e.Name+"="+mapPath(e.Value))
		}
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), string(out)
	}
	scan := cronJobs["closeout-scan"].Spec.JobTemplate.Spec
	merge := cronJobs["closeout-merge"].Spec.JobTemplate.Spec.Template.Spec.Containers[0]
	var wg sync.WaitGroup
	codes := make([]int, *scan.Completions)
	outs := make([]string, *scan.Completions)
	for i := range int(*scan.Completions) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], outs[i] = run(scan.Template.Spec.Containers[0], strconv.Itoa(i), nil)
		}()
	}
	wg.Wait()
	for i, code := range codes {
		if code != 0 {
			t.Fatalf("shard %d exited %d (a scheduled shard succeeds when its scan does):\n%s", i, code, outs[i])
		}
	}
	// A shard pod retried after it finished changes nothing and succeeds.
	if code, out := run(scan.Template.Spec.Containers[0], "1", nil); code != 0 || !strings.Contains(out, "nothing to resume") {
		t.Errorf("a finished shard run again: exit %d\n%s", code, out)
	}
	code, out := run(merge, "", nil)
	if code != 0 {
		t.Fatalf("merge exited %d:\n%s", code, out)
	}
	night := filepath.Join(volumes["/data"], "nights", time.Now().UTC().Format("2006-01-02"))
	for _, f := range []string{"merged/results.json", "merged/scan.json", "report.html", "report.md", "closeout.sarif"} {
		if _, err := os.Stat(filepath.Join(night, f)); err != nil {
			t.Errorf("the night wrote no %s: %v", f, err)
		}
	}
	hist := exec.Command(bin, "history", filepath.Join(volumes["/data"], "history.db"))
	if out, err := hist.CombinedOutput(); err != nil || !strings.Contains(string(out), "contoso.com") {
		t.Errorf("history over the night: %v\n%s", err, out)
	}
	for _, d := range []string{cwd, home} {
		if entries, _ := os.ReadDir(d); len(entries) > 0 {
			t.Errorf("%s was written (%v): only the mounted volumes may be", d, entries)
		}
	}

	// The next night, shard 3 never ran: the merge fails and says so.
	os.RemoveAll(night)
	for i := range 3 {
		if code, out := run(scan.Template.Spec.Containers[0], strconv.Itoa(i), nil); code != 0 {
			t.Fatalf("shard %d: exit %d\n%s", i, code, out)
		}
	}
	code, out = run(merge, "", map[string]string{"--wait=2h": "--wait=0s"})
	if code != 2 || !strings.Contains(out, "shard-3 has no scan.json") {
		t.Errorf("a night with a shard missing: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(night, "merged", "results.json")); err == nil {
		t.Error("a night with a shard missing was merged")
	}
}

// workflowFiles are every workflow closeout ships: the scheduled scan, the
// CI examples, and its own release.
func workflowFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{filepath.Join("github-actions", "*.yml"), filepath.Join("..", "examples", "ci", "github", "*.yml"), filepath.Join("..", ".github", "workflows", "*.yml")} {
		m, _ := filepath.Glob(pattern)
		if len(m) == 0 {
			t.Fatalf("no workflow in %s", pattern)
		}
		files = append(files, m...)
	}
	return files
}

var (
	pinnedUse  = regexp.MustCompile(`^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$`)
	releaseTag = regexp.MustCompile(`# v\d+\.\d+\.\d+\b`)
	ownRelease = regexp.MustCompile(`^closeout-dev/closeout@(v\d+\.\d+\.\d+|[0-9a-f]{40})$`)
)

// The workflows and the action as a hardening reviewer would ship them:
// every action pinned by commit with its release in a comment (closeout's
// own by an exact release), secrets only in the env of the steps that use
// them (never the workflow's or a job's, where every step and action would
// have them), checkout keeping no token, tools at fixed versions, and
// least-privilege permissions. Breaking any one fails this test.
func TestWorkflowsHardened(t *testing.T) {
	files := append(workflowFiles(t), filepath.Join("..", "action.yml"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(raw)
		for i, line := range strings.Split(text, "\n") {
			trimmed := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- "))
			if strings.HasPrefix(trimmed, "#") {
				continue
			}
			if use, ok := strings.CutPrefix(trimmed, "uses:"); ok {
				ref, comment, _ := strings.Cut(strings.TrimSpace(use), " ")
				switch {
				case strings.HasPrefix(ref, "./"):
				case strings.HasPrefix(ref, "closeout-dev/closeout@"):
					if !ownRelease.MatchString(ref) {
						t.Errorf("%s:%d: %s is not an exact closeout release or commit", f, i+1, ref)
					}
				case !pinnedUse.MatchString(ref) || !releaseTag.MatchString(comment):
					t.Errorf("%s:%d: %s is not pinned by commit with its release in a comment", f, i+1, strings.TrimSpace(use))
				}
			}
			if strings.Contains(line, "@latest") || regexp.MustCompile(`go install \S+@(main|master)\b`).MatchString(line) {
				t.Errorf("%s:%d: a tool at a moving version: %s", f, i+1, trimmed)
			}
		}
		if strings.HasSuffix(f, "action.yml") {
			continue
		}
		var wf struct {
			Permissions any               `json:"permissions"`
			Env         map[string]string `json:"env"`
			Jobs        map[string]struct {
				Permissions any               `json:"permissions"`
				Env         map[string]string `json:"env"`
				Steps       []struct {
					Uses string            `json:"uses"`
					With map[string]any    `json:"with"`
					Env  map[string]string `json:"env"`
					Run  string            `json:"run"`
				} `json:"steps"`
			} `json:"jobs"`
		}
		if err := yaml.Unmarshal(raw, &wf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if wf.Permissions == nil {
			t.Errorf("%s: no top-level permissions (the default token may write)", f)
		}
		for k, v := range wf.Env {
			if strings.Contains(v, "secrets.") {
				t.Errorf("%s: the workflow's env %s holds a secret: every step would have it", f, k)
			}
		}
		for name, job := range wf.Jobs {
			for k, v := range job.Env {
				if strings.Contains(v, "secrets.") {
					t.Errorf("%s: job %s's env %s holds a secret: every step would have it", f, name, k)
				}
			}
			for i, st := range job.Steps {
				if strings.HasPrefix(st.Uses, "actions/checkout@") && st.With["persist-credentials"] != false {
					t.Errorf("%s: job %s step %d: checkout keeps the token in .git/config (persist-credentials: false)", f, name, i)
				}
				if strings.Contains(st.Run, "secrets.") {
					t.Errorf("%s: job %s step %d pastes a secret into its script", f, name, i)
				}
			}
		}
	}
	raw, _ := os.ReadFile(filepath.Join("..", "action.yml"))
	var action struct {
		Inputs map[string]struct {
			Default string `json:"default"`
		} `json:"inputs"`
	}
	yaml.Unmarshal(raw, &action)
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(action.Inputs["version"].Default) {
		t.Errorf("action.yml's version defaults to %q, not the action's own release", action.Inputs["version"].Default)
	}
	release, _ := os.ReadFile(filepath.Join("..", ".github", "workflows", "release.yml"))
	if !strings.Contains(string(release), "action.yml's version input must default to") {
		t.Error("the release workflow does not check that action.yml installs its own release")
	}
}

// A snapshot build of the release, as the release workflow runs it (make
// release, one platform here): the archive holds a closeout that says its
// version, checksums.txt verifies every file, and the Kubernetes manifests
// come pinned to the image digest the release pushed.
func TestReleaseSnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a release binary: not in -short")
	}
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("no tar")
	}
	dist := t.TempDir()
	digest := "sha256:" + strings.Repeat("5e", 32)
	cmd := exec.Command("make", "release", "VERSION=v0.0.0", "PLATFORMS="+runtime.GOOS+"/"+runtime.GOARCH, "DIST="+dist, "IMAGE_DIGEST="+digest)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "PLATFORMS="+runtime.GOOS+"/"+runtime.GOARCH, "DIST="+dist, "IMAGE_DIGEST="+digest)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make release: %v\n%s", err, out)
	}
	sums, err := os.ReadFile(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	listed := 0
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, _ := strings.Cut(line, "  ")
		b, err := os.ReadFile(filepath.Join(dist, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != sum {
			t.Errorf("%s: sha256 %s, checksums.txt says %s", name, got, sum)
		}
		listed++
	}
	if listed != 2 {
		t.Errorf("checksums.txt lists %d files, want the archive and the manifests", listed)
	}
	name := fmt.Sprintf("closeout_0.0.0_%s_%s", runtime.GOOS, runtime.GOARCH)
	if out, err := exec.Command("tar", "-xzf", filepath.Join(dist, name+".tar.gz"), "-C", dist).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	out, err := exec.Command(filepath.Join(dist, name, "closeout"), "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "closeout v0.0.0\n") {
		t.Errorf("the released closeout says %q (%v)", out, err)
	}
	manifests, _ := os.ReadFile(filepath.Join(dist, "closeout-kubernetes.yaml"))
	images := regexp.MustCompile(`image: (\S+)`).FindAllStringSubmatch(string(manifests), -1)
	if len(images) != 2 {
		t.Fatalf("the release's manifests run %d images", len(images))
	}
	for _, m := range images {
		if m[1] != "ghcr.io/closeout-dev/closeout:v0.0.0@"+digest {
			t.Errorf("the release's manifests run %s", m[1])
		}
	}
}
