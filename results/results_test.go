package results

import "testing"

func TestGate(t *testing.T) {
	cases := []struct {
		gate   Gate
		sev    Severity
		status Status
		blocks bool
	}{
		{Gate{FailOn: High}, Critical, Fail, true},
		{Gate{FailOn: High}, High, Fail, true},
		{Gate{FailOn: High}, Medium, Fail, false},
		{Gate{FailOn: High}, Critical, Unknown, false},
		{Gate{FailOn: High, Strict: true}, Critical, Unknown, true},
		{Gate{FailOn: High, Strict: true}, Critical, Error, true},
		{Gate{FailOn: High, Strict: true}, Low, Unknown, false},
		// An error blocks without --strict and at any severity: a run that
		// could not judge something never exits 0.
		{Gate{FailOn: High}, Critical, Error, true},
		{Gate{FailOn: Critical}, Info, Error, true},
		{Gate{FailOn: Info}, Info, Fail, true},
		{Gate{FailOn: Low, Strict: true}, Critical, Warn, false},
		{Gate{FailOn: Low, Strict: true}, Critical, Manual, false},
		{Gate{FailOn: Low, Strict: true}, Critical, Pass, false},
	}
	for _, tc := range cases {
		f := &Finding{Severity: tc.sev, Status: tc.status}
		if got := tc.gate.Blocks(f); got != tc.blocks {
			t.Errorf("%+v blocks %s %s = %v, want %v", tc.gate, tc.sev, tc.status, got, tc.blocks)
		}
	}
}

func TestParseSeverity(t *testing.T) {
	for _, s := range []string{"critical", "HIGH", " Medium ", "low", "info"} {
		if _, err := ParseSeverity(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	if _, err := ParseSeverity("urgent"); err == nil {
		t.Error("urgent accepted")
	}
	if Critical.Rank() <= High.Rank() || Info.Rank() != 0 || Severity("x").Rank() != -1 {
		t.Error("rank order wrong")
	}
}

func TestTallyBoundsInputErrors(t *testing.T) {
	tally := NewTally(Gate{FailOn: High})
	for range MaxInputErrors + 50 {
		tally.AddInputError("f:1", "bad")
	}
	tally.Add(&Subject{Findings: []Finding{{Severity: High, Status: Fail}, {Severity: Low, Status: Fail}, {Severity: High, Status: Pass}}})
	s := tally.Summary
	if s.InputErrorCount != MaxInputErrors+50 || len(s.InputErrors) != MaxInputErrors {
		t.Errorf("kept %d of %d input errors", len(s.InputErrors), s.InputErrorCount)
	}
	if s.Subjects != 1 || s.Findings != 3 || s.Blocking != 1 || s.ByStatus[Fail] != 2 || s.ByStatus[Pass] != 1 {
		t.Errorf("summary = %+v", s)
	}
}
