// Package policies is closeout's policy engine and the policy library it
// embeds: it loads Rego (embedded and from --policy-dir), checks each
// policy's metadata, compiles everything once in strict mode with a
// restricted capability set, and evaluates snapshots into findings.
package policies

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/closeout-dev/closeout/internal/safefile"
	"github.com/closeout-dev/closeout/results"
	"github.com/closeout-dev/closeout/snapshot"
	"github.com/open-policy-agent/opa/v1/ast"
)

//go:embed */*.rego
var embedded embed.FS

// Rule names a policy package may define. deny and warn follow conftest's
// convention; manual marks a human step that has not been attested;
// unknown says a value the policy needs is missing or not understood (a
// null riskState), so the policy cannot judge even though its sections
// were collected.
const (
	ruleDeny    = "deny"
	ruleWarn    = "warn"
	ruleManual  = "manual"
	ruleUnknown = "unknown"
)

var findingRules = []string{ruleDeny, ruleWarn, ruleManual, ruleUnknown}

// Policy is one control: a Rego package with its metadata.
type Policy struct {
	ID          string           `json:"id"`
	Title       string           `json:"title"`
	Description string           `json:"description"`
	Severity    results.Severity `json:"severity"`
	Checklist   string           `json:"checklist"`
	Requires    []string         `json:"requires"`
	Modes       []string         `json:"modes"`
	Remediation string           `json:"remediation"`
	// FailsOnPartialData marks a policy whose denies only ever name things
	// present in the data (a rule, a grant, a sign-in), never the absence of
	// something. Such a deny is proof even when a section is incomplete, so
	// it fails rather than hides behind unknown.
	FailsOnPartialData bool     `json:"failsOnPartialData,omitempty"`
	References         []string `json:"references,omitempty"`
	Package            string   `json:"package"`
	File               string   `json:"file"`
	Custom             bool     `json:"custom"`
	Rules              []string `json:"rules"`
}

// AppliesTo reports whether the policy runs on snapshots of the given mode.
func (p *Policy) AppliesTo(mode string) bool { return slices.Contains(p.Modes, mode) }

// Modes a policy can declare.
var knownModes = []string{snapshot.ModeIncident, snapshot.ModePosture, snapshot.ModeTenant}

// LoadError is a policy that cannot be loaded: bad Rego, missing or invalid
// metadata, a duplicate id, or a forbidden builtin.
type LoadError struct {
	File   string
	Reason string
}

func (e *LoadError) Error() string { return e.File + ": " + e.Reason }

// moduleFile is one Rego source file.
type moduleFile struct {
	name   string // as shown in errors: "policies/mail/x.rego" or "<dir>/x.rego"
	src    []byte
	custom bool
}

// readSources collects the .rego files of the embedded library (unless
// skipped) and of each custom directory; readAll sorts them with the rest.
func readSources(dirs []string, withEmbedded bool) ([]moduleFile, error) {
	var files []moduleFile
	collect := func(fsys fs.FS, prefix string, custom bool) error {
		return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(p, ".rego") {
				return nil
			}
			src, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			files = append(files, moduleFile{name: path.Join(prefix, p), src: src, custom: custom})
			return nil
		})
	}
	if withEmbedded {
		if err := collect(embedded, "policies", false); err != nil {
			return nil, err
		}
	}
	for _, dir := range dirs {
		tree, err := readTree(dir, dir, true)
		if err != nil {
			return nil, err
		}
		files = append(files, tree...)
	}
	return files, nil
}

// Bounds of a policy directory: a policy file is a few KiB, a library a
// few hundred.
const (
	maxPolicyFileBytes = 1 << 20
	maxPolicyTreeBytes = 64 << 20
)

