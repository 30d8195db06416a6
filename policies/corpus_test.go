package policies

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/closeout-dev/closeout/results"
)

// corpusGaps are the states testdata/corpus cannot reach for a policy:
// the corpus is the scenario snapshots, their one-section-forbidden
// variants and their incident variants (make corpus). The user section is
// in every snapshot, and CO-PWD-001/002 and CO-SESS-001 fail, not pass, on
// a missing timestamp, as CO-PWD-003 rightly passes on a null
// passwordPolicies (Graph's value for none), so none of them is ever
// unknown. The list only shrinks: a gap the corpus closes must go.
var corpusGaps = map[string][]results.Status{
	"CO-PWD-001":  {results.Unknown},
	"CO-PWD-002":  {results.Unknown},
	"CO-PWD-003":  {results.Unknown},
	"CO-SESS-001": {results.Unknown},
}

// corpusStates are the three states the corpus must bring a policy to:
// pass; fail, or warn for a policy with no deny rule; unknown, or manual
// for a policy that needs no section and asks a human (an attestation).
func corpusStates(p *Policy) []results.Status {
	failing, undetermined := results.Fail, results.Unknown
	if !slices.Contains(p.Rules, ruleDeny) {
		failing = results.Warn
	}
	if slices.Contains(p.Rules, ruleManual) && len(p.Requires) == 0 {
		undetermined = results.Manual
	}
	return []results.Status{results.Pass, failing, undetermined}
}

// The policy-diff corpus meets every policy in each of its corpusStates,
// but for the gaps listed above, and the list is exact.
func TestCorpusCoverage(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "corpus", "*.json"))
	if err != nil || len(files) < 200 {
		t.Fatalf("testdata/corpus has %d snapshots, want a few hundred (make corpus): %v", len(files), err)
	}
	set := loadEmbedded(t)
	seen := map[string]map[results.Status]bool{}
	for _, f := range files {
		sub := set.Evaluate(context.Background(), loadDoc(t, f))
		for _, finding := range sub.Findings {
			if finding.Status == results.Error {
				t.Errorf("%s: %s: evaluation error: %s", f, finding.PolicyID, finding.Message)
			}
			if seen[finding.PolicyID] == nil {
				seen[finding.PolicyID] = map[results.Status]bool{}
			}
			seen[finding.PolicyID][finding.Status] = true
		}
	}
	for _, p := range set.Policies {
		for _, s := range corpusStates(p) {
			gap := slices.Contains(corpusGaps[p.ID], s)
			switch {
			case !seen[p.ID][s] && !gap:
				t.Errorf("%s: no snapshot in testdata/corpus gives %s", p.ID, s)
			case seen[p.ID][s] && gap:
				t.Errorf("%s: the corpus now gives %s: remove it from corpusGaps", p.ID, s)
			}
		}
	}
	for id := range corpusGaps {
		if !slices.ContainsFunc(set.Policies, func(p *Policy) bool { return p.ID == id }) {
			t.Errorf("corpusGaps names %s, which is not a policy", id)
		}
	}
}
