package policies

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime/metrics"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// The sandbox every policy runs in, embedded or custom: a reviewed set of
// builtins with no way out of the process, a time limit per account, and a
// heap limit that stops evaluations before they take the machine down.

// deniedBuiltins are OPA builtins no policy may call, each with the reason.
// Policies judge a snapshot against its own collectedAt and nothing else,
// so re-running them on old evidence gives the same answer, and a custom
// policy can neither send the snapshot anywhere nor read the machine.
var deniedBuiltins = map[string]string{
	"http.send":          "network I/O",
	"net.lookup_ip_addr": "DNS lookups",
	"opa.runtime":        "reads the process environment and configuration",
	"json.verify_schema": "resolves $ref over http:// and file://",
	"json.match_schema":  "resolves $ref over http:// and file://",
	"crypto.x509.parse_and_verify_certificates":              "verifies against the clock and the system's roots on disk",
	"crypto.x509.parse_and_verify_certificates_with_options": "verifies against the clock and the system's roots on disk",
	"io.jwt.decode_verify":                                   "checks expiry against the clock",
	"io.jwt.encode_sign":                                     "randomised signatures; no policy signs anything",
	"io.jwt.encode_sign_raw":                                 "randomised signatures; no policy signs anything",
	"providers.aws.sign_req":                                 "exists to sign outbound requests",
	"time.now_ns":                                            "the clock: findings must depend on the snapshot alone",
	"rand.intn":                                              "randomness",
	"uuid.rfc4122":                                           "randomness",
	"numbers.range":                                          "allocates the whole range in one uninterruptible call",
	"numbers.range_step":                                     "allocates the whole range in one uninterruptible call",
	"net.cidr_expand":                                        "allocates every address of a prefix in one call (a /0 is 2^32)",
	"graph.reachable_paths":                                  "output grows exponentially with the graph in one call",
	"strings.render_template":                                "nested ranges grow exponentially in one call",
	"json.patch":                                             "copy operations double a value per operation",
	"graphql.is_valid":                                       "parses recursively with no depth bound: a deeply nested query overflows the stack and kills the process",
	"graphql.parse":                                          "parses recursively with no depth bound: a deeply nested query overflows the stack and kills the process",
	"graphql.parse_and_verify":                               "parses recursively with no depth bound: a deeply nested query overflows the stack and kills the process",
	"graphql.parse_query":                                    "parses recursively with no depth bound: a deeply nested query overflows the stack and kills the process",
	"graphql.parse_schema":                                   "parses recursively with no depth bound: a deeply nested query overflows the stack and kills the process",
	"graphql.schema_is_valid":                                "parses recursively with no depth bound: a deeply nested query overflows the stack and kills the process",
}

