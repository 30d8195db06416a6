package lint

import (
	"github.com/closeout-dev/closeout/policies"
	"github.com/open-policy-agent/opa/v1/ast"
)

// compile is the rules compile and sandbox: everything compiled together,
// as Load compiles it (strict mode, the sandbox's builtins), each error
// reported, not the first. A builtin the sandbox takes away is named as a
// refusal with its reason. It returns the compiler when all compiled.
func compile(mods, tests map[string]*ast.Module, add report) (*ast.Compiler, bool) {
	c := policies.NewCompiler()
	all := map[string]*ast.Module{}
	for k, v := range mods {
		all[k] = v
	}
	for k, v := range tests {
		all[k] = v
	}
	if c.Compile(all); !c.Failed() {
		return c, true
	}
	for _, e := range c.Errors {
		file, line := "policies", 0
		if e.Location != nil {
			file, line = e.Location.File, e.Location.Row
		}
		if msg := policies.SandboxMessage(e.Message); msg != e.Message {
			add("sandbox", file, line, "%s", msg)
		} else {
			add("compile", file, line, "%s: %s", e.Code, e.Message)
		}
	}
	return nil, false
}
