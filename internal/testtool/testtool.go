// Package testtool lets a test that needs a tool from outside Go (a
// browser, conftest) skip loudly: besides t.Skip, it appends one line to
// the file $CLOSEOUT_SKIPS names, which `make test` prints at the end, so a
// skipped check is never mistaken for a passed one.
package testtool

import (
	"fmt"
	"os"
	"testing"
)

// Skip skips t because tool is missing, saying how to get it.
func Skip(t testing.TB, tool, how string) {
	t.Helper()
	if path := os.Getenv("CLOSEOUT_SKIPS"); path != "" {
		if f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintf(f, "%s: no %s (%s)\n", t.Name(), tool, how)
			f.Close()
		}
	}
	t.Skipf("no %s: %s", tool, how)
}
