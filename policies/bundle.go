package policies

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/keys"
)

// BundleRoots are the package roots a closeout bundle owns: the library
// and custom policies.
var BundleRoots = []string{"closeout", "custom"}

// maxBundleBytes bounds a bundle read from disk (compressed and each file).
const maxBundleBytes = 64 << 20

// Signing signs a bundle as `opa build --signing-key` does.
type Signing struct {
	KeyFile   string // a PEM private key, or the HMAC secret's file for HS256
	Algorithm string // RS256 by default
	KeyID     string
}

// WriteBundle writes the policies of dir (tests included, so that a
// bundle can be tested as it will run) as an OPA bundle: gzipped tar with
// a .manifest naming its revision and roots, and with sign a
// .signatures.json.
func WriteBundle(w io.Writer, dir, revision string, sign *Signing) error {
	b := bundle.Bundle{
		Manifest: bundle.Manifest{Revision: revision, Roots: &BundleRoots},
		Data:     map[string]any{},
	}
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		raw, err := fs.ReadFile(os.DirFS(dir), p)
		if err == nil {
			b.Modules = append(b.Modules, bundle.ModuleFile{URL: "/" + p, Path: "/" + p, Raw: raw})
		}
		return err
	})
	if err != nil {
		return &LoadError{File: dir, Reason: err.Error()}
	}
	if len(b.Modules) == 0 {
		return &LoadError{File: dir, Reason: "holds no .rego file"}
	}
	if sign != nil {
		if err := regularFile(sign.KeyFile); err != nil {
			return err
		}
		if err := b.GenerateSignature(bundle.NewSigningConfig(sign.KeyFile, sign.Algorithm, ""), sign.KeyID, false); err != nil {
			return fmt.Errorf("signing the bundle: %w", err)
		}
	}
	return bundle.NewWriter(w).DisableFormat(true).Write(b)
}

// Verification checks a signed bundle: its public key (or HMAC secret)
// file, algorithm and key id. With one given, an unsigned bundle or one
// whose files do not match its signature is refused.
type Verification struct {
	KeyFile   string
	Algorithm string
	KeyID     string
}

// readBundle reads the policies of an OPA bundle as the library, after
// OPA's own checks: the manifest's roots hold every package, and with
// verify the signature covers every file.
func readBundle(file string, verify *Verification) ([]moduleFile, error) {
	if err := regularFile(file); err != nil {
		return nil, err
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, &LoadError{File: file, Reason: err.Error()}
	}
	defer f.Close()
	r := bundle.NewReader(io.LimitReader(f, maxBundleBytes)).WithSizeLimitBytes(maxBundleBytes).WithProcessAnnotations(true)
	if verify != nil {
		if err := regularFile(verify.KeyFile); err != nil {
			return nil, err
		}
		id := verify.KeyID
		if id == "" {
			id = "default"
		}
		kc, err := keys.NewKeyConfig(verify.KeyFile, verify.Algorithm, "")
		if err != nil {
			return nil, &LoadError{File: verify.KeyFile, Reason: "not a verification key: " + err.Error()}
		}
		r = r.WithBundleVerificationConfig(bundle.NewVerificationConfig(map[string]*bundle.KeyConfig{id: kc}, id, "", nil))
	} else {
		r = r.WithSkipBundleVerification(true)
	}
	b, err := r.Read()
	if err != nil {
		return nil, &LoadError{File: file, Reason: "not a valid bundle: " + err.Error()}
	}
	if b.Manifest.Roots == nil || len(*b.Manifest.Roots) == 0 || slicesHasEmpty(*b.Manifest.Roots) {
		return nil, &LoadError{File: file, Reason: "the manifest must name its roots (closeout, custom): a bundle without roots claims all of data"}
	}
	var files []moduleFile
	for _, m := range b.Modules {
		files = append(files, moduleFile{name: path.Join("policies", strings.TrimPrefix(m.Path, "/")), src: m.Raw})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files, nil
}

func slicesHasEmpty(roots []string) bool {
	for _, r := range roots {
		if r == "" {
			return true
		}
	}
	return false
}

func regularFile(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return &LoadError{File: p, Reason: err.Error()}
	}
	if !st.Mode().IsRegular() {
		return &LoadError{File: p, Reason: "is not a regular file"}
	}
	return nil
}
