package policies

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/closeout-dev/closeout/results"
	"github.com/closeout-dev/closeout/snapshot"
)

// The tenant documents evaluate with the tenant policies only.
func TestTenantScenarios(t *testing.T) {
	set := loadEmbedded(t)
	cases := map[string]map[string]results.Status{
		"hardened.json": {},
		"exposed.json": {
			"CO-TEN-001": results.Fail, "CO-TEN-002": results.Fail, "CO-TEN-003": results.Fail, "CO-TEN-004": results.Fail,
			"CO-TEN-005": results.Fail, "CO-TEN-006": results.Fail, "CO-TEN-007": results.Fail, "CO-TEN-008": results.Warn, "CO-TEN-009": results.Warn,
			"CO-TEN-010": results.Fail,
		},
	}
	for file, want := range cases {
		doc := loadDoc(t, filepath.Join("..", "testdata", "snapshots", "tenant", file))
		if doc.Mode() != snapshot.ModeTenant || doc.Subject() != "contoso.com" {
			t.Fatalf("%s: mode %s subject %s", file, doc.Mode(), doc.Subject())
		}
		sub := set.Evaluate(ctx, doc)
		if len(sub.Findings) != 10 {
			t.Errorf("%s: %d findings, want the 10 tenant policies", file, len(sub.Findings))
		}
		for _, f := range sub.Findings {
			w, ok := want[f.PolicyID]
			if !ok {
				w = results.Pass
			}
			if f.Status != w {
				t.Errorf("%s: %s is %s (%s), want %s", file, f.PolicyID, f.Status, f.Message, w)
			}
		}
	}
	// Missing data never passes a tenant policy either.
	doc := loadDoc(t, filepath.Join("..", "testdata", "snapshots", "tenant", "hardened.json"))
	for _, p := range set.Policies {
		if !slices.Contains(p.Modes, snapshot.ModeTenant) {
			continue
		}
		for _, section := range p.Requires {
			d := cloneDoc(t, doc)
			d.Value["coverage"].(map[string]any)[section] = map[string]any{"status": "forbidden", "detail": "test"}
			for _, f := range set.Evaluate(ctx, d).Findings {
				if f.PolicyID == p.ID && f.Status != results.Unknown {
					t.Errorf("%s with %s forbidden: %s", p.ID, section, f.Status)
				}
			}
		}
	}
}
