package policies

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/closeout-dev/closeout/results"
	"github.com/closeout-dev/closeout/snapshot"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Options say which policies to load.
type Options struct {
	// Dirs are custom policy directories (--policy-dir), loaded beside the
	// embedded library.
	Dirs []string
	// NoEmbedded, for Lint, reports on the custom policies only. The
	// library is compiled with them all the same: they build on it.
	NoEmbedded bool
	// LibraryDir, when set, is read as the library in place of the
	// embedded one: another version of it (policy diff's base or head).
	LibraryDir string
	// Bundle, when set, is an OPA bundle read as the library in place of
	// the embedded one; Verify checks its signature first.
	Bundle string
	Verify *Verification
	// EvalTimeout bounds one account's evaluation (0: DefaultEvalTimeout).
	// A policy that runs past it gives an error finding that names it.
	EvalTimeout time.Duration
	// EvalHeapLimit stops evaluations in flight when the Go heap grows past
	// it (0: DefaultEvalHeapLimit); their findings are errors.
	EvalHeapLimit uint64
}

// Set is a compiled policy set, ready to evaluate any number of snapshots
// from any number of goroutines.
type Set struct {
	Policies []*Policy
	Digest   string
	LoadTime time.Duration
	// Bundle says where the library came from when a bundle held it.
	Bundle *BundleSource
	// Embedded says the library built into closeout is in the set (a
	// bundle or directory of custom policies is loaded beside it).
	Embedded bool

	compiler *ast.Compiler
	modules  map[string]*ast.Module
	tests    map[string]*ast.Module
	custom   map[string]bool // the files a user wrote, by module name
	byMode   map[string]*modeQuery

	evalTimeout time.Duration
	guard       *heapGuard

	perPolicyOnce sync.Once
	perPolicy     map[string]rego.PreparedEvalQuery
	perPolicyErr  error
}

// modeQuery evaluates, in one pass, the finding rules of every policy that
// applies to a mode.
type modeQuery struct {
	policies []*Policy
	query    rego.PreparedEvalQuery
}

func newCompiler() *ast.Compiler {
	return ast.NewCompiler().
		WithStrict(true).
		WithCapabilities(Capabilities()).
		WithEnablePrintStatements(false)
}

// Load reads, checks and compiles the policies, and prepares their queries.
func Load(ctx context.Context, opts Options) (*Set, error) {
	start := time.Now()
	files, bundleSrc, embeddedLib, err := opts.readAll()
	if err != nil {
		return nil, err
	}
	mods, tests, err := parseModules(files)
	if err != nil {
		return nil, err
	}
	if err := checkModules(files, mods, tests); err != nil {
		return nil, err
	}
	custom := map[string]bool{}
	for _, f := range files {
		custom[f.name] = f.custom
	}
	pols, err := policiesOf(mods, custom)
	if err != nil {
		return nil, err
	}
	if len(pols) == 0 {
		return nil, &LoadError{File: strings.Join(opts.Dirs, ", "), Reason: "no policies found"}
	}
	c := newCompiler()
	c.Compile(mods)
	if c.Failed() {
		return nil, compileError(c.Errors)
	}
	requireWhatIsRead(c, pols)
	s := &Set{Policies: pols, Digest: digest(files), Bundle: bundleSrc, Embedded: embeddedLib, compiler: c, modules: mods, tests: tests, custom: custom, byMode: map[string]*modeQuery{},
		evalTimeout: opts.EvalTimeout, guard: newHeapGuard(opts.EvalHeapLimit)}
	if s.evalTimeout <= 0 {
		s.evalTimeout = DefaultEvalTimeout
	}
	if s.guard.limit == 0 {
		s.guard.limit = DefaultEvalHeapLimit
	}
	for _, mode := range knownModes {
		var applicable []*Policy
		for _, p := range pols {
			if p.AppliesTo(mode) {
				applicable = append(applicable, p)
			}
		}
		q, err := s.prepare(ctx, applicable)
		if err != nil {
			return nil, err
		}
		s.byMode[mode] = &modeQuery{policies: applicable, query: q}
	}
	s.LoadTime = time.Since(start)
	return s, nil
}

