package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/closeout-dev/closeout/collectors/exchange"
	"github.com/closeout-dev/closeout/collectors/graph"
	"github.com/closeout-dev/closeout/internal/inputfile"
	"github.com/closeout-dev/closeout/internal/suggest"
	"github.com/closeout-dev/closeout/scan"
	"go.yaml.in/yaml/v3"
)

// tenantEntry is one tenant of --tenants. Secrets are never in the file:
// it names the environment variable that holds one, or a certificate file.
type tenantEntry struct {
	ID              string
	Label           string
	ClientID        string
	CertificatePath string
	SecretEnv       string
	TokenEnv        string // a static token (a fake tenant, a broker)
	GraphURL        string
	ExchangeURL     string
	Cloud           string
	// TestEndpoint allows graphUrl and exchangeUrl that are not
	// Microsoft's: a credential is sent nowhere else otherwise.
	TestEndpoint bool
	line         int
}

// tenantKeys are the keys of one tenant, for errors and did-you-mean.
var tenantKeys = []string{"id", "label", "clientId", "certificatePath", "secretEnv", "tokenEnv", "graphUrl", "exchangeUrl", "cloud", "testEndpoint"}

var (
	labelPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
	envNamePatten = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
)

// readTenants reads and checks a --tenants file. Every problem is named by
// its line and key, in the file's words; a value that looks like a secret
// where a name belongs is never printed.
func readTenants(path string) ([]tenantEntry, error) {
	raw, err := inputfile.Read(path, inputfile.MaxBytes)
	if err != nil {
		return nil, usageErrorf("--tenants %s: %v", path, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		line, reason := inputfile.YAMLError(err)
		return nil, usageErrorf("--tenants %s:%d: not YAML: %s", path, line, reason)
	}
	var errs []error
	bad := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, args...)))
	}
	var list *yaml.Node
	if len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
		doc := root.Content[0]
		for i := 0; i+1 < len(doc.Content); i += 2 {
			if k := doc.Content[i]; k.Value == "tenants" {
				list = doc.Content[i+1]
			} else {
				bad(k.Line, "unknown key %q; the file lists tenants:", k.Value)
			}
		}
	}
	if list != nil && list.Kind != yaml.SequenceNode && len(errs) == 0 {
		return nil, usageErrorf("--tenants %s:%d: tenants: expected a list, one item a tenant (- id: <tenant id>, label:, clientId:, and secretEnv, tokenEnv or certificatePath)", path, list.Line)
	}
	if list == nil || list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		if len(errs) == 0 {
			return nil, usageErrorf("--tenants %s lists no tenant: it holds tenants:, a list of id, label and how to authenticate", path)
		}
		return nil, &exitError{code: exitInput, err: errors.Join(errs...)}
	}
	var out []tenantEntry
	seen := map[string]int{}
	for _, n := range list.Content {
		t, ok := parseTenant(n, bad)
		if !ok {
			continue
		}
		if first, dup := seen[t.Label]; dup {
			bad(n.Line, "label %q is used twice (first on line %d)", t.Label, first)
			continue
		}
		seen[t.Label] = n.Line
		out = append(out, t)
	}
	if len(errs) > 0 {
		return nil, &exitError{code: exitInput, err: errors.Join(errs...)}
	}
	return out, nil
}

