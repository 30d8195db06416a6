package policies

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
)

// LintFinding is one problem `policy lint` found, at a file and line.
type LintFinding struct {
	Rule    string `json:"rule"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// LintRules names and describes each lint rule, for SARIF and --help.
var LintRules = []struct{ ID, Description string }{
	{"compile", "the policies compile in strict mode against the sandbox's builtins"},
	{"sandbox", "a policy calls no builtin the sandbox takes away (http.send, net.*, opa.runtime, ...): policies read the snapshot, nothing else"},
	{"opa-fmt", "the file is formatted as opa fmt formats it"},
	{"metadata", "package METADATA gives title, description and custom id, severity, checklist, requires, modes, remediation, valid"},
	{"id-pattern", "a policy id is upper-case words joined by dashes (CO-MAIL-001, ACME-001)"},
	{"id-unique", "a policy id is used once in the set"},
	{"result-msg", "every deny and warn result is an object with msg, or a string"},
	{"tests", "every policy has a _test.rego beside it that exercises each of its finding rules"},
	{"unused-rule", "a helper rule in a policy package is used by another rule of it"},
	{"unknown-field", "every input field read is one a closeout snapshot has (a misspelt field is undefined on every snapshot: what depends on it never happens)"},
	{"unknown-value", "a field the schema lists the values of is compared only with one of them (method.type == \"Fido2\" is false on every snapshot)"},
	{"requires", "a policy requires every section it reads, so that it is unknown, not passing, when one is not collected"},
	{"negated-read", "a not expression does not take a field as a call's argument (OPA reads it before the negation, so a missing field fails the rule instead)"},
}

var idPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$`)

