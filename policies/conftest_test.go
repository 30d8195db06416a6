package policies

import (
	"encoding/json"
	"github.com/closeout-dev/closeout/internal/testtool"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/closeout-dev/closeout/results"
)

// conftest's JSON output: one entry per file and namespace.
type conftestResult struct {
	Filename string `json:"filename"`
	Failures []struct {
		Msg string `json:"msg"`
	} `json:"failures"`
	Warnings []struct {
		Msg string `json:"msg"`
	} `json:"warnings"`
}

// The library runs unchanged under conftest and denies the same things.
// It needs a conftest binary, so it runs from `make conftest-check`, which
// installs one from the Go module proxy and sets CONFTEST.
func TestConftestGivesSameDenies(t *testing.T) {
	bin := os.Getenv("CONFTEST")
	if bin == "" {
		testtool.Skip(t, "conftest", "make bin/conftest builds it; `make conftest-check` runs this comparison")
	}
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "snapshots", "*.json"))
	tenantPaths, _ := filepath.Glob(filepath.Join("..", "testdata", "snapshots", "tenant", "*.json"))
	paths = append(paths, tenantPaths...)
	args := append([]string{"test", "--all-namespaces", "--no-fail", "--output", "json", "--policy", "."}, paths...)
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("conftest: %v", err)
	}
	var entries []conftestResult
	if err := json.Unmarshal(out, &entries); err != nil {
		t.Fatalf("conftest output: %v\n%s", err, out)
	}
	conftestDenies, conftestWarns := map[string][]string{}, map[string][]string{}
	for _, e := range entries {
		for _, f := range e.Failures {
			conftestDenies[e.Filename] = append(conftestDenies[e.Filename], f.Msg)
		}
		for _, w := range e.Warnings {
			conftestWarns[e.Filename] = append(conftestWarns[e.Filename], w.Msg)
		}
	}
	set := loadEmbedded(t)
	for _, p := range paths {
		sub := set.Evaluate(ctx, loadDoc(t, p))
		var denies, warns []string
		collect := func(into *[]string, v any) {
			items, _ := v.([]map[string]any)
			for _, it := range items {
				*into = append(*into, it["msg"].(string))
			}
		}
		for _, f := range sub.Findings {
			switch f.Status {
			case results.Fail:
				collect(&denies, f.Evidence["violations"])
				collect(&warns, f.Evidence["warnings"])
			case results.Warn:
				collect(&warns, f.Evidence["violations"])
			case results.Unknown:
				// conftest knows nothing of coverage: it reports what the
				// rules say on the partial data.
				collect(&denies, f.Evidence["observedViolations"])
				collect(&warns, f.Evidence["observedWarnings"])
			}
		}
		for _, c := range []struct {
			kind     string
			ours     []string
			conftest []string
		}{{"denies", denies, conftestDenies[p]}, {"warnings", warns, conftestWarns[p]}} {
			slices.Sort(c.ours)
			slices.Sort(c.conftest)
			if !slices.Equal(c.ours, c.conftest) {
				t.Errorf("%s: %s differ\ncloseout: %q\nconftest: %q", filepath.Base(p), c.kind, c.ours, c.conftest)
			}
		}
		t.Logf("%s: %d denies, %d warnings agree", filepath.Base(p), len(denies), len(warns))
	}
}
