package policies

import (
	"github.com/closeout-dev/closeout/internal/testtool"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/results"
	"github.com/open-policy-agent/opa/v1/ast"
)

// Every builtin OPA offers was reviewed: it is on the allow-list or on the
// deny-list with a reason, never both. A newer OPA that adds a builtin
// fails here until someone decides which list it belongs on; until then
// Capabilities leaves it out.
func TestCapabilitiesAreReviewed(t *testing.T) {
	offered := map[string]bool{}
	for _, b := range ast.CapabilitiesForThisVersion().Builtins {
		offered[b.Name] = true
		_, denied := deniedBuiltins[b.Name]
		allowed := slices.Contains(allowedBuiltins, b.Name)
		switch {
		case allowed && denied:
			t.Errorf("builtin %s is both allowed and denied", b.Name)
		case !allowed && !denied:
			t.Errorf("builtin %s is not reviewed: add it to allowedBuiltins or deniedBuiltins (with why)", b.Name)
		}
	}
	for _, name := range allowedBuiltins {
		if !offered[name] {
			t.Errorf("allowedBuiltins names %s, which this OPA does not offer", name)
		}
	}
	for name := range deniedBuiltins {
		if !offered[name] {
			t.Errorf("deniedBuiltins names %s, which this OPA does not offer", name)
		}
	}
	kept := map[string]bool{}
	for _, b := range Capabilities().Builtins {
		kept[b.Name] = true
		if _, denied := deniedBuiltins[b.Name]; denied {
			t.Errorf("Capabilities keeps denied builtin %s", b.Name)
		}
	}
	if len(kept) != len(allowedBuiltins) {
		t.Errorf("Capabilities has %d builtins, allow-list %d", len(kept), len(allowedBuiltins))
	}
}

