package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/collectors/fake"
	"github.com/closeout-dev/closeout/results"
	"github.com/rogpeppe/go-internal/testscript"
)

// fakeToken is a JWT-shaped token whose roles grant every Graph section
// but sign-in logs, so scripts can check both the happy path and a gap.
const fakeToken = "eyJhbGciOiJub25lIn0.eyJyb2xlcyI6WyJEaXJlY3RvcnkuUmVhZC5BbGwiLCJVc2VyQXV0aGVudGljYXRpb25NZXRob2QuUmVhZC5BbGwiLCJJZGVudGl0eVJpc2t5VXNlci5SZWFkLkFsbCIsIk1haWxib3hTZXR0aW5ncy5SZWFkIiwiQ2FsZW5kYXJzLlJlYWQiXX0.c2ln"

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"closeout": func() { os.Exit(Run(os.Args[1:], SystemStreams())) },
	})
}

// TestScripts runs the CLI scripts in testdata/script against the real
// binary (this test binary, re-executed as closeout).
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(t, filepath.Join("..", "..", "testdata", "script")))
}

// scriptParams runs the scripts in dir, each with its own fake tenant.
func scriptParams(t *testing.T, dir string) testscript.Params {
	snapshots, err := filepath.Abs(filepath.Join("..", "..", "testdata", "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	library, err := filepath.Abs(filepath.Join("..", "..", "policies"))
	if err != nil {
		t.Fatal(err)
	}
	tenantFile := filepath.Join("..", "..", "testdata", "tenants", "contoso.json")
	if _, err := fake.LoadTenant(tenantFile); err != nil {
		t.Fatal(err)
	}
	return testscript.Params{
		Dir: dir,
		// UPDATE_GOLDEN=1 go test ./cmd/closeout rewrites the expected
		// outputs that scripts compare with cmp.
		UpdateScripts: os.Getenv("UPDATE_GOLDEN") != "",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SNAPSHOTS", snapshots)
			env.Setenv("POLICIES", library)
			env.Setenv("CORPUS", filepath.Join(filepath.Dir(snapshots), "corpus"))
			env.Setenv("NO_COLOR", "1")
			// Every script gets its own fake tenant on loopback, its own
			// copy of the fixture (fake-night changes it).
			tenant, err := fake.LoadTenant(tenantFile)
			if err != nil {
				return err
			}
			srv := fake.New(tenant)
			srv.Token = fakeToken
			env.Setenv("GRAPH_URL", srv.Start())
			env.Setenv("FAKE_TOKEN", fakeToken)
			env.Defer(srv.Close)
			env.Values["fake"] = srv
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":      cmdExits,
			"filemode":   cmdFileMode,
			"bigfile":    cmdBigFile,
			"fake-fault": cmdFakeFault,
			"fake-enums": func(ts *testscript.TestScript, neg bool, args []string) {
				spelling, ok := fake.ParseEnumSpelling(strings.Join(args, ""))
				if neg || len(args) != 1 || !ok {
					ts.Fatalf("usage: fake-enums documented|pascal|newer")
				}
				ts.Value("fake").(*fake.Server).Enums = spelling
			},
			"samefindings": cmdSameFindings,
			"waitlines":    cmdWaitLines,
			// setstarted DIR/scan.json DURATION moves a scan's start later,
			// as if it were another night's.
			"setstarted": func(ts *testscript.TestScript, neg bool, args []string) {
				d, err := time.ParseDuration(strings.Join(args[1:], ""))
				if neg || len(args) != 2 || err != nil {
					ts.Fatalf("usage: setstarted SCAN.JSON DURATION")
				}
				path := ts.MkAbs(args[0])
				var m map[string]any
				raw, err := os.ReadFile(path)
				ts.Check(err)
				ts.Check(json.Unmarshal(raw, &m))
				started, err := time.Parse(time.RFC3339, m["started"].(string))
				ts.Check(err)
				m["started"] = started.Add(d).Format(time.RFC3339)
				raw, _ = json.Marshal(m)
				ts.Check(os.WriteFile(path, raw, 0o600))
			},
			"fake-latency": func(ts *testscript.TestScript, neg bool, args []string) {
				d, err := time.ParseDuration(strings.Join(args, ""))
				if neg || len(args) != 1 || err != nil {
					ts.Fatalf("usage: fake-latency DURATION")
				}
				ts.Value("fake").(*fake.Server).Latency = d
			},
			"fake-clear": func(ts *testscript.TestScript, neg bool, args []string) {
				ts.Value("fake").(*fake.Server).ClearFaults()
			},
			// fake-night N FILE moves the fake tenant to night N and writes
			// what changed into FILE ("fixed|newly-failing UPN POLICY").
			"fake-night": func(ts *testscript.TestScript, neg bool, args []string) {
				n, err := strconv.Atoi(strings.Join(args[:1], ""))
				if neg || len(args) != 2 || err != nil {
					ts.Fatalf("usage: fake-night N FILE")
				}
				ch := ts.Value("fake").(*fake.Server).Night(n)
				var b strings.Builder
				for _, c := range ch.Fixed {
					fmt.Fprintf(&b, "%s %s %s\n", results.Fixed, c.UPN, c.PolicyID)
				}
				for _, c := range ch.Introduced {
					fmt.Fprintf(&b, "%s %s %s\n", results.NewlyFailing, c.UPN, c.PolicyID)
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(b.String()), 0o600))
			},
			"diffmatches": cmdDiffMatches,
		},
	}
}

