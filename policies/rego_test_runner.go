package policies

import (
	"context"
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestReport is the outcome of the policies' own Rego unit tests.
type TestReport struct {
	Results  []*tester.Result
	Coverage *cover.Report // nil unless coverage was asked for
}

// Failed counts tests that failed or errored.
func (r *TestReport) Failed() int {
	n := 0
	for _, res := range r.Results {
		if res.Fail || res.Error != nil {
			n++
		}
	}
	return n
}

// RunTests runs the _test.rego files loaded with the set, in-process with
// OPA's tester, compiled with the same restricted capabilities and strict
// mode. When the set holds custom files, only their tests run and only
// they are measured: the library's coverage is closeout's business, and
// counting it would hide an untested custom file.
func (s *Set) RunTests(ctx context.Context, withCoverage bool) (*TestReport, error) {
	mine := s.HasCustom()
	mods := make(map[string]*ast.Module, len(s.modules)+len(s.tests))
	for name, m := range s.modules {
		mods[name] = m.Copy()
	}
	for name, m := range s.tests {
		if !mine || s.custom[name] {
			mods[name] = m.Copy()
		}
	}
	runner := tester.NewRunner().
		SetCompiler(newCompiler()).
		SetStore(inmem.New()).
		SetModules(mods)
	var cov *cover.Cover
	if withCoverage {
		cov = cover.New()
		runner = runner.SetCoverageQueryTracer(cov)
	}
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		return nil, &LoadError{File: "policies", Reason: "compiling tests: " + oneLine(err.Error())}
	}
	rep := &TestReport{}
	for res := range ch {
		rep.Results = append(rep.Results, res)
	}
	sort.Slice(rep.Results, func(i, j int) bool {
		a, b := rep.Results[i], rep.Results[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		return a.Name < b.Name
	})
	if cov != nil {
		policyMods := make(map[string]*ast.Module, len(s.modules))
		for name, m := range s.modules {
			if !mine || s.custom[name] {
				policyMods[name] = m
			}
		}
		r := cov.Report(policyMods)
		// The tracer also marks the lines of the tests it ran: measure
		// the policies only.
		r.CoveredLines, r.NotCoveredLines = 0, 0
		for name, fr := range r.Files {
			if policyMods[name] == nil {
				delete(r.Files, name)
				continue
			}
			r.CoveredLines += fr.CoveredLines
			r.NotCoveredLines += fr.NotCoveredLines
		}
		r.Coverage = 0
		if n := r.CoveredLines + r.NotCoveredLines; n > 0 {
			r.Coverage = 100 * float64(r.CoveredLines) / float64(n)
		}
		rep.Coverage = &r
	}
	return rep, nil
}

// HasCustom says whether the set holds files a user wrote.
func (s *Set) HasCustom() bool {
	for _, c := range s.custom {
		if c {
			return true
		}
	}
	return false
}