func parseTenant(n *yaml.Node, bad func(int, string, ...any)) (tenantEntry, bool) {
	t := tenantEntry{line: n.Line}
	if n.Kind != yaml.MappingNode {
		bad(n.Line, "expected a tenant: id, label, and clientId with certificatePath or secretEnv, or tokenEnv")
		return t, false
	}
	ok := true
	fields := map[string]*string{"id": &t.ID, "label": &t.Label, "clientId": &t.ClientID, "certificatePath": &t.CertificatePath,
		"secretEnv": &t.SecretEnv, "tokenEnv": &t.TokenEnv, "graphUrl": &t.GraphURL, "exchangeUrl": &t.ExchangeURL, "cloud": &t.Cloud}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		text, scalar := inputfile.Scalar(value)
		if !scalar {
			bad(value.Line, "%s: expected a plain value, not a list or a mapping", key.Value)
			ok = false
			continue
		}
		if key.Value == "testEndpoint" {
			t.TestEndpoint = text == "true"
			continue
		}
		field, known := fields[key.Value]
		if !known {
			reason := fmt.Sprintf("unknown key %q", key.Value)
			if strings.Contains(strings.ToLower(key.Value), "secret") || strings.Contains(strings.ToLower(key.Value), "password") || strings.Contains(strings.ToLower(key.Value), "token") {
				reason += ": secrets are never in the file; name the environment variable that holds one with secretEnv (or tokenEnv), or give certificatePath"
			} else if near := suggest.Nearest(key.Value, tenantKeys); near != "" {
				reason += fmt.Sprintf("; did you mean %q?", near)
			} else {
				reason += "; a tenant has " + strings.Join(tenantKeys, ", ")
			}
			bad(key.Line, "%s (its value is not read)", reason)
			ok = false
			continue
		}
		*field = strings.TrimSpace(text)
	}
	where := "tenant " + t.Label
	if t.Label == "" {
		where = "this tenant"
	}
	for _, env := range []struct{ key, value string }{{"secretEnv", t.SecretEnv}, {"tokenEnv", t.TokenEnv}} {
		if env.value != "" && !envNamePatten.MatchString(env.value) {
			bad(n.Line, "%s: %s must name an environment variable (letters, digits and underscores); its value is not printed: was a secret pasted here?", where, env.key)
			ok = false
		}
	}
	switch {
	case t.ID == "":
		bad(n.Line, "%s has no id: the tenant's id (a GUID), which its credential must reach", where)
		ok = false
	case !labelPattern.MatchString(t.Label):
		bad(n.Line, "label %q must be letters, digits, dots, dashes or underscores (it names its directory)", t.Label)
		ok = false
	case t.TokenEnv == "" && (t.ClientID == "" || (t.CertificatePath == "") == (t.SecretEnv == "")):
		bad(n.Line, "%s: give clientId with either certificatePath or secretEnv, or tokenEnv", where)
		ok = false
	}
	cloud := t.Cloud
	if cloud == "" {
		cloud = "global"
	}
	if _, known := graph.Clouds[cloud]; !known {
		bad(n.Line, "%s: cloud %q: want one of global, usgov, usgovdod, china", where, t.Cloud)
		ok = false
	}
	for _, u := range []struct{ key, value, want string }{{"graphUrl", t.GraphURL, graph.Clouds[cloud].GraphURL}, {"exchangeUrl", t.ExchangeURL, exchange.Endpoints[cloud]}} {
		if u.value != "" && !t.TestEndpoint && !sameEndpoint(u.value, u.want) {
			bad(n.Line, "%s: %s %s is not Microsoft's endpoint for the %s cloud (%s): a credential is sent nowhere else unless the tenant says testEndpoint: true", where, u.key, u.value, cloud, u.want)
			ok = false
		}
	}
	// The certificate is read now, so that a file that is missing, too
	// large or not a regular file (a FIFO would hang every tenant's run)
	// stops the run before any tenant is scanned.
	if t.CertificatePath != "" {
		if _, err := inputfile.Read(t.CertificatePath, maxCertificateBytes); err != nil {
			bad(n.Line, "%s: certificatePath %s: %v", where, t.CertificatePath, err)
			ok = false
		}
	}
	return t, ok
}

// maxCertificateBytes bounds a certificate file (a PEM or PFX of a few KiB).
const maxCertificateBytes = 1 << 20

// sameEndpoint holds when raw is https on want's host: the Graph or
// Exchange Online endpoint of the tenant's cloud.
func sameEndpoint(raw, want string) bool {
	u, err := url.Parse(raw)
	w, werr := url.Parse(want)
	return err == nil && werr == nil && want != "" && u.Scheme == "https" && u.User == nil && strings.EqualFold(u.Host, w.Host)
}

