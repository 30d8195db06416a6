package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/closeout-dev/closeout/policies"
	"github.com/closeout-dev/closeout/snapshot"
)

// A redacted corpus is judged exactly as the original, finding by
// finding, and holds none of the original's addresses, domains, IP
// addresses or the accounts' names.
func TestRedactedCorpusKeepsEveryVerdict(t *testing.T) {
	ctx := context.Background()
	set, err := policies.Load(ctx, policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "testdata", "corpus", "*.json"))
	if err != nil || len(files) < 100 {
		t.Fatalf("corpus: %d files (%v)", len(files), err)
	}
	r := NewRedactor([]byte("test key"))
	secrets := map[string]bool{}
	var redacted bytes.Buffer
	var originals []*snapshot.Document
	for _, f := range files {
		rd, err := snapshot.Open(f, nil, snapshot.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		for {
			doc, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			originals = append(originals, doc)
			collectSecrets(doc.Value, secrets)
			line, err := json.Marshal(r.Snapshot(doc.Value))
			if err != nil {
				t.Fatal(err)
			}
			redacted.Write(line)
			redacted.WriteByte('\n')
		}
		rd.Close()
	}
	out := redacted.String()
	for s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the redacted corpus still holds %q", s)
		}
	}
	rd, err := snapshot.Open("-", strings.NewReader(out), snapshot.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for i := 0; ; i++ {
		doc, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("redacted document %d: %v", i, err)
		}
		before, after := set.Evaluate(ctx, originals[i]), set.Evaluate(ctx, doc)
		if len(before.Findings) != len(after.Findings) {
			t.Fatalf("%s: %d findings, %d redacted", originals[i].Source(), len(before.Findings), len(after.Findings))
		}
		for j, f := range before.Findings {
			if g := after.Findings[j]; f.PolicyID != g.PolicyID || f.Status != g.Status {
				t.Errorf("%s: %s %s, redacted %s %s (%s)", originals[i].Source(), f.PolicyID, f.Status, g.PolicyID, g.Status, g.Message)
			}
			compared++
		}
	}
	if compared < 10000 {
		t.Errorf("compared %d findings", compared)
	}
}

// collectSecrets gathers what must not survive: the accounts' addresses
// and names, the tenants' domains, the sign-in addresses.
func collectSecrets(doc map[string]any, into map[string]bool) {
	if user, ok := doc["user"].(map[string]any); ok {
		for _, k := range []string{"userPrincipalName", "mail", "displayName"} {
			if v, ok := user[k].(string); ok && len(v) > 3 {
				into[v] = true
			}
		}
	}
	if tenant, ok := doc["tenant"].(map[string]any); ok {
		if list, ok := tenant["domains"].([]any); ok {
			for _, d := range list {
				into[d.(string)] = true
			}
		}
	}
	if list, ok := doc["signIns"].([]any); ok {
		for _, s := range list {
			if ip, ok := s.(map[string]any)["ipAddress"].(string); ok && ip != "" {
				into[`"`+ip+`"`] = true
			}
		}
	}
}