// exits CODE PROGRAM ARGS... runs a program and checks its exact exit code.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if ee, ok := err.(*exec.ExitError); ok {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("%v", err)
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// filemode FILE MODE checks a file's permission bits (octal).
func cmdFileMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: filemode FILE MODE")
	}
	st, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	if got := st.Mode().Perm(); (uint64(got) == want) == neg {
		ts.Fatalf("%s has mode %#o, want %s%#o", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// bigfile FILE MB writes a file of MB mebibytes that starts like a snapshot.
func cmdBigFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: bigfile FILE MB")
	}
	mb, err := strconv.Atoi(args[1])
	ts.Check(err)
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	fmt.Fprint(f, "{\n  \"schemaVersion\": \"closeout.snapshot/v1\",\n  \"pad\": \"")
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = 'x'
	}
	for range mb {
		_, err := f.Write(chunk)
		ts.Check(err)
	}
	fmt.Fprint(f, "\"\n}\n")
}

// fake-fault SECTION forbidden|unlicensed|slow switches a fault on in the
// script's fake tenant.
func cmdFakeFault(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: fake-fault SECTION forbidden|unlicensed|slow")
	}
	srv := ts.Value("fake").(*fake.Server)
	switch args[1] {
	case "forbidden":
		f := fake.Forbidden(args[0])
		if strings.HasPrefix(args[0], "exchange") {
			f.Code, f.Message = "Forbidden", "The role assigned to application isn't supported in this scenario."
		}
		srv.AddFault(f)
	case "unlicensed":
		srv.AddFault(fake.Unlicensed(args[0]))
	case "slow":
		srv.AddFault(fake.Fault{Path: fake.SectionPaths[args[0]], Latency: 5 * time.Second})
	default:
		ts.Fatalf("unknown fault %q", args[1])
	}
}

// samefindings A B checks that two closeout.results/v1 documents hold the
// same findings (subject, policy, status, message), whatever their times.
func cmdSameFindings(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: samefindings A.json B.json")
	}
	read := func(path string) map[string]string {
		f, err := os.Open(ts.MkAbs(path))
		ts.Check(err)
		defer f.Close()
		out := map[string]string{}
		_, err = results.Decode(f, func(results.Meta) error { return nil }, func(s *results.Subject) error {
			for _, fd := range s.Findings {
				out[s.Subject+" "+fd.PolicyID] = string(fd.Status) + " " + fd.Message
			}
			return nil
		})
		ts.Check(err)
		return out
	}
	a, b := read(args[0]), read(args[1])
	if len(a) == 0 || len(a) != len(b) {
		ts.Fatalf("%s has %d findings, %s %d", args[0], len(a), args[1], len(b))
	}
	for k, v := range a {
		if b[k] != v {
			ts.Fatalf("%s: %q in %s, %q in %s", k, v, args[0], b[k], args[1])
		}
	}
}

// waitlines FILE N waits (30 s at most) until FILE has at least N lines:
// a point part way through a background command's work.
func cmdWaitLines(ts *testscript.TestScript, neg bool, args []string) {
	n, err := strconv.Atoi(strings.Join(args[1:], ""))
	if neg || len(args) != 2 || err != nil {
		ts.Fatalf("usage: waitlines FILE N")
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(ts.MkAbs(args[0])); err == nil && strings.Count(string(b), "\n") >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	ts.Fatalf("%s did not reach %d lines", args[0], n)
}

// diffmatches DIFF.json CHANGES checks that a closeout diff (JSON) lists as
// fixed and newly failing exactly the changes in CHANGES (as fake-night
// wrote them), no more and no fewer.
func cmdDiffMatches(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: diffmatches DIFF.json CHANGES")
	}
	var d results.Diff
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &d))
	got := map[string]bool{}
	for _, e := range d.Entries {
		if e.Change == results.Fixed || e.Change == results.NewlyFailing {
			got[fmt.Sprintf("%s %s %s", e.Change, strings.ToLower(e.Subject), e.PolicyID)] = true
		}
	}
	want := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(ts.ReadFile(args[1])), "\n") {
		if f := strings.Fields(line); len(f) == 3 {
			want[f[0]+" "+strings.ToLower(f[1])+" "+f[2]] = true
		}
	}
	if len(want) == 0 {
		ts.Fatalf("%s lists no change", args[1])
	}
	var problems []string
	for w := range want {
		if !got[w] {
			problems = append(problems, fmt.Sprintf("the diff does not list %q", w))
		}
	}
	for g := range got {
		if !want[g] {
			problems = append(problems, fmt.Sprintf("the diff lists %q, which did not change", g))
		}
	}
	if len(problems) > 0 {
		ts.Fatalf("%s", strings.Join(problems, "\n"))
	}
}
