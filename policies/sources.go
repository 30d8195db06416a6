package policies

import (
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// What policy lint (package policies/lint) reads of a policy set before
// it is judged: its sources, the checks Load makes, the compiler Load
// uses. Loading and evaluating stay here; the lint rules live there.

// SourceFile is one Rego file of a policy set, named as errors name it.
type SourceFile struct {
	Name   string
	Src    []byte
	Custom bool // a file the user wrote (--policy-dir, a custom bundle)
}

// Sources reads the files Load would: the library (or the bundle or
// directory standing in for it) and the custom directories, sorted by
// name, refusing what Load refuses (links, sizes, a custom file with a
// library module's name).
func Sources(opts Options) ([]SourceFile, error) {
	files, err := opts.sources()
	if err != nil {
		return nil, err
	}
	out := make([]SourceFile, len(files))
	for i, f := range files {
		out[i] = SourceFile{Name: f.name, Src: f.src, Custom: f.custom}
	}
	return out, nil
}

// CheckModules applies Load's rules on custom modules (namespace, one
// file a package, no rule into another package, finding rules as sets)
// to parsed files.
func CheckModules(files []SourceFile, mods, tests map[string]*ast.Module) error {
	mf := make([]moduleFile, len(files))
	for i, f := range files {
		mf[i] = moduleFile{name: f.Name, src: f.Src, custom: f.Custom}
	}
	return checkModules(mf, mods, tests)
}

// NewCompiler is the compiler Load uses: strict, the sandbox's
// capabilities, print compiled out.
func NewCompiler() *ast.Compiler { return newCompiler() }

// IsFindingRule says whether a rule name is one a policy reports through
// (deny, warn, manual, unknown).
func IsFindingRule(name string) bool { return slices.Contains(findingRules, name) }

// IsResultRule says whether a rule's results carry a message (deny, warn).
func IsResultRule(name string) bool { return name == ruleDeny || name == ruleWarn }

// ReadMetadata reads a policy from its package METADATA, with every
// problem of it.
func ReadMetadata(pkgPath, file string, a *ast.Annotations) (*Policy, []MetadataProblem) {
	return readMetadata(pkgPath, file, a)
}

// UnknownMetadataKeys are the custom METADATA keys closeout does not read,
// each with a suggestion when one is near.
func UnknownMetadataKeys(a *ast.Annotations) []MetadataProblem { return unknownMetadataKeys(a) }

// SandboxMessage words a compile error about a builtin the sandbox takes
// away as a refusal with its reason; other messages are returned as they
// are.
func SandboxMessage(msg string) string { return sandboxMessage(msg) }

// OneLine is an error message on one line, cut at 300 characters.
func OneLine(s string) string { return oneLine(s) }

// Unrequired are the sections a policy reads and does not require, sorted.
func Unrequired(p *Policy, reads map[string]int) []string {
	var missing []string
	for s := range reads {
		if !slices.Contains(p.Requires, s) {
			missing = append(missing, s)
		}
	}
	slices.Sort(missing)
	return missing
}
