package policies

import (
	"github.com/closeout-dev/closeout/internal/testtool"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/closeout-dev/closeout/results"
)

func TestCustomPolicyLoadErrors(t *testing.T) {
	cases := []struct {
		name, src, wantErr string
	}{
		{"no metadata", "package custom.c\n\ndeny contains \"x\" if input.user\n", "no package-scope METADATA"},
		{"no id", strings.Replace(testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]"), "#   id: X-1\n", "", 1) + "package custom.c\n\ndeny contains \"x\" if input.user\n", "no custom.id"},
		{"duplicate id", testtool.PolicyHeader("CO-MFA-001", "custom-x", "[user]", "[posture]") + "package custom.c\n\ndeny contains \"x\" if input.user\n", "CO-MFA-001 is already used"},
		{"bad severity", strings.Replace(testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]"), "severity: high", "severity: urgent", 1) + "package custom.c\n\ndeny contains \"x\" if input.user\n", "unknown severity"},
		{"bad checklist", testtool.PolicyHeader("X-1", "sessions-nuked", "[user]", "[posture]") + "package custom.c\n\ndeny contains \"x\" if input.user\n", "not a checklist key"},
		{"bad section", testtool.PolicyHeader("X-1", "custom-x", "[mailbox]", "[posture]") + "package custom.c\n\ndeny contains \"x\" if input.user\n", "unknown section \"mailbox\""},
		{"bad mode", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[always]") + "package custom.c\n\ndeny contains \"x\" if input.user\n", "unknown mode"},
		{"no modes", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[]") + "package custom.c\n\ndeny contains \"x\" if input.user\n", "modes is empty"},
		{"http.send", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]") + "package custom.c\n\ndeny contains \"x\" if http.send({\"method\": \"get\", \"url\": \"http://127.0.0.1/\"})\n", "http.send is not allowed in closeout policies: network I/O"},
		{"net lookup", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]") + "package custom.c\n\ndeny contains \"x\" if net.lookup_ip_addr(\"example.com\")\n", "net.lookup_ip_addr is not allowed in closeout policies"},
		{"opa.runtime", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]") + "package custom.c\n\ndeny contains x if x := opa.runtime().env\n", "opa.runtime is not allowed in closeout policies"},
		{"time.now_ns", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]") + "package custom.c\n\ndeny contains \"x\" if time.now_ns() > 0\n", "time.now_ns is not allowed in closeout policies"},
		{"strict unused local", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]") + "package custom.c\n\ndeny contains \"x\" if {\n\ty := 1\n\tinput.user\n}\n", "assigned var y unused"},
		{"syntax", "package custom.c\n\ndeny contains if {\n", "rego_parse_error"},
		{"javascript reference", strings.Replace(testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]"), "# custom:\n", "# related_resources:\n#   - ref: javascript:alert(14)\n# custom:\n", 1) + "package custom.c\n\ndeny contains \"x\" if input.user\n", `ref "javascript:alert(14)" is not an https URL`},
		{"http reference", strings.Replace(testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]"), "# custom:\n", "# related_resources:\n#   - ref: http://intranet/runbook\n# custom:\n", 1) + "package custom.c\n\ndeny contains \"x\" if input.user\n", "not an https URL"},
		{"unknown placeholder", strings.Replace(testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]"), "Fix {user}.", "Fix {user:sql}.", 1) + "package custom.c\n\ndeny contains \"x\" if input.user\n", "placeholder {user:sql}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			testtool.WritePolicy(t, dir, "c.rego", tc.src)
			_, err := Load(ctx, Options{Dirs: []string{dir}})
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), dir) && tc.name != "duplicate id" {
				t.Errorf("error %q does not name the file under %s", err, dir)
			}
		})
	}
}

func TestCustomPolicyDirMissing(t *testing.T) {
	_, err := Load(ctx, Options{Dirs: []string{filepath.Join(t.TempDir(), "nope")}})
	if err == nil || !strings.Contains(err.Error(), "cannot read policy directory") {
		t.Fatalf("err = %v", err)
	}
}

