package docs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/closeout-dev/closeout/policies"
	"github.com/closeout-dev/closeout/results"
	"github.com/closeout-dev/closeout/snapshot"
)

// docs/reference.md is what the schemas, the code's documentation and the
// policies say today.
func TestReferenceIsCurrent(t *testing.T) {
	got := reference(t)
	const path = "reference.md"
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/reference.md is out of date: run make docs")
	}
}

// fieldDocs are the Go doc comments of the snapshot package's struct
// fields, by type name and JSON name, and of its types, by name.
type fieldDocs struct {
	fields map[string]map[string]string
	types  map[string]string
}

func readFieldDocs(t *testing.T) fieldDocs {
	fset := token.NewFileSet()
	d := fieldDocs{fields: map[string]map[string]string{}, types: map[string]string{}}
	files, err := filepath.Glob(filepath.Join("..", "snapshot", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := gd.Doc
				if ts.Doc != nil {
					doc = ts.Doc
				}
				if doc != nil {
					d.types[ts.Name.Name] = sentence(doc.Text(), ts.Name.Name)
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				m := map[string]string{}
				for _, fl := range st.Fields.List {
					if fl.Tag == nil || len(fl.Names) == 0 {
						continue
					}
					tag, _ := strconv.Unquote(fl.Tag.Value)
					jsonName, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
					text := ""
					if fl.Doc != nil {
						text = fl.Doc.Text()
					} else if fl.Comment != nil {
						text = fl.Comment.Text()
					}
					m[jsonName] = sentence(text, fl.Names[0].Name)
				}
				d.fields[ts.Name.Name] = m
			}
		}
	}
	return d
}

// sentence is a doc comment as one line, without a leading Go name.
func sentence(text, goName string) string {
	text = strings.Join(strings.Fields(text), " ")
	for _, verb := range []string{" is ", " are "} {
		if rest, ok := strings.CutPrefix(text, goName+verb); ok && rest != "" {
			text = strings.ToUpper(rest[:1]) + rest[1:]
		}
	}
	return strings.ReplaceAll(text, "|", `\|`)
}

type row struct {
	path, typ, doc string
	required       bool
}

// schemaRows walks a schema beside the Go type it describes.
func schemaRows(schema map[string]any, root reflect.Type, docs fieldDocs) []row {
	defs, _ := schema["$defs"].(map[string]any)
	var rows []row
	var walk func(node map[string]any, typ reflect.Type, path string, depth int)
	walk = func(node map[string]any, typ reflect.Type, path string, depth int) {
		if depth > 8 {
			return
		}
		for typ != nil && (typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map) {
			typ = typ.Elem()
		}
		node = resolve(node, defs)
		if items, ok := node["items"].(map[string]any); ok && node["properties"] == nil {
			walk(items, typ, path+"[]", depth+1)
			return
		}
		if add, ok := node["additionalProperties"].(map[string]any); ok && node["properties"] == nil {
			walk(add, typ, path+".*", depth+1)
			return
		}
		props, _ := node["properties"].(map[string]any)
		req := map[string]bool{}
		for _, r := range asList(node["required"]) {
			req[r] = true
		}
		// The Go type's order (the user before their methods), then what
		// the schema has beyond it.
		var names, rest []string
		if typ != nil && typ.Kind() == reflect.Struct {
			for i := range typ.NumField() {
				if n, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ","); props[n] != nil {
					names = append(names, n)
				}
			}
		}
		for n := range props {
			if !slices.Contains(names, n) {
				rest = append(rest, n)
			}
		}
		sort.Strings(rest)
		names = append(names, rest...)
		for _, n := range names {
			child, _ := props[n].(map[string]any)
			var ft reflect.Type
			doc := ""
			if typ != nil && typ.Kind() == reflect.Struct {
				for i := range typ.NumField() {
					f := typ.Field(i)
					if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == n {
						ft = f.Type
						doc = docs.fields[typ.Name()][n]
					}
				}
			}
			if base := baseType(ft); doc == "" && base != nil {
				doc = docs.types[base.Name()]
			}
			p := strings.TrimPrefix(path+"."+n, ".")
			rows = append(rows, row{path: p, typ: typeOf(child, defs), doc: doc, required: req[n]})
			walk(child, ft, p, depth+1)
		}
	}
	walk(schema, root, "", 0)
	return rows
}

