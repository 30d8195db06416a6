package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"

	"github.com/closeout-dev/closeout/collectors/graph"
	"github.com/closeout-dev/closeout/internal/inputfile"
	"github.com/closeout-dev/closeout/scan"
	"go.yaml.in/yaml/v3"
)

// tenantEntry is one tenant of --tenants. Secrets are never in the file:
// it names the environment variable that holds one, or a certificate file.
type tenantEntry struct {
	ID              string `yaml:"id"`
	Label           string `yaml:"label"`
	ClientID        string `yaml:"clientId"`
	CertificatePath string `yaml:"certificatePath"`
	SecretEnv       string `yaml:"secretEnv"`
	TokenEnv        string `yaml:"tokenEnv"` // a static token (a fake tenant, a broker)
	GraphURL        string `yaml:"graphUrl"`
	ExchangeURL     string `yaml:"exchangeUrl"`
	Cloud           string `yaml:"cloud"`
}

var labelPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// readTenants reads and checks a --tenants file.
func readTenants(path string) ([]tenantEntry, error) {
	raw, err := inputfile.Read(path, inputfile.MaxBytes)
	if err != nil {
		return nil, usageErrorf("--tenants %s: %v", path, err)
	}
	var doc struct {
		Tenants []tenantEntry `yaml:"tenants"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true) // a "clientSecret:" key is refused, never read
	if err := dec.Decode(&doc); err != nil {
		line, reason := inputfile.YAMLError(err)
		return nil, usageErrorf("--tenants %s:%d: %s (secrets are never in the file: name them with secretEnv or tokenEnv)", path, line, reason)
	}
	if len(doc.Tenants) == 0 {
		return nil, usageErrorf("--tenants %s lists no tenant", path)
	}
	seen := map[string]bool{}
	for i, t := range doc.Tenants {
		where := fmt.Sprintf("--tenants %s: tenant %d", path, i+1)
		switch {
		case t.ID == "":
			return nil, usageErrorf("%s has no id", where)
		case !labelPattern.MatchString(t.Label):
			return nil, usageErrorf("%s: label %q must be letters, digits, dots, dashes or underscores (it names its directory)", where, t.Label)
		case seen[t.Label]:
			return nil, usageErrorf("%s: label %q is used twice", where, t.Label)
		case t.TokenEnv == "" && (t.ClientID == "" || (t.CertificatePath == "") == (t.SecretEnv == "")):
			return nil, usageErrorf("%s (%s): give clientId with either certificatePath or secretEnv, or tokenEnv", where, t.Label)
		}
		seen[t.Label] = true
	}
	return doc.Tenants, nil
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
	var mu sync.Mutex
	var failed []string
	var scanned []string
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
				// Several tenants' live bars would overwrite one another:
				// plain lines, each with its tenant's label.
				plain := *opts.IO
				plain.ErrTTY = false
				tso.Progress = progressPrinter(&plain, t.Label)
				err = scanTenant(opts, &conn, tso, t.Label)
			}
			mu.Lock()
			defer mu.Unlock()
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
			return fmt.Errorf("tokenEnv %s is not set", t.TokenEnv)
		}
		return nil
	}
	secret := ""
	if t.SecretEnv != "" {
		if secret = os.Getenv(t.SecretEnv); secret == "" {
			return fmt.Errorf("secretEnv %s is not set", t.SecretEnv)
		}
	}
	cred, err := graph.NewAppCredential(conn.Cloud, t.ID, t.ClientID, secret, t.CertificatePath)
	if err != nil {
		return err
	}
	conn.credential = cred
	return nil
}