// allowedBuiltins were reviewed: pure functions of their arguments whose
// cost is bounded by their input or checked for cancellation. A builtin a
// newer OPA adds is in neither list, so it stays out until someone reviews
// it (TestCapabilitiesAreReviewed fails until then).
var allowedBuiltins = []string{
	"abs", "all", "and", "any", "array.concat", "array.flatten", "array.reverse", "array.slice", "assign",
	"base64.decode", "base64.encode", "base64.is_valid", "base64url.decode", "base64url.encode", "base64url.encode_no_pad",
	"bits.and", "bits.lsh", "bits.negate", "bits.or", "bits.rsh", "bits.xor",
	"cast_array", "cast_boolean", "cast_null", "cast_object", "cast_set", "cast_string", "ceil", "concat", "contains", "count",
	"crypto.hmac.equal", "crypto.hmac.md5", "crypto.hmac.sha1", "crypto.hmac.sha256", "crypto.hmac.sha512",
	"crypto.md5", "crypto.parse_private_keys", "crypto.sha1", "crypto.sha256",
	"crypto.x509.parse_certificate_request", "crypto.x509.parse_certificates", "crypto.x509.parse_keypair", "crypto.x509.parse_rsa_private_key",
	"div", "endswith", "eq", "equal", "floor", "format_int", "glob.match", "glob.quote_meta", "graph.reachable",
	"gt", "gte", "hex.decode", "hex.encode", "indexof", "indexof_n",
	"internal.member_2", "internal.member_3", "internal.print", "internal.template_string", "internal.test_case", "intersection",
	"io.jwt.decode", "io.jwt.verify_eddsa", "io.jwt.verify_es256", "io.jwt.verify_es384", "io.jwt.verify_es512",
	"io.jwt.verify_hs256", "io.jwt.verify_hs384", "io.jwt.verify_hs512", "io.jwt.verify_ps256", "io.jwt.verify_ps384", "io.jwt.verify_ps512",
	"io.jwt.verify_rs256", "io.jwt.verify_rs384", "io.jwt.verify_rs512",
	"is_array", "is_boolean", "is_null", "is_number", "is_object", "is_set", "is_string",
	"json.filter", "json.is_valid", "json.marshal", "json.marshal_with_options", "json.remove", "json.unmarshal",
	"lower", "lt", "lte", "max", "min", "minus", "mul", "neq",
	"net.cidr_contains", "net.cidr_contains_matches", "net.cidr_intersects", "net.cidr_is_valid", "net.cidr_merge", "net.cidr_overlap",
	"object.filter", "object.get", "object.keys", "object.remove", "object.subset", "object.union", "object.union_n",
	"or", "plus", "print", "product", "re_match",
	"regex.find_all_string_submatch_n", "regex.find_n", "regex.globs_match", "regex.is_valid", "regex.match", "regex.replace", "regex.split", "regex.template_match",
	"rego.metadata.chain", "rego.metadata.rule", "rego.parse_module", "rem", "replace", "round",
	"semver.compare", "semver.is_valid", "set_diff", "sort", "split", "sprintf", "startswith",
	"strings.any_prefix_match", "strings.any_suffix_match", "strings.count", "strings.replace_n", "strings.reverse", "strings.split_n",
	"substring", "sum", "time.add_date", "time.clock", "time.date", "time.diff", "time.format", "time.parse_duration_ns", "time.parse_ns",
	"time.parse_rfc3339_ns", "time.weekday", "to_number", "trace",
	"trim", "trim_left", "trim_prefix", "trim_right", "trim_space", "trim_suffix", "type_name", "union", "units.parse", "units.parse_bytes",
	"upper", "uri.is_valid", "uri.parse", "urlquery.decode", "urlquery.decode_object", "urlquery.encode", "urlquery.encode_object",
	"uuid.parse", "walk", "yaml.is_valid", "yaml.marshal", "yaml.unmarshal",
}

// Capabilities is the restricted builtin set every policy compiles against:
// OPA's builtins that are on the reviewed allow-list, and no others.
func Capabilities() *ast.Capabilities {
	allowed := make(map[string]bool, len(allowedBuiltins))
	for _, name := range allowedBuiltins {
		allowed[name] = true
	}
	caps := ast.CapabilitiesForThisVersion()
	kept := caps.Builtins[:0:0]
	for _, b := range caps.Builtins {
		if allowed[b.Name] {
			kept = append(kept, b)
		}
	}
	caps.Builtins = kept
	return caps
}

// DeniedBuiltins lists the builtins policies may not call, with why, for
// the documentation and `policy lint`.
func DeniedBuiltins() []string {
	out := make([]string, 0, len(deniedBuiltins))
	for name, why := range deniedBuiltins {
		out = append(out, name+" ("+why+")")
	}
	sort.Strings(out)
	return out
}

// DefaultEvalTimeout bounds one account's evaluation by every policy.
// A whole library takes about a millisecond; this is a runaway policy.
const DefaultEvalTimeout = 5 * time.Second

// DefaultEvalHeapLimit is the Go heap above which evaluations in flight
// are stopped: far above anything the library needs (tens of MiB), far
// below what would bring the machine down.
const DefaultEvalHeapLimit = 2 << 30

// ErrEvalTimeout and ErrEvalMemory are the causes of an evaluation stopped
// by the sandbox; the finding's message names them.
var (
	ErrEvalTimeout = errors.New("evaluation exceeded its time limit")
	ErrEvalMemory  = errors.New("evaluation stopped: the process heap went over its limit")
)

