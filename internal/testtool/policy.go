package testtool

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// WritePolicy writes a Rego file under dir, making its directories.
func WritePolicy(t testing.TB, dir, name, src string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// PolicyHeader is a custom policy's METADATA with the given id, checklist
// key, requires and modes (as Rego lists, "[user]").
func PolicyHeader(id, checklist, requires, modes string) string {
	return fmt.Sprintf(`# METADATA
# title: Custom %[1]s
# description: A custom policy used by the tests.
# custom:
#   id: %[1]s
#   severity: high
#   checklist: %[2]s
#   requires: %[3]s
#   modes: %[4]s
#   remediation: Fix {user}.
`, id, checklist, requires, modes)
}
