package lint

import (
	"strings"

	"github.com/closeout-dev/closeout/policies"
	"github.com/open-policy-agent/opa/v1/ast"
)

// lintNegations finds `not` expressions that do not cover what they read.
// OPA evaluates the references a call takes as arguments (and calls nested
// in the expression) before the negation: `not is_boolean(input.user.x)`
// compiles to `v = input.user.x; not is_boolean(v)`. When input.user.x is
// missing, the rule fails instead of the negation holding, so a rule meant
// to fire on a missing value stays silent exactly then. Reading the value
// with object.get and a default before the negation keeps it inside.
//
// It reads the compiled modules: a negated expression that uses a variable
// the compiler generated and bound, in the same body, to a reference is
// the case. References to rules that are always defined (a partial set or
// object, a rule with a default, one with no condition) cannot be missing
// and pass.
func negatedReads(c *ast.Compiler, skip func(file string) bool, add func(rule, file string, line int, format string, args ...any)) {
	for _, m := range c.Modules {
		if m.Package.Location == nil || skip(m.Package.Location.File) {
			continue
		}
		ast.WalkBodies(m, func(body ast.Body) bool {
			hoisted := map[ast.Var]*ast.Expr{}
			for _, expr := range body {
				if expr.Generated && !expr.Negated {
					if v, ref, ok := hoistedRef(expr); ok && !alwaysDefined(c, ref) {
						hoisted[v] = expr
					}
					continue
				}
				if !expr.Negated {
					continue
				}
				reported := map[ast.Var]bool{}
				ast.WalkVars(expr, func(v ast.Var) bool {
					if h := hoisted[v]; h != nil && !reported[v] {
						reported[v] = true
						loc := expr.Location
						if loc == nil {
							loc = m.Package.Location
						}
						add("negated-read", loc.File, loc.Row,
							"not %s reads %s before the negation: when it is missing the rule fails instead of the negation holding (bind it first, e.g. with object.get and a default)",
							strings.TrimPrefix(policies.ExprSource(expr), "not "), policies.ExprSource(h))
					}
					return false
				})
			}
			return false
		})
	}
}

// hoistedRef matches the compiler's `__localN__ = ref` for a reference
// longer than a variable.
func hoistedRef(expr *ast.Expr) (ast.Var, ast.Ref, bool) {
	if !expr.IsEquality() {
		return "", nil, false
	}
	terms := expr.Terms.([]*ast.Term)
	v, ok := terms[1].Value.(ast.Var)
	ref, isRef := terms[2].Value.(ast.Ref)
	if !ok || !v.IsGenerated() || !isRef || len(ref) < 2 {
		return "", nil, false
	}
	return v, ref, true
}

// alwaysDefined reports whether a data reference names rules that always
// have a value.
func alwaysDefined(c *ast.Compiler, ref ast.Ref) bool {
	if !ref.HasPrefix(ast.DefaultRootRef) || !ref.IsGround() {
		return false
	}
	rules := c.GetRulesExact(ref)
	if len(rules) == 0 {
		return false
	}
	for _, r := range rules {
		switch {
		case r.Default, r.Head.RuleKind() == ast.MultiValue:
			return true
		case allGenerated(r.Body):
			continue // no condition: `x := 1`, `x := y | {"z"}`
		default:
			return false
		}
	}
	return true
}

func allGenerated(body ast.Body) bool {
	for _, e := range body {
		if !e.Generated {
			return false
		}
	}
	return true
}