// readTree reads the .rego files under root, named prefix/relative-path:
// regular files only, never through a link (a link or a device in a policy
// directory is refused by name, its target never read), within the size
// bounds.
func readTree(root, prefix string, custom bool) ([]moduleFile, error) {
	// The directory the user named may itself be a link; what lies
	// under it may not.
	named := root
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	st, err := os.Stat(root)
	if err != nil {
		return nil, &LoadError{File: named, Reason: "cannot read policy directory: " + strings.TrimPrefix(err.Error(), "stat "+root+": ")}
	}
	if !st.IsDir() {
		return nil, &LoadError{File: named, Reason: "is not a directory"}
	}
	var files []moduleFile
	total := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return &LoadError{File: p, Reason: strings.TrimPrefix(err.Error(), "open "+p+": ")}
		}
		rel, _ := filepath.Rel(root, p)
		name := path.Join(prefix, filepath.ToSlash(rel))
		switch {
		case p == root:
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			return &LoadError{File: name, Reason: "is a symbolic link: refused (a policy directory holds regular files only; its target is not read)"}
		case d.IsDir() || !strings.HasSuffix(p, ".rego"):
			return nil
		case !d.Type().IsRegular():
			return &LoadError{File: name, Reason: "is not a regular file: refused"}
		}
		src, err := safefile.ReadFile(p, maxPolicyFileBytes)
		if err != nil {
			return &LoadError{File: name, Reason: strings.TrimPrefix(strings.TrimPrefix(err.Error(), p+" "), p+": ")}
		}
		if total += len(src); total > maxPolicyTreeBytes {
			return &LoadError{File: named, Reason: fmt.Sprintf("holds more than %d MiB of policies", maxPolicyTreeBytes>>20)}
		}
		files = append(files, moduleFile{name: name, src: src, custom: custom})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// sources reads the library (embedded, or LibraryDir) and the custom
// directories.
func (o Options) sources() ([]moduleFile, error) {
	files, _, err := o.sourcesWithBundle()
	return files, err
}

// sourcesWithBundle is sources, and where a bundle's library came from.
// A bundle or a directory that defines no closeout.* package is not a
// library but custom policies: they are read as custom (under custom.*,
// never shadowing) beside the embedded library they build on.
func (o Options) sourcesWithBundle() ([]moduleFile, *BundleSource, error) {
	files, src, _, err := o.readAll()
	return files, src, err
}

// readAll is sourcesWithBundle, and whether the embedded library is among
// the files.
func (o Options) readAll() ([]moduleFile, *BundleSource, bool, error) {
	var other []moduleFile
	var src *BundleSource
	var err error
	switch {
	case o.Bundle != "":
		other, src, err = readBundle(o.Bundle, o.Verify)
	case o.LibraryDir != "":
		other, err = readTree(o.LibraryDir, "policies", false)
		if err == nil && !isLibrary(other) {
			// Custom policies are named as the user has them.
			for i := range other {
				other[i].name = path.Join(o.LibraryDir, strings.TrimPrefix(other[i].name, "policies/"))
			}
		}
	}
	if err != nil {
		return nil, nil, false, err
	}
	replaces := isLibrary(other)
	if !replaces {
		for i := range other {
			other[i].custom = true
		}
	}
	files, err := readSources(o.Dirs, !replaces)
	if err != nil {
		return nil, nil, false, err
	}
	files = append(files, other...)
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files, src, !replaces, uniqueNames(files)
}

// libraryPackage matches a package of closeout's own library.
var libraryPackage = regexp.MustCompile(`(?m)^[ \t]*package[ \t]+closeout(\.|[ \t]*$)`)

// isLibrary says whether files are a version of closeout's library (they
// define a closeout.* package) rather than custom policies.
func isLibrary(files []moduleFile) bool {
	for _, f := range files {
		if libraryPackage.Match(f.src) {
			return true
		}
	}
	return false
}

// uniqueNames refuses two modules of one name: a custom file never stands
// in for a library one, whatever its directory is called (a directory
// named policies holding mail/legacy_protocols.rego).
func uniqueNames(files []moduleFile) error {
	for i := 1; i < len(files); i++ {
		if a, b := files[i-1], files[i]; a.name == b.name {
			custom, builtin := a, b
			if !a.custom {
				custom, builtin = b, a
			}
			why := "two files of one name"
			if custom.custom && !builtin.custom {
				why = "has the name of the library's module " + builtin.name + ": a custom file never replaces a library one; rename the file or its directory"
			}
			return &LoadError{File: custom.name, Reason: why}
		}
	}
	return nil
}

// IsTestFile says whether a file is a Rego test (name_test.rego).
func IsTestFile(name string) bool { return strings.HasSuffix(name, "_test.rego") }