// baseType is the named type under pointers, slices and maps.
func baseType(t reflect.Type) reflect.Type {
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map) {
		t = t.Elem()
	}
	if t == nil || t.PkgPath() != reflect.TypeFor[snapshot.Snapshot]().PkgPath() {
		return nil
	}
	return t
}

func resolve(node map[string]any, defs map[string]any) map[string]any {
	for i := 0; i < 8; i++ {
		ref, ok := node["$ref"].(string)
		if !ok {
			break
		}
		next, _ := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		if next == nil {
			break
		}
		node = next
	}
	return node
}

func asList(v any) []string {
	var out []string
	switch v := v.(type) {
	case []any:
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
	case string:
		out = append(out, v)
	}
	return out
}

// typeOf words a schema node's type: "string or null", "one of a, b".
func typeOf(node map[string]any, defs map[string]any) string {
	if ref, ok := node["$ref"].(string); ok {
		switch name := strings.TrimPrefix(ref, "#/$defs/"); name {
		case "time":
			return "time (RFC 3339)"
		case "timeOrNull":
			return "time (RFC 3339) or null"
		case "stringOrNull":
			return "string or null"
		case "boolOrNull":
			return "boolean or null"
		case "strings":
			return "list of strings"
		case "stringsOrNull":
			return "list of strings or null"
		default:
			return typeOf(resolve(node, defs), defs)
		}
	}
	if c, ok := node["const"]; ok {
		return fmt.Sprintf("%q", c)
	}
	if enum := asList(node["enum"]); len(enum) > 0 {
		for i, e := range enum {
			if e == "<nil>" {
				enum[i] = "null"
			}
		}
		return "one of " + strings.Join(enum, ", ")
	}
	types := asList(node["type"])
	for i, ty := range types {
		switch ty {
		case "array":
			if items, ok := node["items"].(map[string]any); ok {
				if inner := typeOf(items, defs); inner != "object" {
					types[i] = "list of " + inner
					continue
				}
			}
			types[i] = "list of objects"
		case "boolean", "string", "integer", "number", "object", "null":
		}
	}
	if len(types) == 0 {
		return "any"
	}
	return strings.Join(types, " or ")
}

