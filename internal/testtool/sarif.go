package testtool

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// multitool is Microsoft's SARIF Multitool: $SARIF_MULTITOOL, or where
// .ci/run installs it under the module's bin/.
func multitool() string {
	if p := os.Getenv("SARIF_MULTITOOL"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	for err == nil {
		if _, e := os.Stat(filepath.Join(dir, "go.mod")); e == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	p := filepath.Join(dir, "bin", "sarif-multitool", "node_modules", "@microsoft", "sarif-multitool-linux", "Sarif.Multitool")
	if st, err := os.Stat(p); err == nil && st.Mode()&0o100 != 0 {
		return p
	}
	return ""
}

// ValidateSARIF runs the SARIF Multitool on file with its SARIF and GitHub
// rules (the 2.1.0 schema and what code scanning accepts) and reports each
// result as an error; it skips, written down, without the tool.
func ValidateSARIF(t testing.TB, file string) {
	t.Helper()
	bin := multitool()
	if bin == "" {
		Skip(t, "SARIF Multitool", "npm install --prefix bin/sarif-multitool @microsoft/sarif-multitool (as .ci/run does)")
	}
	out := filepath.Join(t.TempDir(), "validation.sarif")
	cmd := exec.Command(bin, "validate", "--rule-kind", "Sarif;Gh;Ghas", file, "-o", out, "--log", "ForceOverwrite")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("multitool: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID  string `json:"ruleId"`
				Level   string `json:"level"`
				Message struct {
					Arguments []string `json:"arguments"`
				} `json:"message"`
			} `json:"results"`
			Invocations []struct {
				ExecutionSuccessful bool `json:"executionSuccessful"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(raw, &log); err != nil || len(log.Runs) == 0 {
		t.Fatalf("validation output: %v", err)
	}
	if inv := log.Runs[0].Invocations; len(inv) == 0 || !inv[0].ExecutionSuccessful {
		t.Fatalf("the validation did not run: %+v", inv)
	}
	for _, r := range log.Runs[0].Results {
		t.Errorf("%s: %s (%s): %v", filepath.Base(file), r.RuleID, r.Level, r.Message.Arguments)
	}
}