func compileError(errs ast.Errors) error {
	first := errs[0]
	file := "policies"
	if first.Location != nil {
		file = fmt.Sprintf("%s:%d", first.Location.File, first.Location.Row)
	}
	reason := first.Code + ": " + sandboxMessage(first.Message)
	if len(errs) > 1 {
		reason += fmt.Sprintf(" (and %d more errors)", len(errs)-1)
	}
	return &LoadError{File: file, Reason: reason}
}

// prepare builds one query returning {policy id: {rule: results}} for pols.
func (s *Set) prepare(ctx context.Context, pols []*Policy) (rego.PreparedEvalQuery, error) {
	var parts []string
	for _, p := range pols {
		var rules []string
		for _, r := range p.Rules {
			rules = append(rules, fmt.Sprintf("%q: data.%s.%s", r, p.Package, r))
		}
		parts = append(parts, fmt.Sprintf("%q: {%s}", p.ID, strings.Join(rules, ", ")))
	}
	q := "x := {" + strings.Join(parts, ", ") + "}"
	pq, err := rego.New(rego.Compiler(s.compiler), rego.Query(q), rego.Strict(true)).PrepareForEval(ctx)
	if err != nil {
		return pq, &LoadError{File: "policies", Reason: "preparing the evaluation query: " + oneLine(err.Error())}
	}
	return pq, nil
}

// preparePerPolicy prepares one query per policy. They are only needed to
// say which policy failed when the combined query returns an error.
func (s *Set) preparePerPolicy(ctx context.Context) (map[string]rego.PreparedEvalQuery, error) {
	s.perPolicyOnce.Do(func() {
		s.perPolicy = map[string]rego.PreparedEvalQuery{}
		for _, p := range s.Policies {
			q, err := s.prepare(ctx, []*Policy{p})
			if err != nil {
				s.perPolicyErr = err
				return
			}
			s.perPolicy[p.ID] = q
		}
	})
	return s.perPolicy, s.perPolicyErr
}

// Requires lists the sections the policies that apply to mode need, each
// once, in the order the policies name them: what a collection for that
// mode must read.
func (s *Set) Requires(mode string) []string {
	var sections []string
	for _, p := range s.Policies {
		if p.AppliesTo(mode) {
			for _, sec := range p.Requires {
				if !slices.Contains(sections, sec) {
					sections = append(sections, sec)
				}
			}
		}
	}
	return sections
}

// Info describes the set's policies for a results document.
func (s *Set) Info() []results.PolicyInfo {
	out := make([]results.PolicyInfo, len(s.Policies))
	for i, p := range s.Policies {
		out[i] = results.PolicyInfo{ID: p.ID, Title: p.Title, Description: p.Description, Severity: p.Severity,
			Checklist: p.Checklist, Modes: p.Modes, Requires: p.Requires, Remediation: p.Remediation, References: p.References}
	}
	return out
}

// Evaluate runs every applicable policy on one snapshot.
func (s *Set) Evaluate(ctx context.Context, doc *snapshot.Document) *results.Subject {
	mode := doc.Mode()
	sub := &results.Subject{Subject: doc.Subject(), Source: doc.Source(), SHA256: doc.SHA256, Mode: mode, UnknownFields: doc.UnknownFields}
	if inc, ok := doc.Value["incident"].(map[string]any); ok {
		sub.Incident, _ = inc["id"].(string)
	}
	if user, ok := doc.Value["user"].(map[string]any); ok {
		sub.DisplayName, _ = user["displayName"].(string)
	}
	if tenant, ok := doc.Value["tenant"].(map[string]any); ok {
		sub.Tenant, _ = tenant["id"].(string)
	}
	if mode == snapshot.ModeIncident {
		if typed, err := doc.Snapshot(); err == nil {
			sub.Timeline = typed.Timeline()
		}
	}
	sub.NotRead = notRead(doc)
	if prov, ok := doc.Value["provenance"].(map[string]any); ok {
		sub.Carried = prov["carried"] == true
		if at, err := time.Parse(time.RFC3339, fmt.Sprint(doc.Value["collectedAt"])); err == nil {
			sub.ReadAt = &at
		}
	}
	mq := s.byMode[mode]
	input, err := ast.InterfaceToValue(doc.Value)
	var outputs map[string]any
	if err == nil {
		outputs, err = s.eval(ctx, mq.query, input)
	}
	for _, p := range mq.policies {
		var out any
		var perr error
		if err != nil {
			out, perr = s.evalOne(ctx, p, input, err)
		} else {
			out = outputs[p.ID]
		}
		sub.Findings = append(sub.Findings, s.finding(p, doc, sub.Subject, out, perr))
	}
	sort.SliceStable(sub.Findings, func(i, j int) bool {
		a, b := &sub.Findings[i], &sub.Findings[j]
		if ra, rb := checklistRank(a.Checklist), checklistRank(b.Checklist); ra != rb {
			return ra < rb
		}
		if a.Checklist != b.Checklist {
			return a.Checklist < b.Checklist
		}
		return a.PolicyID < b.PolicyID
	})
	return sub
}

