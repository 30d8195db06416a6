package testtool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A skip for a missing tool is written down for make test to print.
func TestSkipIsWrittenDown(t *testing.T) {
	log := filepath.Join(t.TempDir(), "skips.txt")
	t.Setenv("CLOSEOUT_SKIPS", log)
	t.Run("needs-a-browser", func(t *testing.T) { Skip(t, "Chromium", "install chromium") })
	b, err := os.ReadFile(log)
	if err != nil || !strings.Contains(string(b), "TestSkipIsWrittenDown/needs-a-browser: no Chromium (install chromium)") {
		t.Errorf("skip log = %q, %v", b, err)
	}
}
