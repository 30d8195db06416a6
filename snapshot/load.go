package snapshot

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// SchemaJSON is the JSON Schema (2020-12) of closeout.snapshot/v1.
//
//go:embed snapshot.schema.json
var SchemaJSON []byte

// TenantSchemaJSON is the JSON Schema (2020-12) of closeout.tenant/v1.
//
//go:embed tenant.schema.json
var TenantSchemaJSON []byte

// Limits bound what one document may cost to read.
type Limits struct {
	MaxDocumentBytes int // one snapshot, or one JSON Lines line
	MaxDepth         int // nesting of objects and arrays
}

// DefaultLimits are generous for any real account (the largest sign-in
// histories run to a few megabytes) and small enough to refuse junk quickly.
var DefaultLimits = Limits{MaxDocumentBytes: 32 << 20, MaxDepth: 64}

// Document is one validated snapshot as read: its decoded JSON (numbers kept
// as json.Number), where it came from and the digest of its bytes.
type Document struct {
	File   string
	Line   int    // first line of the document in File
	SHA256 string // of the document's bytes as read
	Value  map[string]any
	raw    []byte // the bytes as read, for Snapshot
	// UnknownFields are top-level fields this version does not know. They
	// are kept (a newer collector may add fields) and reported in verbose mode.
	UnknownFields []string
}

// Source is "file:line" for a document of a JSON Lines stream, else "file".
func (d *Document) Source() string {
	if d.Line > 1 {
		return fmt.Sprintf("%s:%d", d.File, d.Line)
	}
	return d.File
}

// SetKnownPartners merges the operator's known partners into a tenant
// document, as the policies read them (knownPartners).
func (d *Document) SetKnownPartners(p *KnownPartners) {
	raw, err := json.Marshal(p)
	if err != nil {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v map[string]any
	if dec.Decode(&v) == nil {
		d.Value["knownPartners"] = v
	}
}

// IsTenant reports whether the document is a closeout.tenant/v1 document.
func (d *Document) IsTenant() bool { return d.Value["schemaVersion"] == TenantSchemaVersion }

// Subject is the account's user principal name, or for a tenant document
// the tenant's default domain (its id when there is none).
func (d *Document) Subject() string {
	if d.IsTenant() {
		t, _ := d.Value["tenant"].(map[string]any)
		if domain, _ := t["defaultDomain"].(string); domain != "" {
			return domain
		}
		id, _ := t["id"].(string)
		return id
	}
	u, _ := d.Value["user"].(map[string]any)
	upn, _ := u["userPrincipalName"].(string)
	return upn
}

// Mode is ModeTenant for a tenant document, ModeIncident when the snapshot
// carries an incident, else ModePosture.
func (d *Document) Mode() string {
	if d.IsTenant() {
		return ModeTenant
	}
	if inc, ok := d.Value["incident"].(map[string]any); ok && inc != nil {
		return ModeIncident
	}
	return ModePosture
}

// Coverage reports a section's coverage entry. A section with no entry was
// not collected: it reads as StatusSkipped with a detail that says so.
func (d *Document) Coverage(section string) CoverageItem {
	cov, _ := d.Value["coverage"].(map[string]any)
	entry, ok := cov[section].(map[string]any)
	if !ok {
		return CoverageItem{Status: StatusSkipped, Detail: "no coverage entry in the snapshot"}
	}
	status, _ := entry["status"].(string)
	detail, _ := entry["detail"].(string)
	return CoverageItem{Status: status, Detail: detail}
}

// Snapshot decodes the bytes the document was parsed from into the typed
// contract (a Document built by hand is encoded from Value first).
func (d *Document) Snapshot() (*Snapshot, error) {
	raw := d.raw
	if raw == nil {
		var err error
		if raw, err = json.Marshal(d.Value); err != nil {
			return nil, err
		}
	}
	var s Snapshot
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, &Error{File: d.File, Line: d.Line, Reason: err.Error()}
	}
	return &s, nil
}