// evalOne evaluates a single policy after the combined query failed, so the
// error lands on the policy that caused it.
func (s *Set) evalOne(ctx context.Context, p *Policy, input ast.Value, combinedErr error) (any, error) {
	if input == nil || ctx.Err() != nil {
		return nil, combinedErr
	}
	qs, err := s.preparePerPolicy(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.eval(ctx, qs[p.ID], input)
	if err != nil {
		return nil, err
	}
	return out[p.ID], nil
}

// eval runs one prepared query inside the sandbox's limits. An evaluation
// the sandbox stopped fails with the reason, never with a partial result.
func (s *Set) eval(ctx context.Context, q rego.PreparedEvalQuery, input ast.Value) (map[string]any, error) {
	ectx, release := s.guard.evalContext(ctx, s.evalTimeout)
	defer release()
	out, err := evalQuery(ectx, q, input)
	if err != nil && ctx.Err() == nil {
		switch cause := context.Cause(ectx); {
		case errors.Is(cause, ErrEvalTimeout):
			return nil, fmt.Errorf("%w (%s; raise it with --eval-timeout)", ErrEvalTimeout, s.evalTimeout)
		case errors.Is(cause, ErrEvalMemory):
			return nil, cause
		}
	}
	return out, err
}

func evalQuery(ctx context.Context, q rego.PreparedEvalQuery, input ast.Value) (map[string]any, error) {
	rs, err := q.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return nil, errors.New(oneLine(err.Error()))
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("policy query returned %d results, want 1", len(rs))
	}
	out, ok := rs[0].Bindings["x"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("policy query returned %T, want an object", rs[0].Bindings["x"])
	}
	return out, nil
}

// finding turns one policy's rule output into a finding. Missing coverage
// comes first: whatever the rules said on partial data, the policy cannot
// pass, and it is not trusted to fail either (an empty list that was never
// collected looks like "no MFA methods").
func (s *Set) finding(p *Policy, doc *snapshot.Document, subject string, out any, evalErr error) results.Finding {
	f := results.Finding{
		PolicyID:    p.ID,
		Title:       p.Title,
		Severity:    p.Severity,
		Checklist:   p.Checklist,
		Subject:     subject,
		Remediation: fillRemediation(p.Remediation, subject),
		References:  p.References,
	}
	var missing []string
	coverage := map[string]any{}
	for _, section := range p.Requires {
		c := doc.Coverage(section)
		if c.Status != snapshot.StatusCollected {
			reason := section + " is " + c.Status
			if c.Detail != "" {
				reason += " (" + c.Detail + ")"
			}
			missing = append(missing, reason)
			coverage[section] = map[string]any{"status": c.Status, "detail": c.Detail}
		}
	}
	rules, _ := out.(map[string]any)
	denies, warns, manuals := violations(rules[ruleDeny]), violations(rules[ruleWarn]), violations(rules[ruleManual])
	unknowns := violations(rules[ruleUnknown])
	switch {
	case len(missing) > 0 && p.FailsOnPartialData && len(denies) > 0:
		// What was collected already proves the failure; what was not can
		// only add to it.
		f.Status = results.Fail
		f.Message = messages(denies) + " (and possibly more: " + strings.Join(missing, "; ") + ")"
		f.Evidence = map[string]any{"violations": denies, "coverage": coverage}
	case len(missing) > 0:
		f.Status = results.Unknown
		f.Message = "cannot evaluate: " + strings.Join(missing, "; ")
		f.Evidence = map[string]any{"coverage": coverage}
		if len(denies) > 0 {
			f.Evidence["observedViolations"] = denies
		}
		if len(warns) > 0 {
			f.Evidence["observedWarnings"] = warns
		}
	case evalErr != nil:
		f.Status = results.Error
		f.Message = "evaluation failed: " + evalErr.Error()
	case len(denies) > 0:
		f.Status, f.Message, f.Evidence = results.Fail, messages(denies), map[string]any{"violations": denies}
		if len(warns) > 0 {
			f.Evidence["warnings"] = warns
		}
	case len(unknowns) > 0:
		// A value the policy needs was not there to judge: never a pass.
		f.Status, f.Message, f.Evidence = results.Unknown, "cannot evaluate: "+messages(unknowns), map[string]any{"unknown": unknowns}
	case len(manuals) > 0:
		f.Status, f.Message, f.Evidence = results.Manual, messages(manuals), map[string]any{"violations": manuals}
	case len(warns) > 0:
		f.Status, f.Message, f.Evidence = results.Warn, messages(warns), map[string]any{"violations": warns}
	default:
		f.Status = results.Pass
		f.Message = "no problem found"
	}
	return f
}

