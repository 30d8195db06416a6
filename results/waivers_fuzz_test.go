package results

import (
	"strings"
	"testing"
)

// Whatever the bytes, the waiver parser returns waivers that each have an
// owner, a reason and an expiry, or an error naming the file; no panic.
func FuzzParseWaivers(f *testing.F) {
	f.Add([]byte("- policy: CO-PROTO-001\n  subject: bob@contoso.com\n  justification: x\n  approvedBy: y\n  expires: 2099-12-31\n"))
	f.Add([]byte("- {policy: &p CO-1, subject: '*@contoso.com', justification: *p, approvedBy: a, expires: 2099-12-31T00:00:00Z}\n"))
	f.Add([]byte("[{\"policy\": \"x\"}]"))
	f.Add([]byte("policy: x\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		w, err := ParseWaivers(raw, "w.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "w.yaml") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for _, wv := range w.Items {
			if wv.Policy == "" || wv.Subject == "" || strings.TrimSpace(wv.Justification) == "" || strings.TrimSpace(wv.ApprovedBy) == "" || wv.Expires.IsZero() {
				t.Fatalf("accepted a waiver with a part missing: %+v", wv)
			}
		}
	})
}
