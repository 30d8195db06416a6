package graph

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/closeout-dev/closeout/policies"
	"github.com/closeout-dev/closeout/results"
	"github.com/closeout-dev/closeout/snapshot"
)

// collect then check on the fake's compromised account finds what the
// hand-written scenario finds, wherever Graph can see it.
func TestCollectThenCheckMatchesScenario(t *testing.T) {
	srv := startFake(t)
	snap, err := Collect(context.Background(), options(srv, "bob@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := policies.Load(context.Background(), policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	collected := set.Evaluate(context.Background(), validate(t, snap))
	docs, err := snapshot.LoadFile(filepath.Join("..", "..", "testdata", "snapshots", "compromised-unremediated.json"))
	if err != nil {
		t.Fatal(err)
	}
	scenario := set.Evaluate(context.Background(), docs[0])
	status := func(s *results.Subject) map[string]results.Status {
		m := map[string]results.Status{}
		for _, f := range s.Findings {
			m[f.PolicyID] = f.Status
		}
		return m
	}
	got, want := status(collected), status(scenario)
	// Graph gives phone methods no creation time: the phone the attacker
	// added shows through its audit entry (CO-MFA-003), not CO-REC-001.
	known := map[string]results.Status{"CO-REC-001": results.Pass}
	for id, w := range want {
		g := got[id]
		switch {
		case known[id] != "":
			if g != known[id] {
				t.Errorf("%s: %s, want %s", id, g, known[id])
			}
		case w == results.Fail && g != results.Fail && g != results.Unknown:
			t.Errorf("%s fails in the scenario but is %s when collected", id, g)
		case w != results.Fail && g == results.Fail:
			t.Errorf("%s fails when collected but is %s in the scenario", id, w)
		case g == results.Unknown:
			for _, f := range collected.Findings {
				if f.PolicyID == id && f.Evidence["coverage"] == nil {
					t.Errorf("%s unknown without a coverage reason", id)
				}
			}
		}
	}
	var fails []string
	for _, f := range collected.Findings {
		if f.Status == results.Fail {
			fails = append(fails, f.PolicyID)
		}
	}
	t.Logf("collected snapshot fails %v", fails)
	if len(fails) < 8 {
		t.Errorf("only %d failures from the collected snapshot", len(fails))
	}
}
