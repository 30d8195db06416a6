package policies

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docs/policies.md is kept in step with the policies.
func TestCatalogueIsUpToDate(t *testing.T) {
	set := loadEmbedded(t)
	var buf bytes.Buffer
	if err := set.WriteCatalogue(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "docs", "policies.md")
	have, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(have, buf.Bytes()) {
		t.Fatalf("%s is out of date (%v); run: make docs", path, err)
	}
	for _, p := range set.Policies {
		if !strings.Contains(buf.String(), "### "+p.ID+"\n") {
			t.Errorf("catalogue lacks %s", p.ID)
		}
	}
}