// Parse validates one document's bytes. file and line say where they came
// from, for errors and for Document.Source.
func Parse(data []byte, file string, line int, limits Limits) (*Document, error) {
	fail := func(off int, path []string, format string, args ...any) error {
		l := line
		switch {
		case path != nil:
			l += lineOfPath(data, path) - 1
		case off >= 0:
			l += lineAt(data, off) - 1
		}
		return &Error{File: file, Line: l, Pointer: pointer(path), Reason: fmt.Sprintf(format, args...)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{File: file, Line: line, Reason: "empty document; expected a " + SchemaVersion + " JSON object"}
	}
	if len(data) > limits.MaxDocumentBytes {
		return nil, fail(-1, nil, "document is %s, over the %s limit for one snapshot", byteSize(len(data)), byteSize(limits.MaxDocumentBytes))
	}
	if _, off := nestingDepth(data, limits.MaxDepth); off >= 0 {
		return nil, fail(off, nil, "nesting deeper than %d levels; a snapshot is never this deep", limits.MaxDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxError(err, data, fail)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail(int(dec.InputOffset()), nil, "unexpected data after the end of the snapshot object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fail(0, nil, "expected a JSON object, got %s", jsonType(v))
	}
	if path, n := numberOutOfRange(obj, []string{}); path != nil {
		return nil, fail(-1, path, "number %s is outside the range of a 64-bit float; no snapshot field holds such a number", jsonText(n))
	}
	var sch *jsonschema.Schema
	switch version, present := obj["schemaVersion"]; {
	case !present:
		return nil, fail(0, nil, "no schemaVersion; expected %q", SchemaVersion)
	case version == SchemaVersion:
		sch = compiledSchema()
	case version == TenantSchemaVersion:
		sch = compiledTenantSchema()
	default:
		return nil, fail(-1, []string{"schemaVersion"}, "unsupported schemaVersion %s; this closeout reads %q and %q", jsonText(version), SchemaVersion, TenantSchemaVersion)
	}
	if err := sch.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return nil, fail(0, nil, "%v", err)
		}
		leaf := firstLeaf(ve)
		reason := leaf.ErrorKind.LocalizedString(printer)
		if enum, ok := leaf.ErrorKind.(*kind.Enum); ok {
			reason = fmt.Sprintf("got %s; %s", jsonText(enum.Got), reason)
		}
		return nil, fail(-1, leaf.InstanceLocation, "%s", reason)
	}
	sum := sha256.Sum256(data)
	doc := &Document{File: file, Line: line, SHA256: hex.EncodeToString(sum[:]), Value: obj, raw: data}
	if !doc.IsTenant() {
		doc.UnknownFields = unknownFields(obj)
	}
	return doc, nil
}

// numberOutOfRange finds the first number, anywhere in v (unknown fields
// included), that a float64 cannot hold: the policy engine could not
// compare it, and every policy would end in an error.
func numberOutOfRange(v any, path []string) ([]string, json.Number) {
	switch x := v.(type) {
	case json.Number:
		if _, err := strconv.ParseFloat(string(x), 64); err != nil {
			return path, x
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, n := numberOutOfRange(x[k], append(path[:len(path):len(path)], k)); p != nil {
				return p, n
			}
		}
	case []any:
		for i, e := range x {
			if p, n := numberOutOfRange(e, append(path[:len(path):len(path)], strconv.Itoa(i))); p != nil {
				return p, n
			}
		}
	}
	return nil, ""
}

func syntaxError(err error, data []byte, fail func(int, []string, string, ...any) error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fail(int(se.Offset), nil, "invalid JSON: %v", se)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fail(len(data), nil, "invalid JSON: the document ends before it is complete (truncated?)")
	default:
		return fail(-1, nil, "invalid JSON: %v", err)
	}
}

var printer = message.NewPrinter(language.English)

// firstLeaf follows the first cause down to the most specific error, which
// names the value that is wrong rather than the object that holds it.
func firstLeaf(ve *jsonschema.ValidationError) *jsonschema.ValidationError {
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	return ve
}

var (
	schemaOnce       sync.Once
	schema           *jsonschema.Schema
	knownFields      map[string]bool
	tenantSchemaOnce sync.Once
	tenantSchema     *jsonschema.Schema
)

// compileSchema compiles an embedded schema once; a broken embedded
// schema is a build defect, so it panics.
func compileSchema(url string, raw []byte) (*jsonschema.Schema, map[string]any) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		panic("snapshot: embedded " + url + " is not JSON: " + err.Error())
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(url, doc); err != nil {
		panic("snapshot: embedded " + url + ": " + err.Error())
	}
	return c.MustCompile(url), doc.(map[string]any)
}

func compiledSchema() *jsonschema.Schema {
	schemaOnce.Do(func() {
		var doc map[string]any
		schema, doc = compileSchema("closeout.snapshot.schema.json", SchemaJSON)
		knownFields = map[string]bool{}
		for name := range doc["properties"].(map[string]any) {
			knownFields[name] = true
		}
	})
	return schema
}

func compiledTenantSchema() *jsonschema.Schema {
	tenantSchemaOnce.Do(func() {
		tenantSchema, _ = compileSchema("closeout.tenant.schema.json", TenantSchemaJSON)
	})
	return tenantSchema
}

