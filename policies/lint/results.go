package lint

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// resultMsg checks that a deny or warn result carries msg: a string, an
// object literal with "msg", or a variable assigned such an object.
func resultMsg(r *ast.Rule, file string, add report) {
	key := r.Head.Key
	if key == nil {
		return
	}
	hasMsg := func(t *ast.Term) (bool, bool) {
		switch v := t.Value.(type) {
		case ast.String:
			return true, true
		case ast.Object:
			return v.Get(ast.StringTerm("msg")) != nil, true
		}
		return false, false
	}
	if ok, known := hasMsg(key); known {
		if !ok {
			add("result-msg", file, r.Location.Row, "%s result has no msg", r.Head.Ref()[0])
		}
		return
	}
	v, isVar := key.Value.(ast.Var)
	if !isVar {
		return
	}
	for _, expr := range r.Body {
		if !expr.IsAssignment() && !expr.IsEquality() {
			continue
		}
		terms, ok := expr.Terms.([]*ast.Term)
		if !ok || len(terms) != 3 || !terms[1].Equal(ast.NewTerm(v)) {
			continue
		}
		if ok, known := hasMsg(terms[2]); known && !ok {
			add("result-msg", file, expr.Location.Row, "%s result %s has no msg", r.Head.Ref()[0], v)
		}
	}
}
