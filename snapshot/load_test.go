package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func scenario(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "snapshots", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// compact re-encodes a pretty document onto one line, for JSON Lines.
func compact(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestScenariosLoad(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "snapshots", "*.json"))
	if len(paths) < 5 {
		t.Fatalf("found %d scenario snapshots", len(paths))
	}
	for _, p := range paths {
		docs, err := LoadFile(p)
		if err != nil || len(docs) != 1 {
			t.Fatalf("%s: %v", p, err)
		}
		d := docs[0]
		if d.Subject() == "" || len(d.SHA256) != 64 || d.Line != 1 {
			t.Errorf("%s: subject %q sha %q line %d", p, d.Subject(), d.SHA256, d.Line)
		}
		// The typed contract and the schema agree: decoding into the Go
		// types and encoding again gives a document that still validates.
		s, err := d.Snapshot()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if s.Mode() != d.Mode() || s.User.UserPrincipalName != d.Subject() {
			t.Errorf("%s: typed mode/subject %s/%s differ from %s/%s", p, s.Mode(), s.User.UserPrincipalName, d.Mode(), d.Subject())
		}
		again, _ := json.Marshal(s)
		if _, err := Parse(again, p+" (re-encoded)", 1, DefaultLimits); err != nil {
			t.Errorf("re-encoded typed snapshot does not validate: %v", err)
		}
		for _, section := range Sections {
			if c := d.Coverage(section); c.Status == "" {
				t.Errorf("%s: section %s has no status", p, section)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	valid := scenario(t, "compromised-remediated.json")
	replace := func(old, new string) []byte {
		if !bytes.Contains(valid, []byte(old)) {
			t.Fatalf("fixture lacks %q", old)
		}
		return bytes.Replace(valid, []byte(old), []byte(new), 1)
	}
	lineOf := func(needle string) int {
		i := bytes.Index(valid, []byte(needle))
		return bytes.Count(valid[:i], []byte("\n")) + 1
	}
	cases := []struct {
		name     string
		data     []byte
		line     int
		pointer  string
		contains string
	}{
		{"empty", []byte(""), 1, "", "empty"},
		{"blank", []byte("  \n\n"), 1, "", "empty"},
		{"malformed", replace(`"accountEnabled": true,`, `"accountEnabled": true,,`), lineOf(`"accountEnabled"`), "", "invalid JSON"},
		{"truncated", valid[:len(valid)/2], 0, "", "truncated"},
		{"not an object", []byte(`[1, 2]`), 1, "", "expected a JSON object, got an array"},
		{"no version", replace(`"schemaVersion": "closeout.snapshot/v1",`, ``), 1, "", "no schemaVersion"},
		{"wrong version", replace(`"closeout.snapshot/v1"`, `"closeout.snapshot/v2"`), 2, "/schemaVersion", `unsupported schemaVersion "closeout.snapshot/v2"`},
		{"wrong type", replace(`"accountEnabled": true`, `"accountEnabled": "yes"`), lineOf(`"accountEnabled"`), "/user/accountEnabled", "got string, want null or boolean"},
		{"bad time", replace(`"collectedAt": "2026-11-23T10:00:00Z"`, `"collectedAt": "yesterday"`), lineOf(`"collectedAt"`), "/collectedAt", "date-time"},
		{"bad coverage status", replace(`"roles": {
      "status": "collected"`, `"roles": {
      "status": "maybe"`), lineOf(`"roles": {
      "status"`) + 1, "/coverage/roles/status", "maybe"},
		{"missing upn", replace(`"userPrincipalName": "bob@contoso.com",`, ``), lineOf(`"user": {`), "/user", "userPrincipalName"},
		{"array element", replace(`"type": "microsoftAuthenticator"`, `"type": "carrierPigeon"`), lineOf(`"type": "microsoftAuthenticator"`), "/authMethods/1/type", "carrierPigeon"},
		// A number no float64 holds would turn every finding into an error:
		// refused here, with its place, even in a field nobody reads.
		{"huge number in unknown field", replace(`"schemaVersion": "closeout.snapshot/v1",`, `"schemaVersion": "closeout.snapshot/v1", "x": 1e100000,`), 2, "/x", "outside the range"},
		{"huge number in an array", replace(`"otherMails": []`, `"otherMails": [], "extra": [1, -2e400]`), lineOf(`"otherMails": []`), "/user/extra/1", "-2e400"},
		{"trailing data", append(append([]byte{}, valid...), []byte("{}")...), 0, "", "unexpected data after"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tc.data, "snap.json", 1, DefaultLimits)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if se.File != "snap.json" || !strings.Contains(se.Reason, tc.contains) {
				t.Errorf("err = %q, want file snap.json and reason containing %q", err, tc.contains)
			}
			if tc.line > 0 && se.Line != tc.line {
				t.Errorf("line = %d, want %d (%v)", se.Line, tc.line, err)
			}
			if se.Pointer != tc.pointer {
				t.Errorf("pointer = %q, want %q", se.Pointer, tc.pointer)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// The line numbers in the table above depend on the real offsets; make
// sure one of them is not trivially 1.
func TestErrorLineIsReal(t *testing.T) {
	valid := scenario(t, "compromised-remediated.json")
	bad := bytes.Replace(valid, []byte(`"errorCode": 0`), []byte(`"errorCode": "0"`), 1)
	_, err := Parse(bad, "x.json", 1, DefaultLimits)
	var se *Error
	if !errors.As(err, &se) || se.Line < 50 || se.Pointer != "/signIns/0/errorCode" {
		t.Fatalf("err = %v", err)
	}
	if want := "x.json:"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
}

func TestDepthLimit(t *testing.T) {
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	for _, data := range []string{deep, `{"schemaVersion": "closeout.snapshot/v1", "x": ` + deep + `}`} {
		_, err := Parse([]byte(data), "deep.json", 1, DefaultLimits)
		if err == nil || !strings.Contains(err.Error(), "nesting deeper than 64") {
			t.Errorf("err = %v", err)
		}
	}
	// Brackets inside strings are not nesting.
	valid := scenario(t, "clean-hardened.json")
	tricky := bytes.Replace(valid, []byte(`"Alice Example"`), []byte(`"`+strings.Repeat(`[{\"`, 100)+`"`), 1)
	if _, err := Parse(tricky, "ok.json", 1, DefaultLimits); err != nil {
		t.Errorf("brackets in a string counted as nesting: %v", err)
	}
}

func TestSizeLimit(t *testing.T) {
	limits := Limits{MaxDocumentBytes: 1 << 20, MaxDepth: 64}
	big := append([]byte(`{"schemaVersion": "closeout.snapshot/v1", "pad": "`), bytes.Repeat([]byte("x"), 3<<20)...)
	big = append(big, []byte("\"}\n")...)
	pretty := append([]byte("{\n"), big[1:]...)
	for name, data := range map[string][]byte{"one line": big, "pretty": pretty} {
		r := NewReader(bytes.NewReader(data), "big.json", limits)
		_, err := r.Next()
		if err == nil || !strings.Contains(err.Error(), "over the 1.0 MiB limit") {
			t.Errorf("%s: err = %v", name, err)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Errorf("%s: after a whole-file error, Next = %v, want EOF", name, err)
		}
	}
}

func TestJSONLines(t *testing.T) {
	a := compact(t, scenario(t, "clean-hardened.json"))
	b := compact(t, scenario(t, "compromised-remediated.json"))
	var in bytes.Buffer
	in.Write(a)
	in.WriteString("\n\n")                     // blank line: skipped
	in.WriteString("{\"schemaVersion\": 1}\n") // line 3: invalid
	in.Write(b)                                // line 4, no trailing newline
	r := NewReader(&in, "<stdin>", DefaultLimits)
	d1, err := r.Next()
	if err != nil || d1.Subject() != "alice@contoso.com" || d1.Line != 1 {
		t.Fatalf("first: %v %v", d1, err)
	}
	_, err = r.Next()
	var se *Error
	if !errors.As(err, &se) || se.Line != 3 {
		t.Fatalf("third line: err = %v, want an error on line 3", err)
	}
	d2, err := r.Next()
	if err != nil || d2.Subject() != "bob@contoso.com" || d2.Line != 4 || d2.Source() != "<stdin>:4" {
		t.Fatalf("fourth line: %+v %v", d2, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

func TestJSONLinesLongLineIsSkippedNotFatal(t *testing.T) {
	a := compact(t, scenario(t, "clean-hardened.json"))
	limits := Limits{MaxDocumentBytes: len(a) + 10, MaxDepth: 64}
	var in bytes.Buffer
	in.Write(a)
	in.WriteString("\n{\"pad\": \"" + strings.Repeat("y", 3*len(a)) + "\"}\n")
	in.Write(a)
	in.WriteString("\n")
	r := NewReader(&in, "many.jsonl", limits)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "many.jsonl:2: line is over") {
		t.Fatalf("err = %v", err)
	}
	if d, err := r.Next(); err != nil || d.Line != 3 {
		t.Fatalf("after long line: %v %v", d, err)
	}
}

func TestOpen(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing.json"), nil, DefaultLimits); err == nil || !strings.Contains(err.Error(), "missing.json: no such file") {
		t.Errorf("missing: %v", err)
	}
	if _, err := Open(t.TempDir(), nil, DefaultLimits); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("dir: %v", err)
	}
	empty := writeTemp(t, "empty.json", nil)
	r, err := Open(empty, nil, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "empty.json: file is empty") {
		t.Errorf("empty: %v", err)
	}
	// A .jsonl file is read line by line even when its first line is bad.
	p := writeTemp(t, "x.jsonl", append([]byte("{not json\n"), append(compact(t, scenario(t, "clean-hardened.json")), '\n')...))
	r, _ = Open(p, nil, DefaultLimits)
	if _, err := r.Next(); err == nil {
		t.Error("bad first line accepted")
	}
	if d, err := r.Next(); err != nil || d.Line != 2 {
		t.Errorf("second line: %v %v", d, err)
	}
	// "-" is stdin.
	r, _ = Open("-", bytes.NewReader(scenario(t, "clean-hardened.json")), DefaultLimits)
	if d, err := r.Next(); err != nil || d.File != "<stdin>" {
		t.Errorf("stdin: %v %v", d, err)
	}
}

func TestUnknownFieldsKept(t *testing.T) {
	valid := scenario(t, "clean-hardened.json")
	data := bytes.Replace(valid, []byte(`"schemaVersion"`), []byte(`"zeta": 1, "alpha": {"x": 1}, "schemaVersion"`), 1)
	d, err := Parse(data, "x.json", 1, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.UnknownFields, ",") != "alpha,zeta" {
		t.Errorf("unknown fields = %v", d.UnknownFields)
	}
	if d.Value["alpha"] == nil {
		t.Error("unknown field dropped from the document")
	}
}

func TestDigestIsOfBytes(t *testing.T) {
	valid := scenario(t, "clean-hardened.json")
	a, _ := Parse(valid, "a", 1, DefaultLimits)
	b, _ := Parse(bytes.Replace(valid, []byte("  "), []byte("   "), 1), "b", 1, DefaultLimits)
	if a.SHA256 == b.SHA256 {
		t.Error("different bytes, same digest")
	}
}