// violations normalises a rule's results: conftest allows plain strings as
// well as objects with msg; either becomes an object with msg. Order is the
// order of the set, which OPA keeps sorted, so it is deterministic.
func violations(v any) []map[string]any {
	items, _ := v.([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		switch x := it.(type) {
		case map[string]any:
			if _, ok := x["msg"].(string); !ok {
				x["msg"] = fmt.Sprint(x["msg"])
			}
			out = append(out, x)
		default:
			out = append(out, map[string]any{"msg": fmt.Sprint(x)})
		}
	}
	return out
}

func messages(vs []map[string]any) string {
	msgs := make([]string, len(vs))
	for i, v := range vs {
		msgs[i] = v["msg"].(string)
	}
	return strings.Join(msgs, "; ")
}

// Stream evaluates the documents next yields, with workers goroutines (0
// means one per CPU), and calls emit for each in input order: with the
// subject, or with the input error next returned for that position. Memory
// is bounded by a small window of documents in flight, whatever the count.
// next returns io.EOF after the last document. Stream stops at the first
// error emit returns, or when ctx ends.
func (s *Set) Stream(ctx context.Context, workers int, next func() (*snapshot.Document, error), emit func(*results.Subject, error) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type slot struct {
		doc *snapshot.Document
		err error
		out chan *results.Subject
	}
	jobs := make(chan *slot, workers*2)
	order := make(chan *slot, workers*4)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sl := range jobs {
				sl.out <- s.Evaluate(ctx, sl.doc)
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(jobs)
		for {
			doc, err := next()
			if err == io.EOF {
				return
			}
			sl := &slot{doc: doc, err: err, out: make(chan *results.Subject, 1)}
			if err != nil {
				sl.out <- nil
			} else {
				select {
				case jobs <- sl:
				case <-ctx.Done():
					return
				}
			}
			select {
			case order <- sl:
			case <-ctx.Done():
				return
			}
		}
	}()
	var emitErr error
	for sl := range order {
		if emitErr != nil {
			continue // drain, so the reader and workers can finish
		}
		if e := emit(<-sl.out, sl.err); e != nil {
			emitErr = e
			cancel()
		}
	}
	wg.Wait()
	if emitErr != nil {
		return emitErr
	}
	return ctx.Err()
}

// requireWhatIsRead adds to each policy's requires the sections it reads
// and does not list (policy lint reports them), so that a policy that
// forgot one is unknown, not passing, when that section is not collected.
func requireWhatIsRead(c *ast.Compiler, pols []*Policy) {
	reads := InputReads(c, IsTestFile, func(string, string, int, string, ...any) {})
	for _, p := range pols {
		p.Requires = append(p.Requires, Unrequired(p, reads[p.File])...)
	}
}

// notRead lists the sections of a snapshot that failed to be read: a
// section skipped on purpose, or not found (an account without a
// mailbox), is no failure.
func notRead(doc *snapshot.Document) []results.NotRead {
	cov, _ := doc.Value["coverage"].(map[string]any)
	var out []results.NotRead
	for section := range cov {
		c := doc.Coverage(section)
		switch c.Status {
		case snapshot.StatusCollected, snapshot.StatusSkipped, snapshot.StatusNotFound:
			continue
		}
		out = append(out, results.NotRead{Section: section, Status: c.Status, Detail: c.Detail})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Section < out[j].Section })
	return out
}