// Each builtin that can reach outside or allocate without bound is refused
// at load, naming the file. json.verify_schema and json.match_schema
// resolve $ref over http:// and file://: the server below would see the
// snapshot's data if a policy reached it.
func TestSandboxRefusesBuiltins(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"type": "string"}`))
	}))
	defer srv.Close()
	cases := map[string]string{
		"json.verify_schema":                        `deny contains "x" if json.verify_schema({"$ref": sprintf("` + srv.URL + `/x?upn=%s", [input.user.userPrincipalName])})`,
		"json.match_schema":                         `deny contains "x" if json.match_schema(input.user, {"$ref": "file:///etc/passwd"})`,
		"numbers.range":                             `deny contains "x" if count(numbers.range(1, 100000000)) > 0`,
		"numbers.range_step":                        `deny contains "x" if count(numbers.range_step(1, 100000000, 1)) > 0`,
		"net.cidr_expand":                           `deny contains "x" if count(net.cidr_expand("0.0.0.0/0")) > 0`,
		"graph.reachable_paths":                     `deny contains "x" if count(graph.reachable_paths({}, [])) > 0`,
		"strings.render_template":                   `deny contains "x" if strings.render_template("{{.}}", {}) != ""`,
		"json.patch":                                `deny contains "x" if json.patch({}, []) != {}`,
		"rand.intn":                                 `deny contains "x" if rand.intn("k", 2) == 1`,
		"uuid.rfc4122":                              `deny contains "x" if uuid.rfc4122("k") != ""`,
		"io.jwt.decode_verify":                      `deny contains "x" if io.jwt.decode_verify("x", {})[0]`,
		"crypto.x509.parse_and_verify_certificates": `deny contains "x" if crypto.x509.parse_and_verify_certificates("x")[0]`,
		"providers.aws.sign_req":                    `deny contains "x" if providers.aws.sign_req({}, {}, 0) != {}`,
		"graphql.parse_query":                       `deny contains "x" if graphql.parse_query(concat("", ["{a", "}"])) != {}`,
		"graphql.is_valid":                          `deny contains "x" if graphql.is_valid("{a}", "type Query {a: Int}")`,
	}
	for builtin, rule := range cases {
		t.Run(builtin, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			testtool.WritePolicy(t, dir, "c.rego", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture, incident]")+"package custom.c\n\n"+rule+"\n")
			_, err := Load(ctx, Options{Dirs: []string{dir}})
			if err == nil || !strings.Contains(err.Error(), builtin+" is not allowed in closeout policies: ") || !strings.Contains(err.Error(), filepath.Join(dir, "c.rego")) {
				t.Fatalf("err = %v, want %s refused by the sandbox in %s", err, builtin, dir)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("a policy reached the server %d times", n)
	}
}

// The attack from the fail-closed issue: a file without METADATA in the
// embedded library's package redefines its helpers, and a failing account
// passes. Custom Rego may not define anything under closeout.*.
func TestCustomCannotRewriteLibrary(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"lib override", "package closeout.lib\n\nattested(_) := true\n\nhas_time(_, _) := true\n", "c.rego:1: package closeout.lib: a custom policy's package must be custom.<name>"},
		{"new package under closeout", "package closeout.mine\n\nx := 1\n", "package closeout.mine: a custom policy's package must be custom.<name>"},
		{"root package", "package closeout\n\nlib.attested(_) := true\n", "package closeout: a custom policy's package must be custom.<name>"},
		{"other root", "package acme\n\nx := 1\n", "package acme: a custom policy's package must be custom.<name>"},
		{"undeclared helper", "package custom.helpers\n\nok := true\n", "declare it a helper library"},
		{"library with rules", "# METADATA\n# custom:\n#   library: true\npackage custom.helpers\n\ndeny contains \"x\" if input.user\n", "declared a helper library"},
		{"deny boolean", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]") + "package custom.c\n\ndeny := true\n", "c.rego:13: package custom.c: deny must be a set of results"},
		{"deny if", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]") + "package custom.c\n\ndeny if input.user\n", "c.rego:13: package custom.c: deny must be a set of results"},
		{"warn object", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]") + "package custom.c\n\nwarn[x] := 1 if x := input.user.id\n", "c.rego:13: package custom.c: warn must be a set of results"},
		{"deny ref head", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]") + "package custom.c\n\ndeny.x contains 1 if input.user\n", "deny must be a set of results"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			testtool.WritePolicy(t, dir, "c.rego", tc.src)
			_, err := Load(ctx, Options{Dirs: []string{dir}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

// A custom package lives in one file, and no rule defines inside another
// package: either would let one file change what another policy says.
func TestCustomPackagesDoNotOverlap(t *testing.T) {
	policy := testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]") + "package custom.p\n\ndefault ok := false\n\ndeny contains \"not ok\" if not ok\n"
	t.Run("second file", func(t *testing.T) {
		dir := t.TempDir()
		testtool.WritePolicy(t, dir, "a.rego", policy)
		testtool.WritePolicy(t, dir, "b.rego", "# METADATA\n# custom:\n#   library: true\npackage custom.p\n\nok := true\n")
		_, err := Load(ctx, Options{Dirs: []string{dir}})
		if err == nil || !strings.Contains(err.Error(), "package custom.p is already defined in "+filepath.Join(dir, "a.rego")) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ref head", func(t *testing.T) {
		dir := t.TempDir()
		testtool.WritePolicy(t, dir, "a.rego", policy)
		testtool.WritePolicy(t, dir, "b.rego", "# METADATA\n# custom:\n#   library: true\npackage custom\n\np.ok := true\n")
		_, err := Load(ctx, Options{Dirs: []string{dir}})
		if err == nil || !strings.Contains(err.Error(), "defines inside package custom.p") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("declared helper library", func(t *testing.T) {
		dir := t.TempDir()
		testtool.WritePolicy(t, dir, "lib.rego", "# METADATA\n# title: helpers\n# custom:\n#   library: true\npackage custom.lib\n\nupn := input.user.userPrincipalName\n")
		testtool.WritePolicy(t, dir, "p.rego", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture, incident]")+"package custom.p\n\nimport data.custom.lib\n\ndeny contains lib.upn if endswith(lib.upn, \"@contoso.com\")\n")
		set, err := Load(ctx, Options{Dirs: []string{dir}})
		if err != nil {
			t.Fatal(err)
		}
		sub := set.Evaluate(ctx, loadDoc(t, filepath.Join("..", "testdata", "snapshots", "compromised-remediated.json")))
		if got := statuses(sub)["X-1"]; got != results.Fail {
			t.Errorf("X-1 = %s, want fail through the helper library", got)
		}
	})
}

// A policy that never ends is stopped at the time limit: its finding is an
// error naming the limit, the other policies still judge the account.
func TestEvalTimeout(t *testing.T) {
	dir := t.TempDir()
	testtool.WritePolicy(t, dir, "loop.rego", testtool.PolicyHeader("X-LOOP", "custom-x", "[user]", "[posture, incident]")+`package custom.loop

