package lint

import (
	"path"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// testsBeside checks there is a _test.rego beside the policy that refers to
// each of its finding rules.
func testsBeside(file, pkg string, finding []string, tests map[string]*ast.Module, add report, line int) {
	want := strings.TrimSuffix(file, ".rego") + "_test.rego"
	t, ok := tests[want]
	if !ok {
		add("tests", file, line, "no %s beside the policy", path.Base(want))
		return
	}
	used := map[string]bool{}
	ast.WalkRefs(t, func(r ast.Ref) bool {
		s := r.String()
		for _, rn := range finding {
			short := pkg[strings.LastIndex(pkg, ".")+1:]
			if strings.Contains(s, short+"."+rn) || strings.Contains(s, pkg+"."+rn) {
				used[rn] = true
			}
		}
		return false
	})
	for _, rn := range finding {
		if !used[rn] {
			add("tests", want, 1, "no test exercises %s.%s", pkg, rn)
		}
	}
}