// digest identifies a policy set: the names and contents of its evaluated files.
func digest(files []moduleFile) string {
	h := sha256.New()
	for _, f := range files {
		if IsTestFile(f.name) {
			continue
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f.name, len(f.src))
		h.Write(f.src)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// parseModules parses every file; test files are returned apart.
func parseModules(files []moduleFile) (mods, tests map[string]*ast.Module, err error) {
	mods, tests = map[string]*ast.Module{}, map[string]*ast.Module{}
	opts := ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1}
	for _, f := range files {
		m, err := ast.ParseModuleWithOpts(f.name, string(f.src), opts)
		if err != nil {
			return nil, nil, &LoadError{File: f.name, Reason: oneLine(err.Error())}
		}
		if IsTestFile(f.name) {
			tests[f.name] = m
		} else {
			mods[f.name] = m
		}
	}
	return mods, tests, nil
}

// policiesOf groups the modules by package and turns every package that
// defines a finding rule into a Policy, checking its metadata.
func policiesOf(mods map[string]*ast.Module, custom map[string]bool) ([]*Policy, error) {
	type pkgInfo struct {
		files []string
		rules map[string]bool
		ann   *ast.Annotations
		annAt string
	}
	pkgs := map[string]*pkgInfo{}
	names := make([]string, 0, len(mods))
	for name := range mods {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		m := mods[name]
		pkgPath := strings.TrimPrefix(m.Package.Path.String(), "data.")
		info := pkgs[pkgPath]
		if info == nil {
			info = &pkgInfo{rules: map[string]bool{}}
			pkgs[pkgPath] = info
		}
		info.files = append(info.files, name)
		for _, r := range m.Rules {
			rn := r.Head.Name.String()
			if len(r.Head.Reference) > 0 {
				rn = r.Head.Reference[0].Value.(ast.Var).String()
			}
			if slices.Contains(findingRules, rn) {
				info.rules[rn] = true
			}
		}
		for _, a := range m.Annotations {
			if a.Scope != "package" {
				continue
			}
			if info.ann != nil {
				return nil, &LoadError{File: name, Reason: fmt.Sprintf("package %s has package METADATA in %s already", pkgPath, info.annAt)}
			}
			info.ann, info.annAt = a, name
		}
	}
	var out []*Policy
	seen := map[string]string{}
	pkgNames := make([]string, 0, len(pkgs))
	for p := range pkgs {
		pkgNames = append(pkgNames, p)
	}
	sort.Strings(pkgNames)
	for _, pkgPath := range pkgNames {
		info := pkgs[pkgPath]
		if len(info.rules) == 0 {
			continue // a library package
		}
		file := info.files[0]
		if info.annAt != "" {
			file = info.annAt
		}
		p, err := policyFromAnnotations(pkgPath, file, info.ann)
		if err != nil {
			return nil, err
		}
		p.Custom = custom[file]
		for _, r := range findingRules {
			if info.rules[r] {
				p.Rules = append(p.Rules, r)
			}
		}
		if other, dup := seen[p.ID]; dup {
			return nil, &LoadError{File: file, Reason: fmt.Sprintf("policy id %s is already used by %s", p.ID, other)}
		}
		seen[p.ID] = file
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func policyFromAnnotations(pkgPath, file string, a *ast.Annotations) (*Policy, error) {
	p, problems := readMetadata(pkgPath, file, a)
	if len(problems) > 0 {
		return nil, &LoadError{File: file, Reason: fmt.Sprintf("package %s: ", pkgPath) + problems[0].Msg}
	}
	return p, nil
}

// MetadataProblem is one thing wrong with a policy's METADATA: the key it
// is about ("title", "custom.severity"; "" for the block) and what.
type MetadataProblem struct {
	Key string
	Msg string
}

// metadataKeys are the custom keys a policy's METADATA may hold.
var metadataKeys = []string{"id", "severity", "checklist", "requires", "modes", "remediation", "fails_on_partial_data", "library"}

// readMetadata reads a policy from its package METADATA, and every
// problem of it, not only the first.
func readMetadata(pkgPath, file string, a *ast.Annotations) (*Policy, []MetadataProblem) {
	var problems []MetadataProblem
	bad := func(key, format string, args ...any) {
		problems = append(problems, MetadataProblem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if a == nil {
		bad("", "defines deny, warn, manual or unknown rules but has no package-scope METADATA (title, description, custom.id, severity, checklist, requires, modes, remediation)")
		return nil, problems
	}
	p := &Policy{Package: pkgPath, File: file, Title: strings.TrimSpace(a.Title), Description: strings.TrimSpace(a.Description)}
	if p.Title == "" {
		bad("title", "METADATA has no title")
	}
	if p.Description == "" {
		bad("description", "METADATA has no description")
	}
	str := func(key string) string {
		v, ok := a.Custom[key]
		if !ok {
			bad("custom", "METADATA has no custom.%s", key)
			return ""
		}
		s, ok := v.(string)
		if !ok || strings.TrimSpace(s) == "" {
			bad("custom."+key, "custom.%s must be a non-empty string", key)
			return ""
		}
		return strings.TrimSpace(s)
	}
	list := func(key string) ([]string, bool) {
		v, ok := a.Custom[key]
		if !ok {
			bad("custom", "METADATA has no custom.%s (a list; [] for none)", key)
			return nil, false
		}
		items, ok := v.([]any)
		if !ok {
			bad("custom."+key, "custom.%s must be a list of strings", key)
			return nil, false
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			s, ok := it.(string)
			if !ok {
				bad("custom."+key, "custom.%s must be a list of strings", key)
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	p.ID = str("id")
	if sev := str("severity"); sev != "" {
		var err error
		if p.Severity, err = results.ParseSeverity(sev); err != nil {
			bad("custom.severity", "custom.severity: %v%s", err, didYouMean(sev, []string{"critical", "high", "medium", "low", "info"}))
		}
	}
	if p.Checklist = str("checklist"); p.Checklist != "" && !validChecklistKey(p.Checklist) {
		bad("custom.checklist", "custom.checklist %q is not a checklist key (docs/reference.md lists them; custom policies may use custom-<name>)%s", p.Checklist, didYouMean(p.Checklist, checklistKeys()))
	}
	modesOK := false
	if p.Modes, modesOK = list("modes"); modesOK {
		if len(p.Modes) == 0 {
			bad("custom.modes", "custom.modes is empty; want incident, posture or both")
		}
		for _, m := range p.Modes {
			if !slices.Contains(knownModes, m) {
				bad("custom.modes", "custom.modes names unknown mode %q (want incident, posture or tenant)%s", m, didYouMean(m, knownModes))
			}
		}
		if slices.Contains(p.Modes, snapshot.ModeTenant) && len(p.Modes) > 1 {
			bad("custom.modes", "custom.modes: a tenant policy reads tenant documents only; it cannot also be incident or posture")
		}
	}
	if reqs, ok := list("requires"); ok {
		p.Requires = reqs
		known := snapshot.Sections
		if slices.Contains(p.Modes, snapshot.ModeTenant) {
			known = snapshot.TenantSections
		}
		for _, s := range p.Requires {
			if !slices.Contains(known, s) {
				hint := didYouMean(s, known)
				if hint == "" {
					hint = " (known: " + strings.Join(known, ", ") + ")"
				}
				bad("custom.requires", "custom.requires names unknown section %q%s", s, hint)
			}
		}
	}
	if p.Remediation = str("remediation"); p.Remediation != "" {
		if unknown := badPlaceholders(p.Remediation); len(unknown) > 0 {
			bad("custom.remediation", "custom.remediation has placeholder %s: the placeholders are {user} (a PowerShell argument, quoted), {user:url} (in a URL) and {user:text} (in prose)", unknown[0])
		}
	}
	if v, ok := a.Custom["fails_on_partial_data"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			bad("custom.fails_on_partial_data", "custom.fails_on_partial_data must be true or false")
		}
		p.FailsOnPartialData = b
	}
	for _, r := range a.RelatedResources {
		// Reports make links of references: https only, no credentials.
		if r.Ref.Scheme != "https" || r.Ref.Host == "" || r.Ref.User != nil {
			bad("related_resources", "related_resources ref %q is not an https URL: reports link to references, and only to https", r.Ref.String())
			continue
		}
		p.References = append(p.References, r.Ref.String())
	}
	return p, problems
}

// unknownMetadataKeys are the custom keys closeout does not read, with a
// suggestion: a misspelt optional key (fails_on_partal_data) is otherwise
// silently ignored.
func unknownMetadataKeys(a *ast.Annotations) []MetadataProblem {
	if a == nil {
		return nil
	}
	var out []MetadataProblem
	for k := range a.Custom {
		if !slices.Contains(metadataKeys, k) {
			out = append(out, MetadataProblem{Key: "custom." + k, Msg: fmt.Sprintf("custom.%s is not a key closeout reads (it reads %s)%s", k, strings.Join(metadataKeys[:7], ", "), didYouMean(k, metadataKeys))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\n\t", " ")
	s = strings.ReplaceAll(s, "\n", "; ")
	// A parser quotes the offending line: a file that is not Rego (one
	// long line of anything) is named, not printed.
	const max = 300
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "… (cut)"
	}
	return s
}

// CustomNamespace is the package root custom policies and their helper
// libraries live under. Everything under "closeout" belongs to the
// embedded library: a custom file may read it, never define in it.
const CustomNamespace = "custom"

// checkModules enforces the rules that keep a custom policy from changing
// what another policy says:
//   - every custom package is under custom.* and lives in one file, so no
//     file can add rules to, or override a default of, a package it does
//     not own;
//   - no rule defines a document inside another package (ref heads);
//   - every custom file is a policy (finding rules and package METADATA)
//     or a declared helper library (METADATA custom.library: true);
//   - deny, warn and manual are sets (deny contains result if …), in the
//     embedded library too: `deny := true` or `deny if …` would be read
//     as a result and invert the verdict.
func checkModules(files []moduleFile, mods, tests map[string]*ast.Module) error {
	custom := map[string]bool{}
	for _, f := range files {
		custom[f.name] = f.custom
	}
	names := make([]string, 0, len(mods)+len(tests))
	for name := range mods {
		names = append(names, name)
	}
	for name := range tests {
		names = append(names, name)
	}
	sort.Strings(names)
	module := func(name string) *ast.Module {
		if m, ok := mods[name]; ok {
			return m
		}
		return tests[name]
	}
	// Every package path, for the ref-head check.
	pkgOf := map[string]ast.Ref{}
	for _, name := range names {
		p := module(name).Package.Path
		pkgOf[p.String()] = p
	}
	ownerOf := map[string]string{} // custom package → its file
	for _, name := range names {
		m := module(name)
		pkgPath := m.Package.Path
		pkg := strings.TrimPrefix(pkgPath.String(), "data.")
		at := func(loc *ast.Location) string {
			if loc != nil {
				return fmt.Sprintf("%s:%d", name, loc.Row)
			}
			return name
		}
		if custom[name] {
			if pkg != CustomNamespace && !strings.HasPrefix(pkg, CustomNamespace+".") {
				return &LoadError{File: at(m.Package.Location), Reason: fmt.Sprintf("package %s: a custom policy's package must be %s.<name> (closeout.* belongs to the embedded library)", pkg, CustomNamespace)}
			}
			if other, dup := ownerOf[pkg]; dup {
				return &LoadError{File: at(m.Package.Location), Reason: fmt.Sprintf("package %s is already defined in %s; a custom package lives in one file", pkg, other)}
			}
			ownerOf[pkg] = name
		}
		hasFindingRule := false
		for _, r := range m.Rules {
			head := r.Head.Ref()
			rootName := head[0].Value.String()
			if slices.Contains(findingRules, rootName) {
				hasFindingRule = true
				if len(head) != 1 || r.Head.RuleKind() != ast.MultiValue {
					return &LoadError{File: at(r.Location), Reason: fmt.Sprintf("package %s: %s must be a set of results (%s contains result if { … }); any other form would be read as a result and could invert the verdict", pkg, rootName, rootName)}
				}
			}
			if !custom[name] {
				continue
			}
			full := pkgPath.Extend(head.GroundPrefix())
			for other, otherPath := range pkgOf {
				if other != pkgPath.String() && full.HasPrefix(otherPath) && len(otherPath) > len(pkgPath) {
					return &LoadError{File: at(r.Location), Reason: fmt.Sprintf("package %s: rule %s defines inside package %s; a file defines rules in its own package only", pkg, head, strings.TrimPrefix(other, "data."))}
				}
			}
		}
		if !custom[name] || IsTestFile(name) {
			continue
		}
		library := false
		for _, a := range m.Annotations {
			if a.Scope == "package" {
				library, _ = a.Custom["library"].(bool)
			}
		}
		switch {
		case hasFindingRule && library:
			return &LoadError{File: at(m.Package.Location), Reason: fmt.Sprintf("package %s is declared a helper library (custom.library: true) but defines deny, warn, manual or unknown rules", pkg)}
		case !hasFindingRule && !library:
			return &LoadError{File: at(m.Package.Location), Reason: fmt.Sprintf("package %s defines no deny, warn, manual or unknown rule: give it a policy's METADATA and rules, or declare it a helper library with package METADATA custom.library: true", pkg)}
		}
	}
	return nil
}
