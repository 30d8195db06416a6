package lint

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// unusedRules reports helper rules of a policy package no other rule uses.
func unusedRules(m *ast.Module, rules map[string]*ast.Rule, add report, file string) {
	used := map[string]bool{}
	for _, r := range m.Rules {
		self := r.Head.Ref()[0].Value.String()
		ast.WalkVars(r.Body, func(v ast.Var) bool {
			if string(v) != self {
				used[string(v)] = true
			}
			return false
		})
		ast.WalkRefs(r, func(ref ast.Ref) bool {
			if len(ref) > 0 {
				if v, ok := ref[0].Value.(ast.Var); ok && string(v) != self {
					used[string(v)] = true
				}
			}
			return false
		})
		if r.Head.Value != nil {
			ast.WalkVars(r.Head.Value, func(v ast.Var) bool { used[string(v)] = true; return false })
		}
		if r.Head.Key != nil {
			ast.WalkVars(r.Head.Key, func(v ast.Var) bool { used[string(v)] = true; return false })
		}
		if r.Else != nil {
			ast.WalkVars(r.Else, func(v ast.Var) bool { used[string(v)] = true; return false })
		}
	}
	for name, r := range rules {
		if !used[name] {
			add("unused-rule", file, r.Location.Row, "rule %s is not used by any rule of the policy", name)
		}
	}
}
