package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/closeout-dev/closeout/results"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const (
	fixturePath = "../testdata/results/scenarios.json"
	goldenDir   = "../testdata/golden"
)

// loadFixture reads the results fixture: four scenario accounts evaluated by
// the full library, with times, versions and digests normalised.
func loadFixture(t testing.TB) (results.Meta, []*results.Subject, results.Summary) {
	t.Helper()
	f, err := os.Open(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var meta results.Meta
	var subs []*results.Subject
	sum, err := results.Decode(f, func(m results.Meta) error { meta = m; return nil },
		func(s *results.Subject) error { subs = append(subs, s); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 4 || len(meta.Policies) == 0 {
		t.Fatalf("fixture has %d subjects and %d policies", len(subs), len(meta.Policies))
	}
	return meta, subs, sum
}

func renderFixture(t testing.TB, format string, wrap func(Reporter) Reporter) []byte {
	t.Helper()
	meta, subs, sum := loadFixture(t)
	var buf bytes.Buffer
	rep, err := New(format, &buf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		rep = wrap(rep)
	}
	if err := Render(rep, meta, subs, sum); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func goldenPath(f Format) string { return filepath.Join(goldenDir, "scenarios."+f.Extension) }

// Every format has a golden file, rendered from the same fixture.
// `go test ./reports -update` rewrites them.
func TestGolden(t *testing.T) {
	for _, f := range Formats {
		t.Run(f.Name, func(t *testing.T) {
			got := renderFixture(t, f.Name, nil)
			path := goldenPath(f)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./reports -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file; if the change is intended, run go test ./reports -update\n%s", f.Name, firstDiff(string(want), string(got)))
			}
		})
	}
}

// A golden file no format produces any more fails the suite.
func TestNoOrphanGoldenFiles(t *testing.T) {
	want := map[string]bool{}
	for _, f := range Formats {
		want[filepath.Base(goldenPath(f))] = true
	}
	for _, f := range DiffFormats {
		want[filepath.Base(diffGoldenPath(f))] = true
	}
	entries, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !want[e.Name()] {
			t.Errorf("orphaned golden file %s", filepath.Join(goldenDir, e.Name()))
		}
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n- " + a + "\n+ " + b
		}
	}
	return ""
}