deny contains "never" if {
	n := count([1 | walk(input, _); walk(input, _); walk(input, _); walk(input, _)])
	n < 0
}
`)
	set, err := Load(ctx, Options{Dirs: []string{dir}, EvalTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sub := set.Evaluate(ctx, loadDoc(t, filepath.Join("..", "testdata", "snapshots", "compromised-unremediated.json")))
	byID := map[string]results.Finding{}
	for _, f := range sub.Findings {
		byID[f.PolicyID] = f
	}
	loop := byID["X-LOOP"]
	if loop.Status != results.Error || !strings.Contains(loop.Message, "time limit") || !strings.Contains(loop.Message, "--eval-timeout") {
		t.Errorf("X-LOOP = %s %q, want error naming the time limit", loop.Status, loop.Message)
	}
	if got := byID["CO-SESS-001"].Status; got != results.Fail {
		t.Errorf("CO-SESS-001 = %s, want fail: one runaway policy does not spoil the rest", got)
	}
	if !(results.Gate{FailOn: results.Critical}).Blocks(&loop) {
		t.Error("an error finding does not block")
	}
}

// A policy that allocates without end is stopped by the heap guard before
// it takes the process down; its finding is an error.
func TestEvalHeapLimit(t *testing.T) {
	dir := t.TempDir()
	testtool.WritePolicy(t, dir, "big.rego", testtool.PolicyHeader("X-BIG", "custom-x", "[user]", "[posture, incident]")+`package custom.big

s0 := concat("", [input.user.userPrincipalName | walk(input, _)])

s1 := concat("", [s0 | walk(input, _)])

# Each s2 is about 150 MB; 200 of them are made one after another.
total := sum([count(concat("", [s1 | walk(input, _)])) | walk(input, _)])

deny contains "big" if total < 0
`)
	set, err := Load(ctx, Options{Dirs: []string{dir}, EvalTimeout: time.Minute, EvalHeapLimit: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	sub := set.Evaluate(ctx, loadDoc(t, filepath.Join("..", "testdata", "snapshots", "compromised-unremediated.json")))
	for _, f := range sub.Findings {
		if f.PolicyID == "X-BIG" {
			if f.Status != results.Error || !strings.Contains(f.Message, ErrEvalMemory.Error()) {
				t.Errorf("X-BIG = %s %q, want error naming the heap limit", f.Status, f.Message)
			}
			return
		}
	}
	t.Fatal("no X-BIG finding")
}

// A pattern builtin cannot be interrupted once it runs: a pattern or an
// input past closeout's bounds is an error finding at once (here a
// 100,000-character pattern, which ran for minutes before), the process
// goes on and the other policies are judged.
func TestPatternBuiltinsAreBounded(t *testing.T) {
	dir := t.TempDir()
	testtool.WritePolicy(t, dir, "regex.rego", testtool.PolicyHeader("X-REGEX", "custom-x", "[user]", "[posture, incident]")+`package custom.regex

deny contains "matched" if regex.match(concat("|", [sprintf("%0100000d", [0]), "x"]), input.user.userPrincipalName)
`)
	testtool.WritePolicy(t, dir, "glob.rego", testtool.PolicyHeader("X-GLOB", "custom-x", "[user]", "[posture, incident]")+`package custom.glob

deny contains "matched" if glob.match(sprintf("%05000d", [0]), [], input.user.userPrincipalName)
`)
	testtool.WritePolicy(t, dir, "small.rego", testtool.PolicyHeader("X-SMALL", "custom-x", "[user]", "[posture, incident]")+`package custom.small

deny contains "a contoso account" if regex.match("@contoso\\.com$", input.user.userPrincipalName)
`)
	set, err := Load(ctx, Options{Dirs: []string{dir}, EvalTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	sub := set.Evaluate(ctx, loadDoc(t, filepath.Join("..", "testdata", "snapshots", "compromised-unremediated.json")))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("evaluation took %s, past the timeout and a second", took)
	}
	byID := map[string]results.Finding{}
	for _, f := range sub.Findings {
		byID[f.PolicyID] = f
	}
	for _, id := range []string{"X-REGEX", "X-GLOB"} {
		if f := byID[id]; f.Status != results.Error || !strings.Contains(f.Message, "over closeout's bound") {
			t.Errorf("%s = %s %q, want an error naming the bound", id, f.Status, f.Message)
		}
	}
	if got := byID["X-SMALL"].Status; got != results.Fail {
		t.Errorf("a pattern within bounds: %s, want fail", got)
	}
	if got := byID["CO-SESS-001"].Status; got != results.Fail {
		t.Errorf("CO-SESS-001 = %s: the other policies are judged", got)
	}
}
