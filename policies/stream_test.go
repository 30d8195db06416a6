package policies

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/closeout-dev/closeout/results"
	"github.com/closeout-dev/closeout/snapshot"
)

// corpus returns n documents cycling through the scenario snapshots, each
// with its own subject.
func corpus(t testing.TB, n int) []*snapshot.Document {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "snapshots", "*.json"))
	var templates []map[string]any
	for _, p := range paths {
		templates = append(templates, loadDoc(t, p).Value)
	}
	docs := make([]*snapshot.Document, n)
	for i := range docs {
		v := templates[i%len(templates)]
		v["user"].(map[string]any)["userPrincipalName"] = fmt.Sprintf("user%05d@contoso.com", i)
		raw, _ := json.Marshal(v)
		d, err := snapshot.Parse(raw, "corpus.jsonl", i+1, snapshot.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		docs[i] = d
	}
	return docs
}

// sliceSource yields docs in order, then io.EOF.
func sliceSource(docs []*snapshot.Document) func() (*snapshot.Document, error) {
	i := 0
	return func() (*snapshot.Document, error) {
		if i >= len(docs) {
			return nil, io.EOF
		}
		i++
		return docs[i-1], nil
	}
}

func TestStreamKeepsInputOrder(t *testing.T) {
	set := loadEmbedded(t)
	docs := corpus(t, 300)
	badAt := map[int]bool{7: true, 150: true}
	i := 0
	next := func() (*snapshot.Document, error) {
		if i >= len(docs) {
			return nil, io.EOF
		}
		i++
		if badAt[i-1] {
			return nil, &snapshot.Error{File: "corpus.jsonl", Line: i, Reason: "bad"}
		}
		return docs[i-1], nil
	}
	var got []*results.Subject
	var inputErrs []int
	pos := 0
	err := set.Stream(ctx, 4, next, func(s *results.Subject, err error) error {
		if err != nil {
			inputErrs = append(inputErrs, pos)
		}
		got = append(got, s)
		pos++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(docs) || !reflect.DeepEqual(inputErrs, []int{7, 150}) {
		t.Fatalf("got %d results, input errors at %v", len(got), inputErrs)
	}
	for i, s := range got {
		if badAt[i] {
			if s != nil {
				t.Errorf("%d: subject for a bad document", i)
			}
			continue
		}
		want := set.Evaluate(ctx, docs[i])
		if !reflect.DeepEqual(s, want) {
			t.Fatalf("%d: concurrent result differs from sequential:\n%+v\n%+v", i, s, want)
		}
	}
}

func TestStreamStopsOnEmitError(t *testing.T) {
	set := loadEmbedded(t)
	next := sliceSource(corpus(t, 100))
	boom := errors.New("disk full")
	n := 0
	err := set.Stream(ctx, 3, next, func(*results.Subject, error) error {
		n++
		if n == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || n != 10 {
		t.Fatalf("err = %v after %d emits", err, n)
	}
}

// firstSlice are the controls of the first policy slice, kept to show that
// cost grows linearly with the number of policies.
var firstSlice = []string{
	"lib/closeout.rego", "identity/sessions_revoked.rego", "identity/password_reset.rego",
	"identity/password_reset_order.rego", "identity/mfa_enforced.rego", "mail/mailbox_forwarding.rego",
	"mail/inbox_rule_forwarding.rego", "mail/legacy_protocols.rego",
}

func loadFirstSlice(b *testing.B) *Set {
	dir := b.TempDir()
	for _, name := range firstSlice {
		src, err := embedded.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	set, err := Load(ctx, Options{LibraryDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	return set
}

// BenchmarkEvaluate reports snapshots evaluated per second over the
// scenario corpus, on one worker and on every CPU, for the full library.
// Compilation happens once, outside the timed loop.
func BenchmarkEvaluate(b *testing.B) { benchmarkEvaluate(b, loadEmbedded(b)) }

// BenchmarkEvaluateFirstSlice is the same over the first seven policies.
func BenchmarkEvaluateFirstSlice(b *testing.B) { benchmarkEvaluate(b, loadFirstSlice(b)) }

func benchmarkEvaluate(b *testing.B, set *Set) {
	docs := corpus(b, 500)
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			evaluated := 0
			for b.Loop() {
				if err := set.Stream(ctx, workers, sliceSource(docs), func(*results.Subject, error) error { evaluated++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(evaluated)/b.Elapsed().Seconds(), "snapshots/s")
			b.ReportMetric(float64(len(set.Policies)), "policies")
		})
	}
}

// BenchmarkLoadAndEvaluate includes parsing and validating each document,
// as `closeout check` does.
func BenchmarkLoadAndEvaluate(b *testing.B) {
	set := loadEmbedded(b)
	var lines [][]byte
	for _, d := range corpus(b, 100) {
		raw, _ := json.Marshal(d.Value)
		lines = append(lines, raw)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, raw := range lines {
			d, err := snapshot.Parse(raw, "x", 1, snapshot.DefaultLimits)
			if err != nil {
				b.Fatal(err)
			}
			set.Evaluate(ctx, d)
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "snapshots/s")
}

// FuzzLoadEvaluate feeds arbitrary bytes through the loader and, when they
// validate, the engine: nothing may panic, and every finding has a known
// status and names its policy.
func FuzzLoadEvaluate(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "snapshots", "*.json"))
	for _, p := range paths {
		docs, err := snapshot.LoadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		raw, _ := json.Marshal(docs[0].Value)
		f.Add(raw)
	}
	f.Add([]byte(`{"schemaVersion":"closeout.snapshot/v1"}`))
	f.Add([]byte("[[[[[[[[[[[[[[[["))
	set, err := Load(ctx, Options{})
	if err != nil {
		f.Fatal(err)
	}
	known := map[results.Status]bool{}
	for _, s := range results.Statuses {
		known[s] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := snapshot.NewReader(bytes.NewReader(data), "fuzz.json", snapshot.DefaultLimits)
		for range 8 {
			doc, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var se *snapshot.Error
				if !errors.As(err, &se) {
					t.Fatalf("error of type %T: %v", err, err)
				}
				continue
			}
			sub := set.Evaluate(ctx, doc)
			for _, fd := range sub.Findings {
				if !known[fd.Status] || fd.PolicyID == "" {
					t.Fatalf("bad finding %+v", fd)
				}
				if fd.Status == results.Error {
					t.Fatalf("a valid snapshot made a policy error: %+v", fd)
				}
			}
		}
	})
}
