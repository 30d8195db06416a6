package policies

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/closeout-dev/closeout/snapshot"
)

// field is what the snapshot schemas say of one place in the input: the
// fields an object has, what an array holds, what a map's values are.
type field struct {
	props  map[string]*field
	keys   []string // the only keys a map may have (propertyNames), if listed
	items  *field   // an array's elements
	values *field   // a map's values (additionalProperties)
	enum   []string // the only values a string may take, if listed
}

func (f *field) child(key string) (*field, bool) {
	switch {
	case f == nil:
		return nil, true
	case f.props != nil:
		c, ok := f.props[key]
		return c, ok
	case f.keys != nil && !slices.Contains(f.keys, key):
		return nil, false
	}
	return f.values, true
}

// names are the keys f may have, for a suggestion.
func (f *field) names() []string {
	if f == nil {
		return nil
	}
	if f.props != nil {
		out := make([]string, 0, len(f.props))
		for k := range f.props {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	return f.keys
}

func (f *field) element() *field {
	if f == nil {
		return nil
	}
	if f.items != nil {
		return f.items
	}
	return f.values
}

// inputFields is the input's shape: the snapshot schema and the tenant
// snapshot schema together (a policy may be written for either mode).
var inputFields = sync.OnceValue(func() *field {
	root := &field{props: map[string]*field{}}
	for _, raw := range [][]byte{snapshot.SchemaJSON, snapshot.TenantSchemaJSON} {
		var s map[string]any
		if json.Unmarshal(raw, &s) != nil {
			continue
		}
		defs, _ := s["$defs"].(map[string]any)
		merge(root, fieldOf(s, defs, 0))
	}
	return root
})

func fieldOf(s map[string]any, defs map[string]any, depth int) *field {
	if depth > 32 {
		return nil
	}
	if ref, ok := s["$ref"].(string); ok {
		def, _ := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		return fieldOf(def, defs, depth+1)
	}
	f := &field{}
	if props, ok := s["properties"].(map[string]any); ok {
		f.props = map[string]*field{}
		for k, v := range props {
			sub, _ := v.(map[string]any)
			f.props[k] = fieldOf(sub, defs, depth+1)
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		f.items = fieldOf(items, defs, depth+1)
	}
	if values, ok := s["additionalProperties"].(map[string]any); ok && f.props == nil {
		f.values = fieldOf(values, defs, depth+1)
		if names, ok := s["propertyNames"].(map[string]any); ok {
			for _, k := range asList(names["enum"]) {
				if k, ok := k.(string); ok {
					f.keys = append(f.keys, k)
				}
			}
		}
	}
	for _, v := range asList(s["enum"]) {
		if v, ok := v.(string); ok {
			f.enum = append(f.enum, v)
		}
	}
	if f.props == nil && f.items == nil && f.values == nil && f.enum == nil {
		return nil // a leaf, or nothing the schema says
	}
	return f
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func merge(into, from *field) {
	if from == nil {
		return
	}
	for k, v := range from.props {
		if have, ok := into.props[k]; ok && have != nil {
			merge(have, v)
			continue
		}
		into.props[k] = v
	}
}

// InputReads walks the compiled modules for what they read of the input.
// It returns, by file, the coverage sections each module reads and the
// first line that reads each: Load requires them of the policy, so a
// policy is unknown, not passing, when one is not collected. On the way
// it reports (through add, for policy lint's unknown-field and
// unknown-value rules) reads of input fields the snapshot has no place
// for: `input.user.accountEnabeld`, `rule.forwardTO` on an inbox rule,
// `object.get(input.mailbox, "autoreply", {})`. Such a read is undefined
// on every snapshot, so the rule that needs it never fires: a silent pass.
// It follows the variables bound to parts of the input (`some rule in
// input.mailbox.inboxRules`).
func InputReads(c *ast.Compiler, skip func(file string) bool, add func(rule, file string, line int, format string, args ...any)) map[string]map[string]int {
	root := inputFields()
	files := make([]string, 0, len(c.Modules))
	for name := range c.Modules {
		files = append(files, name)
	}
	sort.Strings(files)
	reads := map[string]map[string]int{}
	for _, name := range files {
		m := c.Modules[name]
		if m.Package.Location == nil || skip(m.Package.Location.File) {
			continue
		}
		l := fieldLinter{root: root, add: add, seen: map[string]bool{}, sections: map[string]int{}}
		for _, r := range m.Rules {
			for rule := r; rule != nil; rule = rule.Else {
				l.body(rule.Body, map[ast.Var]place{})
			}
		}
		reads[m.Package.Location.File] = l.sections
	}
	return reads
}

// place is a part of the input: what the schema says of it, and the keys
// that lead to it from the input ("*" for an element of an array or map).
type place struct {
	f    *field
	path []string
}

func (p place) key(k string) (place, bool) {
	c, ok := p.f.child(k)
	return place{c, append(slices.Clip(p.path), k)}, ok
}

func (p place) element() place {
	return place{p.f.element(), append(slices.Clip(p.path), "*")}
}

type fieldLinter struct {
	root     *field
	add      func(rule, file string, line int, format string, args ...any)
	seen     map[string]bool // file:line:key reported
	sections map[string]int  // coverage section read → first line
}

// body checks a rule body, with env the parts of the input its variables
// hold; comprehensions inside are checked with a copy of it.
func (l *fieldLinter) body(body ast.Body, env map[ast.Var]place) {
	for _, expr := range body {
		l.expr(expr, env)
	}
}

func (l *fieldLinter) expr(expr *ast.Expr, env map[ast.Var]place) {
	// Comprehensions first, each in its own scope.
	ast.WalkClosures(expr, func(x any) bool {
		switch c := x.(type) {
		case *ast.ArrayComprehension:
			l.body(c.Body, maps.Clone(env))
		case *ast.SetComprehension:
			l.body(c.Body, maps.Clone(env))
		case *ast.ObjectComprehension:
			l.body(c.Body, maps.Clone(env))
		case *ast.Every:
			l.body(c.Body, maps.Clone(env))
		}
		return true
	})
	ast.WalkRefs(expr, func(ref ast.Ref) bool {
		l.resolve(ref, env, expr)
		return false
	})
	switch {
	case expr.IsEquality() || expr.IsAssignment():
		terms := expr.Terms.([]*ast.Term)
		if v, ok := terms[1].Value.(ast.Var); ok {
			if p, known := l.termPlace(terms[2], env); known {
				env[v] = p
			}
		}
		l.compare(expr, terms[1], terms[2], env)
		l.compare(expr, terms[2], terms[1], env)
	case expr.IsCall():
		terms := expr.Terms.([]*ast.Term)
		switch op := expr.Operator(); {
		case op.Equal(ast.Equal.Ref()) || op.Equal(ast.NotEqual.Ref()):
			l.compare(expr, terms[1], terms[2], env)
			l.compare(expr, terms[2], terms[1], env)
		case op.Equal(ast.Member.Ref()) && len(terms) >= 3:
			if c, ok := terms[2].Value.(ast.Set); ok {
				c.Foreach(func(t *ast.Term) { l.compare(expr, terms[1], t, env) })
			}
			if c, ok := terms[2].Value.(*ast.Array); ok {
				c.Foreach(func(t *ast.Term) { l.compare(expr, terms[1], t, env) })
			}
		}
		if expr.Operator().Equal(ast.ObjectGet.Ref()) && len(terms) == 5 {
			obj, known := l.termPlace(terms[1], env)
			if !known {
				return
			}
			var path []string
			switch k := terms[2].Value.(type) {
			case ast.String:
				path = []string{string(k)}
			case *ast.Array:
				for i := range k.Len() {
					s, ok := k.Elem(i).Value.(ast.String)
					if !ok {
						return
					}
					path = append(path, string(s))
				}
			default:
				return
			}
			p := obj
			for _, key := range path {
				next, ok := p.key(key)
				if !ok {
					l.report(expr, key, p.f.names())
					return
				}
				p = next
			}
			l.read(p.path, expr)
			if out, ok := terms[4].Value.(ast.Var); ok {
				env[out] = p
			}
		}
	}
}

// compare reports a constant string compared with a field whose values
// the schema lists, when it is none of them: `method.type == "Fido2"` is
// false on every snapshot.
func (l *fieldLinter) compare(expr *ast.Expr, field, value *ast.Term, env map[ast.Var]place) {
	s, isString := value.Value.(ast.String)
	if !isString {
		return
	}
	p, known := l.termPlace(field, env)
	if !known || p.f == nil || p.f.enum == nil || slices.Contains(p.f.enum, string(s)) || !l.once(expr, "="+string(s)) {
		return
	}
	l.add("unknown-value", expr.Location.File, expr.Location.Row,
		"%s compares %s with %q, which it never is (it is one of %s)%s: the comparison has the same answer on every snapshot",
		ExprSource(expr), strings.Join(p.path, "."), string(s), strings.Join(p.f.enum, ", "), didYouMean(string(s), p.f.enum))
}

// once reports whether a finding about key at expr's line is the first.
func (l *fieldLinter) once(expr *ast.Expr, key string) bool {
	if expr.Location == nil {
		return false
	}
	id := expr.Location.File + ":" + strconv.Itoa(expr.Location.Row) + ":" + key
	if l.seen[id] {
		return false
	}
	l.seen[id] = true
	return true
}

// termPlace is the part of the input a term holds, if it is one: the
// input, a variable bound to a part of it, or a reference into either.
func (l *fieldLinter) termPlace(t *ast.Term, env map[ast.Var]place) (place, bool) {
	switch v := t.Value.(type) {
	case ast.Var:
		if v.Equal(ast.InputRootDocument.Value) {
			return place{f: l.root}, true
		}
		p, ok := env[v]
		return p, ok
	case ast.Ref:
		p, ok := l.termPlace(v[0], env)
		if !ok {
			return place{}, false
		}
		for _, t := range v[1:] {
			if key, isKey := t.Value.(ast.String); isKey {
				if p, ok = p.key(string(key)); !ok {
					return place{}, false
				}
				continue
			}
			p = p.element()
		}
		return p, true
	}
	return place{}, false
}

// resolve records the section a reference reads and reports the first
// key of it that the schema has no place for.
func (l *fieldLinter) resolve(ref ast.Ref, env map[ast.Var]place, expr *ast.Expr) {
	p, ok := l.termPlace(ref[0], env)
	if !ok {
		return
	}
	for _, t := range ref[1:] {
		key, isKey := t.Value.(ast.String)
		if !isKey {
			p = p.element()
			continue
		}
		if p.f == nil {
			p.path = append(slices.Clip(p.path), string(key))
			continue // a leaf, or a place the schema leaves open
		}
		parent := p.f
		if p, ok = p.key(string(key)); !ok {
			l.report(expr, string(key), parent.names())
			return
		}
	}
	l.read(p.path, expr)
}

// read records the coverage section a path from the input lies in.
func (l *fieldLinter) read(path []string, expr *ast.Expr) {
	section := sectionOf(path)
	if section == "" || expr.Location == nil {
		return
	}
	if line, seen := l.sections[section]; !seen || expr.Location.Row < line {
		l.sections[section] = expr.Location.Row
	}
}

// sectionOf is the coverage section a path from the input lies in, or ""
// for what is no section (the incident, the tenant, coverage itself) or a
// read of a whole object that holds several.
func sectionOf(path []string) string {
	if len(path) == 0 {
		return ""
	}
	if path[0] == "mailbox" && len(path) > 1 {
		switch path[1] {
		case "forwardingSmtpAddress", "forwardingAddress", "deliverToMailboxAndForward":
			return "mailbox.forwarding"
		}
	}
	if len(path) > 1 {
		if s := path[0] + "." + path[1]; slices.Contains(snapshot.Sections, s) || slices.Contains(snapshot.TenantSections, s) {
			return s
		}
	}
	if slices.Contains(snapshot.Sections, path[0]) || slices.Contains(snapshot.TenantSections, path[0]) {
		return path[0]
	}
	return ""
}

func (l *fieldLinter) report(expr *ast.Expr, key string, siblings []string) {
	if !l.once(expr, key) {
		return
	}
	what := ExprSource(expr)
	if len(what) > 80 {
		what = what[:77] + "..."
	}
	l.add("unknown-field", expr.Location.File, expr.Location.Row,
		"%s reads %q, a field no closeout snapshot has there%s: the read is undefined on every snapshot, so what depends on it never happens", what, key, didYouMean(key, siblings))
}

// ExprSource is an expression as its policy spells it, on one line; without
// a source, its compiled form with the compiler's locals shown as "…".
func ExprSource(e *ast.Expr) string {
	if e.Location != nil && len(e.Location.Text) > 0 {
		return strings.Join(strings.Fields(string(e.Location.Text)), " ")
	}
	s := e.String()
	for {
		i := strings.Index(s, "__local")
		if i < 0 {
			return s
		}
		j := strings.Index(s[i+2:], "__")
		if j < 0 {
			return s
		}
		s = s[:i] + "…" + s[i+2+j+2:]
	}
}