// heapGuard stops evaluations in flight when the heap goes over a limit.
// OPA checks its context between evaluation steps and while building
// strings, so a cancelled evaluation stops within a step or two. It polls
// only while something is being evaluated.
type heapGuard struct {
	limit    uint64
	interval time.Duration

	mu       sync.Mutex
	inflight map[*guarded]struct{}
	polling  bool
}

type guarded struct{ cancel context.CancelCauseFunc }

func newHeapGuard(limit uint64) *heapGuard {
	return &heapGuard{limit: limit, interval: 10 * time.Millisecond, inflight: map[*guarded]struct{}{}}
}

// evalContext derives the context one evaluation runs under: the deadline,
// and cancellation by the guard. release must be called when it is done.
func (g *heapGuard) evalContext(parent context.Context, timeout time.Duration) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	tctx, tcancel := context.WithTimeoutCause(ctx, timeout, ErrEvalTimeout)
	entry := &guarded{cancel: cancel}
	g.mu.Lock()
	g.inflight[entry] = struct{}{}
	if !g.polling {
		g.polling = true
		go g.poll()
	}
	g.mu.Unlock()
	return tctx, func() {
		g.mu.Lock()
		delete(g.inflight, entry)
		g.mu.Unlock()
		tcancel()
		cancel(nil)
	}
}

func (g *heapGuard) heap(sample []metrics.Sample) uint64 {
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

func (g *heapGuard) poll() {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	tick := time.NewTicker(g.interval)
	defer tick.Stop()
	for range tick.C {
		// Garbage not yet swept counts too: with the library's heap in tens
		// of MiB, only a runaway evaluation gets near the limit.
		over := g.heap(sample) > g.limit
		g.mu.Lock()
		if len(g.inflight) == 0 {
			g.polling = false
			g.mu.Unlock()
			return
		}
		if over {
			for e := range g.inflight {
				e.cancel(fmt.Errorf("%w (%d MiB)", ErrEvalMemory, g.limit>>20))
			}
		}
		g.mu.Unlock()
	}
}

// Pattern builtins compile their pattern and match it in one call the
// evaluation's deadline cannot interrupt; their cost grows with the
// pattern's size times the input's. closeout bounds both, so that no call
// runs for more than a fraction of a second: a larger one is an error
// (the policy's finding is error, the others are judged).
const (
	maxPatternBytes      = 2 << 10
	maxPatternInputBytes = 64 << 10
)

// patternOperands are, for each pattern builtin, which operands are
// patterns (the others are inputs).
var patternOperands = map[string][]int{
	"regex.match": {0}, "re_match": {0}, "regex.is_valid": {0}, "regex.find_all_string_submatch_n": {0},
	"regex.template_match": {0}, "regex.split": {0}, "regex.find_n": {0}, "regex.replace": {1},
	"regex.globs_match": {0, 1}, "glob.match": {0},
}

func init() {
	for name, patterns := range patternOperands {
		inner := topdown.GetBuiltin(name)
		if inner == nil {
			continue
		}
		topdown.RegisterBuiltinFunc(name, func(bctx topdown.BuiltinContext, operands []*ast.Term, iter func(*ast.Term) error) error {
			for i, op := range operands {
				s, ok := op.Value.(ast.String)
				if !ok {
					continue
				}
				limit, what := maxPatternInputBytes, "an input"
				if slices.Contains(patterns, i) {
					limit, what = maxPatternBytes, "a pattern"
				}
				if len(s) > limit {
					// Halt, not a plain error: OPA would take a plain one
					// for "undefined" and the policy would pass.
					return topdown.Halt{Err: fmt.Errorf("%s: %s of %d bytes, over closeout's bound of %d (a pattern builtin cannot be interrupted once it runs)", name, what, len(s), limit)}
				}
			}
			return inner(bctx, operands, iter)
		})
	}
}

var undefinedFunction = regexp.MustCompile(`^undefined function (\S+)$`)

// sandboxMessage words a compile error about a builtin the sandbox takes
// away as what it is: a refusal, with why, not a typo.
func sandboxMessage(msg string) string {
	if m := undefinedFunction.FindStringSubmatch(msg); m != nil {
		if why, denied := deniedBuiltins[m[1]]; denied {
			return fmt.Sprintf("%s is not allowed in closeout policies: %s", m[1], why)
		}
	}
	return msg
}