func reference(t *testing.T) []byte {
	docs := readFieldDocs(t)
	var b bytes.Buffer
	b.WriteString(`# closeout reference

Generated from the snapshot schemas (` + "`snapshot/*.schema.json`" + `), the snapshot
package's documentation, the checklist and the policies; ` + "`make docs`" + ` rewrites
it and a test keeps it current. The policy catalogue is [policies.md](policies.md).

- [Account snapshot](#account-snapshot-closeoutsnapshotv1)
- [Tenant document](#tenant-document-closeouttenantv1)
- [Coverage sections and statuses](#coverage-sections-and-statuses)
- [Checklist keys](#checklist-keys)
- [Finding statuses](#finding-statuses)
- [Severities](#severities)
- [Exit codes](#exit-codes)

Fields named as Microsoft Graph or Exchange Online name them keep the
meaning they have there. A field that is null or absent was not read: a policy that needs it is
` + "`unknown`" + `, never ` + "`pass`" + `. Whether a section was read is in ` + "`coverage`" + `.
`)
	for _, doc := range []struct {
		title, version, file string
		root                 reflect.Type
		raw                  []byte
	}{
		{"Account snapshot", snapshot.SchemaVersion, "snapshot.schema.json", reflect.TypeFor[snapshot.Snapshot](), snapshot.SchemaJSON},
		{"Tenant document", snapshot.TenantSchemaVersion, "tenant.schema.json", reflect.TypeFor[snapshot.TenantSettings](), snapshot.TenantSchemaJSON},
	} {
		var schema map[string]any
		if err := json.Unmarshal(doc.raw, &schema); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "\n## %s (`%s`)\n\n", doc.title, doc.version)
		if d := docs.types[doc.root.Name()]; d != "" {
			fmt.Fprintf(&b, "%s The schema is `snapshot/%s`.\n\n", d, doc.file)
		}
		b.WriteString("| field | type | required | meaning |\n| --- | --- | --- | --- |\n")
		for _, r := range schemaRows(schema, doc.root, docs) {
			req := ""
			if r.required {
				req = "yes"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.path, r.typ, req, r.doc)
		}
	}
	set, err := policies.Load(context.Background(), policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	needs := map[string][]string{}
	for _, p := range set.Policies {
		for _, s := range p.Requires {
			needs[s] = append(needs[s], p.ID)
		}
	}
	b.WriteString("\n## Coverage sections and statuses\n\n")
	b.WriteString("`coverage` holds one entry per section, with its status; only `collected` lets a policy that requires the section pass or fail.\n\n")
	b.WriteString("| section | document | policies that require it |\n| --- | --- | --- |\n")
	for _, s := range snapshot.Sections {
		fmt.Fprintf(&b, "| `%s` | account | %s |\n", s, idList(needs[s]))
	}
	for _, s := range snapshot.TenantSections {
		fmt.Fprintf(&b, "| `%s` | tenant | %s |\n", s, idList(needs[s]))
	}
	b.WriteString("\n| coverage status | meaning |\n| --- | --- |\n")
	for _, c := range []struct{ s, m string }{
		{snapshot.StatusCollected, "read in full"},
		{snapshot.StatusForbidden, "the credential may not read it (a missing permission or role)"},
		{snapshot.StatusUnlicensed, "the tenant's licence does not include it"},
		{snapshot.StatusNotFound, "the object does not exist (no mailbox, say)"},
		{snapshot.StatusError, "reading it failed; the entry's error says why"},
		{snapshot.StatusSkipped, "not asked for (no policy needs it, or a flag left it out)"},
	} {
		fmt.Fprintf(&b, "| `%s` | %s |\n", c.s, c.m)
	}
	b.WriteString("\n## Checklist keys\n\nA policy files its findings under one key (`custom.checklist`): an account key below, `tenant-<name>` for a tenant setting, or `custom-<name>` for your own.\n\n| key | item |\n| --- | --- |\n")
	for _, c := range policies.Checklist {
		fmt.Fprintf(&b, "| `%s` | %s |\n", c.Key, c.Item)
	}
	b.WriteString("\n## Finding statuses\n\nIn report order: what needs attention first.\n\n| status | meaning |\n| --- | --- |\n")
	meanings := map[results.Status]string{
		results.Fail:    "the check failed; blocking at or above `--fail-on`",
		results.Error:   "the policy could not be evaluated; always blocking",
		results.Unknown: "data the policy needs was not collected; blocking with `--strict`",
		results.Manual:  "a human step not attested",
		results.Warn:    "worth a look; never blocking",
		results.Waived:  "a failure covered by an unexpired waiver",
		results.Pass:    "the check passed on collected data",
	}
	for _, s := range results.Statuses {
		m, ok := meanings[s]
		if !ok {
			t.Fatalf("status %s has no meaning in the reference", s)
		}
		fmt.Fprintf(&b, "| `%s` | %s |\n", s, m)
	}
	b.WriteString("\n## Severities\n\nHighest first: ")
	var sev []string
	for _, s := range results.Severities {
		sev = append(sev, "`"+string(s)+"`")
	}
	b.WriteString(strings.Join(sev, ", ") + ". `--fail-on SEVERITY` blocks on a failing finding at or above it; `--fail-on none` on none.\n")
	b.WriteString("\n## Exit codes\n\n| code | meaning |\n| --- | --- |\n")
	for _, c := range exitCodes(t) {
		fmt.Fprintf(&b, "| %s | %s |\n", c[0], c[1])
	}
	return b.Bytes()
}

func idList(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	slices.Sort(ids)
	return strings.Join(ids, ", ")
}

// exitCodes are the exit constants of cmd/closeout with their comments.
func exitCodes(t *testing.T) [][2]string {
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "cmd", "closeout", "cli.go"), nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	words := map[string]string{"exitOK": "success: evaluated, nothing blocking"}
	var out [][2]string
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if len(vs.Names) != 1 || !strings.HasPrefix(vs.Names[0].Name, "exit") || len(vs.Values) != 1 {
				continue
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok {
				continue
			}
			meaning := words[vs.Names[0].Name]
			if vs.Comment != nil {
				meaning = strings.TrimSpace(vs.Comment.Text())
			}
			out = append(out, [2]string{lit.Value, meaning})
		}
	}
	if len(out) < 4 {
		t.Fatalf("found %d exit codes in cmd/closeout/cli.go", len(out))
	}
	return out
}
