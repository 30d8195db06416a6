// Package lint is policy lint: every rule that judges a policy's source,
// beside each other, apart from loading and evaluating policies (package
// policies). Each rule is a function of its own file that reports through
// a report func; Rules lists them for --help and SARIF, and Run calls them.
//
// A new rule: write it in a file of its own (func myRule(..., add report)),
// add its id and description to Rules, call it from Run (for each file,
// each package, or the compiled set), and give lint_test.go a policy that
// breaks it at a known line.
package lint

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/closeout-dev/closeout/policies"
	"github.com/open-policy-agent/opa/v1/ast"
)

// Finding is one problem policy lint found, at a file and line.
type Finding struct {
	Rule    string `json:"rule"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// report records a finding of a rule.
type report func(rule, file string, line int, format string, args ...any)

// Rules names and describes each rule, for SARIF and --help.
var Rules = []struct{ ID, Description string }{
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

// Run checks the library and the custom directories the way CI gates a
// policy change, and returns every problem found, not only the first.
// With opts.NoEmbedded only the custom files' problems are reported; the
// library is compiled with them all the same, as everywhere they run.
func Run(ctx context.Context, opts policies.Options) ([]Finding, error) {
	files, err := policies.Sources(opts)
	if err != nil {
		return nil, err
	}
	var out []Finding
	add := func(rule, file string, line int, format string, args ...any) {
		out = append(out, Finding{Rule: rule, File: file, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	mods, tests := parse(files, add)
	if err := policies.CheckModules(files, mods, tests); err != nil {
		file, line := splitFileLine(err)
		add("compile", file, line, "%s", reason(err))
	}
	var reads map[string]map[string]int
	if c, ok := compile(mods, tests, add); ok {
		negatedReads(c, policies.IsTestFile, add)
		reads = policies.InputReads(c, policies.IsTestFile, add)
	}
	srcs := map[string][]byte{}
	for _, f := range files {
		srcs[f.Name] = f.Src
	}
	eachPackage(mods, tests, srcs, reads, add)
	if opts.NoEmbedded {
		mine := map[string]bool{}
		for _, f := range files {
			mine[f.Name] = f.Custom
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

// eachPackage runs the rules that judge a policy package: its metadata,
// results, tests, helper rules and required sections.
func eachPackage(mods, tests map[string]*ast.Module, srcs map[string][]byte, reads map[string]map[string]int, add report) {
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
			if policies.IsFindingRule(rn) {
				if !slices.Contains(finding, rn) {
					finding = append(finding, rn)
				}
				if policies.IsResultRule(rn) {
					resultMsg(r, name, add)
				}
			} else if _, seen := rules[rn]; !seen {
				rules[rn] = r
			}
		}
		if len(finding) == 0 {
			continue // a helper library
		}
		line := m.Package.Location.Row
		if p, ok := metadata(pkg, name, ann, srcs[name], ids, line, add); ok {
			requiresRead(p, name, reads[name], add)
		}
		testsBeside(name, pkg, finding, tests, add, line)
		unusedRules(m, rules, add, name)
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
	le, ok := err.(*policies.LoadError)
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

func reason(err error) string {
	if le, ok := err.(*policies.LoadError); ok {
		return le.Reason
	}
	return err.Error()
}