// Lint checks the library and the custom directories the way CI gates a
// policy change, and returns every problem found, not only the first.
// With NoEmbedded only the custom files' problems are reported; the
// library is compiled with them all the same, as everywhere they run.
func Lint(ctx context.Context, opts Options) ([]LintFinding, error) {
	files, err := opts.sources()
	if err != nil {
		return nil, err
	}
	var out []LintFinding
	add := func(rule, file string, line int, format string, args ...any) {
		out = append(out, LintFinding{Rule: rule, File: file, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	mods, tests := map[string]*ast.Module{}, map[string]*ast.Module{}
	opts2 := ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1}
	for _, f := range files {
		if formatted, ferr := format.SourceWithOpts(f.name, f.src, format.Opts{RegoVersion: ast.RegoV1}); ferr == nil && string(formatted) != string(f.src) {
			add("opa-fmt", f.name, firstDifferentLine(string(f.src), string(formatted)), "not formatted as opa fmt formats it (run opa fmt -w)")
		}
		m, perr := ast.ParseModuleWithOpts(f.name, string(f.src), opts2)
		if perr != nil {
			add("compile", f.name, errLine(perr), "%s", oneLine(perr.Error()))
			continue
		}
		if isTestFile(f.name) {
			tests[f.name] = m
		} else {
			mods[f.name] = m
		}
	}
	if err := checkModules(files, mods, tests); err != nil {
		file, line := splitFileLine(err)
		add("compile", file, line, "%s", lintReason(err))
	}
	// Compile everything together, as Load does, for strict-mode and
	// capability errors (each one, not the first).
	c := newCompiler()
	all := map[string]*ast.Module{}
	for k, v := range mods {
		all[k] = v
	}
	for k, v := range tests {
		all[k] = v
	}
	var reads map[string]map[string]int
	if c.Compile(all); c.Failed() {
		for _, e := range c.Errors {
			file, line := "policies", 0
			if e.Location != nil {
				file, line = e.Location.File, e.Location.Row
			}
			if msg := sandboxMessage(e.Message); msg != e.Message {
				add("sandbox", file, line, "%s", msg)
			} else {
				add("compile", file, line, "%s: %s", e.Code, e.Message)
			}
		}
	} else {
		lintNegations(c, isTestFile, add)
		reads = lintInputFields(c, isTestFile, add)
	}
	srcs := map[string][]byte{}
	for _, f := range files {
		srcs[f.name] = f.src
	}
	lintPackages(mods, tests, srcs, reads, add)
	if opts.NoEmbedded {
		mine := map[string]bool{}
		for _, f := range files {
			mine[f.name] = f.custom
		}
		kept := out[:0]
		for _, f := range out {
			if mine[f.File] {
				kept = append(kept, f)
			}
		}
		out = kept
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out, nil
}

// lintPackages checks each policy package's metadata, results, tests and
// helper rules.
func lintPackages(mods, tests map[string]*ast.Module, srcs map[string][]byte, reads map[string]map[string]int, add func(rule, file string, line int, format string, args ...any)) {
	names := make([]string, 0, len(mods))
	for n := range mods {
		names = append(names, n)
	}
	sort.Strings(names)
	ids := map[string]string{}
	for _, name := range names {
		m := mods[name]
		pkg := strings.TrimPrefix(m.Package.Path.String(), "data.")
		var ann *ast.Annotations
		for _, a := range m.Annotations {
			if a.Scope == "package" {
				ann = a
			}
		}
		rules := map[string]*ast.Rule{}
		var finding []string
		for _, r := range m.Rules {
			rn := r.Head.Ref()[0].Value.String()
			if slices.Contains(findingRules, rn) {
				if !slices.Contains(finding, rn) {
					finding = append(finding, rn)
				}
				if rn == ruleDeny || rn == ruleWarn {
					lintResult(r, name, add)
				}
			} else if _, seen := rules[rn]; !seen {
				rules[rn] = r
			}
		}
		if len(finding) == 0 {
			continue // a helper library
		}
		line := m.Package.Location.Row
		p, problems := readMetadata(pkg, name, ann)
		problems = append(problems, unknownMetadataKeys(ann)...)
		for _, pr := range problems {
			add("metadata", name, metadataLine(srcs[name], ann, pr.Key, line), "%s", pr.Msg)
		}
		if p != nil && p.ID != "" {
			if !idPattern.MatchString(p.ID) {
				add("id-pattern", name, metadataLine(srcs[name], ann, "custom.id", line), "policy id %q is not upper-case words joined by dashes (such as ACME-001)", p.ID)
			}
			if other, dup := ids[p.ID]; dup {
				add("id-unique", name, metadataLine(srcs[name], ann, "custom.id", line), "policy id %s is already used by %s", p.ID, other)
			}
			ids[p.ID] = name
		}
		if len(problems) == 0 {
			lintRequires(p, name, reads[name], add)
		}
		lintTests(name, pkg, finding, tests, add, line)
		lintUnused(m, rules, add, name)
	}
}

// lintResult checks that a deny or warn result carries msg: a string, an
// object literal with "msg", or a variable assigned such an object.
func lintResult(r *ast.Rule, file string, add func(rule, file string, line int, format string, args ...any)) {
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

// lintTests checks there is a _test.rego beside the policy that refers to
// each of its finding rules.
func lintTests(file, pkg string, finding []string, tests map[string]*ast.Module, add func(rule, file string, line int, format string, args ...any), line int) {
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

// lintUnused reports helper rules of a policy package no other rule uses.
func lintUnused(m *ast.Module, rules map[string]*ast.Rule, add func(rule, file string, line int, format string, args ...any), file string) {
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

func firstDifferentLine(a, b string) int {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl))
}

func errLine(err error) int {
	if errs, ok := err.(ast.Errors); ok && len(errs) > 0 && errs[0].Location != nil {
		return errs[0].Location.Row
	}
	return 0
}

var fileLinePrefix = regexp.MustCompile(`^(.+?\.rego)(?::(\d+))?$`)

func splitFileLine(err error) (string, int) {
	le, ok := err.(*LoadError)
	if !ok {
		return "policies", 0
	}
	if m := fileLinePrefix.FindStringSubmatch(le.File); m != nil {
		n := 0
		fmt.Sscan(m[2], &n)
		return m[1], n
	}
	return le.File, 0
}

func lintReason(err error) string {
	if le, ok := err.(*LoadError); ok {
		return le.Reason
	}
	return err.Error()
}

// lintRequires reports a section the policy reads but does not require:
// when that section is not collected the policy judges it empty, and can
// pass, instead of being unknown.
func lintRequires(p *Policy, file string, reads map[string]int, add func(rule, file string, line int, format string, args ...any)) {
	for _, s := range unrequired(p, reads) {
		add("requires", file, reads[s], "the policy reads the %s section but does not require it: when %s is not collected the policy sees it empty and can pass instead of being unknown (add it to requires)", s, s)
	}
}

// unrequired are the sections a policy reads and does not require, sorted.
func unrequired(p *Policy, reads map[string]int) []string {
	var missing []string
	for s := range reads {
		if !slices.Contains(p.Requires, s) {
			missing = append(missing, s)
		}
	}
	slices.Sort(missing)
	return missing
}

// metadataLine is the line of key ("title", "custom.severity", "custom")
// in the METADATA block of src, or fallback when it is not written there
// (a missing key is reported at the block, or at custom:).
func metadataLine(src []byte, ann *ast.Annotations, key string, fallback int) int {
	if ann == nil || ann.Location == nil {
		return fallback
	}
	lines := strings.Split(string(src), "\n")
	first := ann.Location.Row // the # METADATA line
	parent, child, nested := key, "", false
	if p, c, ok := strings.Cut(key, "."); ok {
		parent, child, nested = p, c, true
	}
	if key == "" {
		return first
	}
	at := 0
	for i := first; i < len(lines); i++ { // lines[i] is line i+1
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "#") {
			break
		}
		body := strings.TrimPrefix(l, "#")
		indented := strings.HasPrefix(body, "  ") || strings.HasPrefix(body, "\t")
		name, _, hasColon := strings.Cut(strings.TrimSpace(body), ":")
		if !hasColon {
			continue
		}
		switch {
		case !indented && name == parent:
			at = i + 1
			if !nested {
				return at
			}
		case !indented && at > 0 && nested:
			return at // past the parent's block: the key is not written
		case indented && at > 0 && nested && name == child:
			return i + 1
		}
	}
	if at > 0 {
		return at
	}
	return first
}
