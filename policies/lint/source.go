package lint

import (
	"github.com/closeout-dev/closeout/policies"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
)

// parse is the rules opa-fmt (the file as opa fmt writes it) and, for a
// file that does not parse, compile. It returns the modules that parse,
// policies and tests apart.
func parse(files []policies.SourceFile, add report) (mods, tests map[string]*ast.Module) {
	mods, tests = map[string]*ast.Module{}, map[string]*ast.Module{}
	opts := ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1}
	for _, f := range files {
		if formatted, err := format.SourceWithOpts(f.Name, f.Src, format.Opts{RegoVersion: ast.RegoV1}); err == nil && string(formatted) != string(f.Src) {
			add("opa-fmt", f.Name, firstDifferentLine(string(f.Src), string(formatted)), "not formatted as opa fmt formats it (run opa fmt -w)")
		}
		m, err := ast.ParseModuleWithOpts(f.Name, string(f.Src), opts)
		if err != nil {
			add("compile", f.Name, errLine(err), "%s", policies.OneLine(err.Error()))
			continue
		}
		if policies.IsTestFile(f.Name) {
			tests[f.Name] = m
		} else {
			mods[f.Name] = m
		}
	}
	return mods, tests
}