func unknownFields(obj map[string]any) []string {
	var unknown []string
	for name := range obj {
		if !knownFields[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	return unknown
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	default:
		return "an object"
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 60 {
		b = append(b[:57], "..."...)
	}
	return string(b)
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// Reader streams documents from one input: a single (possibly pretty-printed)
// snapshot, or JSON Lines with one snapshot per line. Memory is bounded by
// one document, whatever the number of accounts.
type Reader struct {
	name   string
	in     *bufio.Reader
	closer io.Closer
	limits Limits
	line   int  // lines consumed so far
	lines  bool // JSON Lines mode, decided by the first document
	begun  bool
	done   bool
}

// Open opens path for reading; "-" reads stdin.
func Open(path string, stdin io.Reader, limits Limits) (*Reader, error) {
	if path == "-" {
		return NewReader(stdin, "<stdin>", limits), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Reason: strings.TrimPrefix(err.Error(), "open "+path+": ")}
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, &Error{File: path, Reason: "is a directory; expected a snapshot file"}
	}
	r := NewReader(f, path, limits)
	r.closer = f
	r.lines = strings.HasSuffix(path, ".jsonl") || strings.HasSuffix(path, ".ndjson")
	return r, nil
}

// NewReader reads documents from in; name is used in errors.
func NewReader(in io.Reader, name string, limits Limits) *Reader {
	return &Reader{name: name, in: bufio.NewReaderSize(in, 64<<10), limits: limits}
}

// Close releases the underlying file.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// Next returns the next document, io.EOF after the last, or an *Error for a
// document that is not a valid snapshot. In JSON Lines mode a bad line does
// not end the stream: call Next again for the following line.
func (r *Reader) Next() (*Document, error) {
	for !r.done {
		first := r.line + 1
		text, tooLong, err := r.readLine()
		if err == io.EOF && text == nil {
			r.done = true
			if !r.begun {
				return nil, &Error{File: r.name, Reason: "file is empty; expected a " + SchemaVersion + " document or JSON Lines of them"}
			}
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			r.done = true
			return nil, &Error{File: r.name, Line: first, Reason: "read failed: " + err.Error()}
		}
		if tooLong {
			if !r.begun && !r.lines {
				// A whole-document file this large is refused as a whole.
				r.done = true
			}
			r.begun = true
			return nil, &Error{File: r.name, Line: first, Reason: fmt.Sprintf("line is over the %s limit for one snapshot", byteSize(r.limits.MaxDocumentBytes))}
		}
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		if !r.begun {
			r.begun = true
			trimmed := bytes.TrimSpace(text)
			// One complete object on the first line means JSON Lines; anything
			// else is one document spread over the whole file.
			if !r.lines && !(trimmed[0] == '{' && json.Valid(trimmed)) {
				return r.whole(text, first)
			}
			r.lines = true
		}
		return Parse(text, r.name, first, r.limits)
	}
	return nil, io.EOF
}

// whole reads the rest of a single-document file, bounded by the limit.
func (r *Reader) whole(head []byte, first int) (*Document, error) {
	r.done = true
	budget := int64(r.limits.MaxDocumentBytes - len(head) + 1)
	rest, err := io.ReadAll(io.LimitReader(r.in, budget))
	if err != nil {
		return nil, &Error{File: r.name, Reason: "read failed: " + err.Error()}
	}
	data := append(head, rest...)
	if len(data) > r.limits.MaxDocumentBytes {
		return nil, &Error{File: r.name, Reason: fmt.Sprintf("file is over the %s limit for one snapshot; write many accounts as JSON Lines, one per line", byteSize(r.limits.MaxDocumentBytes))}
	}
	return Parse(data, r.name, first, r.limits)
}

// readLine returns the next line with its newline, never holding more than
// the document limit: a longer line is consumed and reported as too long.
func (r *Reader) readLine() (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := r.in.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > r.limits.MaxDocumentBytes {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			r.line++
			return buf, tooLong, nil
		case io.EOF:
			if len(chunk) > 0 || tooLong || buf != nil {
				r.line++
				if buf == nil && !tooLong {
					buf = []byte{}
				}
				return buf, tooLong, nil
			}
			return nil, false, io.EOF
		default:
			return nil, false, err
		}
	}
}

// LoadFile reads every document of one file, stopping at the first error.
func LoadFile(path string) ([]*Document, error) {
	r, err := Open(path, nil, DefaultLimits)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var docs []*Document
	for {
		d, err := r.Next()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		docs = append(docs, d)
	}
}