// Every status the engine produces, from one custom policy set.
func TestCustomPolicyStatuses(t *testing.T) {
	dir := t.TempDir()
	testtool.WritePolicy(t, dir, "warn.rego", testtool.PolicyHeader("X-WARN", "custom-x", "[user]", "[incident, posture]")+
		"package custom.warn\n\nwarn contains {\"msg\": \"careful\", \"upn\": input.user.userPrincipalName} if input.user\n")
	testtool.WritePolicy(t, dir, "manual.rego", testtool.PolicyHeader("X-MANUAL", "user-notified", "[]", "[incident]")+
		"package custom.manual\n\nmanual contains \"call the user\" if input.incident\n")
	testtool.WritePolicy(t, dir, "posture_only.rego", testtool.PolicyHeader("X-POSTURE", "custom-x", "[user]", "[posture]")+
		"package custom.posture\n\ndeny contains \"posture\" if input.user\n")
	testtool.WritePolicy(t, dir, "conflict.rego", testtool.PolicyHeader("X-ERROR", "custom-x", "[user]", "[incident, posture]")+
		"package custom.conflict\n\nv := input.user.userPrincipalName\n\nv := input.user.id\n\ndeny contains \"never\" if v == \"\"\n")
	testtool.WritePolicy(t, dir, "unknown.rego", testtool.PolicyHeader("X-UNKNOWN", "custom-x", "[user]", "[incident, posture]")+
		"package custom.unknown\n\nunknown contains \"riskState is null\" if input.user\n\nwarn contains \"outranked\" if input.user\n")
	testtool.WritePolicy(t, dir, "failunknown.rego", testtool.PolicyHeader("X-FAIL-OVER-UNKNOWN", "custom-x", "[user]", "[incident, posture]")+
		"package custom.failunknown\n\nunknown contains \"cannot tell\" if input.user\n\ndeny contains \"proof\" if input.user\n")
	testtool.WritePolicy(t, dir, "plain.rego", testtool.PolicyHeader("X-STRING", "custom-x", "[user]", "[incident, posture]")+
		"package custom.plain\n\ndeny contains \"plain string result\" if input.user\n")
	set, err := Load(ctx, Options{Dirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	sub := set.Evaluate(ctx, loadDoc(t, filepath.Join("..", "testdata", "snapshots", "compromised-remediated.json")))
	got := statuses(sub)
	want := map[string]results.Status{
		"X-WARN": results.Warn, "X-MANUAL": results.Manual, "X-ERROR": results.Error, "X-STRING": results.Fail,
		// unknown: a value the policy needs is missing; it outranks warn
		// and manual, and a deny's proof outranks it.
		"X-UNKNOWN": results.Unknown, "X-FAIL-OVER-UNKNOWN": results.Fail,
		// The embedded library is still evaluated beside the custom policies,
		// and an error in one policy does not spoil the others.
		"CO-SESS-001": results.Pass, "CO-PWD-002": results.Pass,
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: got %q, want %q", id, got[id], w)
		}
	}
	if _, ok := got["X-POSTURE"]; ok {
		t.Errorf("posture-only policy reported on an incident snapshot")
	}
	for _, f := range sub.Findings {
		switch f.PolicyID {
		case "X-ERROR":
			if !strings.Contains(f.Message, "conflict") {
				t.Errorf("error finding does not say why: %q", f.Message)
			}
		case "X-WARN":
			v := f.Evidence["violations"].([]map[string]any)[0]
			if v["upn"] != "bob@contoso.com" || v["msg"] != "careful" {
				t.Errorf("warn evidence = %v", v)
			}
		case "X-STRING":
			if f.Message != "plain string result" {
				t.Errorf("conftest-style string result message = %q", f.Message)
			}
		case "X-MANUAL":
			if f.Remediation != "Fix 'bob@contoso.com'." { // {user} is a PowerShell literal wherever it stands
				t.Errorf("remediation = %q", f.Remediation)
			}
		}
	}
	posture := set.Evaluate(ctx, loadDoc(t, filepath.Join("..", "testdata", "snapshots", "clean-hardened.json")))
	if got := statuses(posture); got["X-POSTURE"] != results.Fail || got["X-MANUAL"] != "" {
		t.Errorf("posture statuses = %v", got)
	}
}

// A custom policy that reads a section it forgot to require is unknown,
// not passing, when that section was not collected: closeout requires
// what a policy reads, whatever its METADATA lists.
func TestCustomPolicyRequiresWhatItReads(t *testing.T) {
	dir := t.TempDir()
	testtool.WritePolicy(t, dir, "forgot.rego", testtool.PolicyHeader("X-FORGOT", "custom-x", "[user]", "[incident, posture]")+
		"package custom.forgot\n\ndeny contains \"a rule forwards\" if {\n\tsome rule in input.mailbox.inboxRules\n\tcount(rule.actions.forwardTo) > 0\n}\n")
	set, err := Load(ctx, Options{Dirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range set.Policies {
		if p.ID == "X-FORGOT" && !slices.Equal(p.Requires, []string{"user", "mailbox.inboxRules"}) {
			t.Errorf("requires %v, want user and the section it reads", p.Requires)
		}
	}
	sub := set.Evaluate(ctx, loadDoc(t, filepath.Join("..", "testdata", "snapshots", "mailbox-forbidden.json")))
	if got := statuses(sub)["X-FORGOT"]; got != results.Unknown {
		t.Errorf("with the mailbox forbidden: %q, want unknown", got)
	}
}

// The digest changes with any policy byte, and not otherwise.
func TestDigest(t *testing.T) {
	a, b := loadEmbedded(t), loadEmbedded(t)
	if a.Digest != b.Digest || !strings.HasPrefix(a.Digest, "sha256:") {
		t.Fatalf("digests %s %s", a.Digest, b.Digest)
	}
	dir := t.TempDir()
	testtool.WritePolicy(t, dir, "p.rego", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]")+"package custom.p\n\ndeny contains \"x\" if input.nope\n")
	c, err := Load(ctx, Options{Dirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	testtool.WritePolicy(t, dir, "p.rego", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]")+"package custom.p\n\ndeny contains \"y\" if input.nope\n")
	d, err := Load(ctx, Options{Dirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Digest == a.Digest || c.Digest == d.Digest {
		t.Errorf("digest did not change: %s %s %s", a.Digest, c.Digest, d.Digest)
	}
}