// scanTenants scans every tenant of --tenants side by side, each into
// DIR/LABEL within its own budgets, then evaluates them together. A tenant
// that cannot be scanned (consent revoked, say) is reported and does not
// stop the others; the exit code is then 3, once the others are evaluated.
func scanTenants(opts *ScanOptions, so scan.Options) error {
	tenants, err := readTenants(opts.Tenants)
	if err != nil {
		return err
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	var mu sync.Mutex
	var failed []string
	var scanned []string
	finished := 0 // tenants whose scan had finished before (--resume)
	var wg sync.WaitGroup
	for _, t := range tenants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn := opts.Connection
			if t.GraphURL != "" {
				conn.GraphURL = t.GraphURL
			}
			if t.ExchangeURL != "" {
				conn.ExchangeURL = t.ExchangeURL
			}
			if t.Cloud != "" {
				conn.Cloud = t.Cloud
			}
			err := tenantCredential(&conn, t)
			if err == nil {
				tso := so
				tso.Dir = filepath.Join(opts.Dir, t.Label)
				if so.Since != nil {
					since := *so.Since
					since.Dir = filepath.Join(so.Since.Dir, t.Label) // each tenant builds on its own
					tso.Since = &since
				}
				tso.Tenant = t.ID
				// Several tenants' live bars would overwrite one another:
				// plain lines, each with its tenant's label.
				plain := *opts.IO
				plain.ErrTTY = false
				tso.Progress = progressPrinter(&plain, t.Label, opts.Check.Output.Quiet)
				err = scanTenant(opts, &conn, tso, t.Label)
			}
			mu.Lock()
			defer mu.Unlock()
			if errors.Is(err, errFinished) {
				finished++
				err = nil
			}
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s (%s): %v", t.Label, t.ID, err))
				return
			}
			scanned = append(scanned, t.Label)
		}()
	}
	wg.Wait()
	for _, f := range failed {
		fmt.Fprintf(opts.IO.ErrOut, "closeout: could not scan tenant %s\n", f)
	}
	if len(failed) == 0 && finished == len(tenants) {
		return nil // every tenant's scan had finished: nothing changed
	}
	if len(scanned) > 0 {
		var dirs []string // in the tenants file's order, whichever finished first
		for _, t := range tenants {
			if slices.Contains(scanned, t.Label) {
				dirs = append(dirs, filepath.Join(opts.Dir, t.Label))
			}
		}
		err := evaluateScanDirs(opts.Check, opts.Dir, dirs...)
		var ee *exitError
		if err != nil && !(errors.As(err, &ee) && ee.code == exitBlocking) {
			return err
		}
		if len(failed) == 0 {
			return err
		}
	}
	if len(scanned) == 0 {
		return &exitError{code: exitCollection, err: fmt.Errorf("none of the %d tenants could be scanned", len(tenants))}
	}
	return &exitError{code: exitCollection, err: fmt.Errorf("%d of %d tenants could not be scanned; the others' results are in %s", len(failed), len(tenants), filepath.Join(opts.Dir, "results.json"))}
}

// tenantCredential sets how to authenticate to one tenant.
func tenantCredential(conn *connectionFlags, t tenantEntry) error {
	if t.TokenEnv != "" {
		conn.Token = os.Getenv(t.TokenEnv)
		if conn.Token == "" {
			return fmt.Errorf("the environment variable tokenEnv names is not set")
		}
		return nil
	}
	secret := ""
	if t.SecretEnv != "" {
		if secret = os.Getenv(t.SecretEnv); secret == "" {
			return fmt.Errorf("the environment variable secretEnv names is not set")
		}
	}
	cred, err := graph.NewAppCredential(conn.Cloud, t.ID, t.ClientID, secret, t.CertificatePath)
	if err != nil {
		return err
	}
	conn.credential = cred
	return nil
}
