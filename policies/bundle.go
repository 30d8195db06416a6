package policies

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/closeout-dev/closeout/internal/inputfile"
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
	prefix := path.Clean(filepath.ToSlash(dir))
	files, err := readTree(dir, prefix, false)
	if err != nil {
		return err
	}
	for _, f := range files {
		rel := strings.TrimPrefix(f.name, prefix+"/")
		b.Modules = append(b.Modules, bundle.ModuleFile{URL: "/" + rel, Path: "/" + rel, Raw: f.src})
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

// Bounds of a bundle, checked while reading it, before OPA holds any of
// it: what it may weigh compressed, in all unpacked, per file, and how
// many files it may hold.
const (
	maxBundleUnpacked   = 64 << 20
	maxBundleFileBytes  = 4 << 20
	maxBundleEntries    = 10000
	maxBundleCompressed = maxBundleBytes
)

// BundleSource says where a library from a bundle came from, for the
// results: its digest, its revision, and whether a signature was checked.
type BundleSource struct {
	File     string
	SHA256   string
	Revision string
	Signed   bool // it holds a .signatures.json
	Verified bool // that signature was checked against a key and covers every file
	KeyID    string
}

// readBundle reads the policies of an OPA bundle as the library. Its size
// is checked first, unpacking it once as a stream (a bundle of a few MB
// gzipped may unpack to GB); then OPA reads it: the manifest's roots must
// hold every package, and with verify the signature must cover every
// file.
func readBundle(file string, verify *Verification) ([]moduleFile, *BundleSource, error) {
	raw, err := inputfile.Read(file, maxBundleCompressed) // a regular file only, never waiting on a FIFO
	if err != nil {
		return nil, nil, &LoadError{File: file, Reason: err.Error()}
	}
	signed, err := checkBundleSize(raw)
	if err != nil {
		return nil, nil, &LoadError{File: file, Reason: err.Error()}
	}
	sum := sha256.Sum256(raw)
	src := &BundleSource{File: file, SHA256: hex.EncodeToString(sum[:]), Signed: signed}
	r := bundle.NewReader(bytes.NewReader(raw)).WithSizeLimitBytes(maxBundleFileBytes).WithProcessAnnotations(true)
	if verify != nil {
		if err := regularFile(verify.KeyFile); err != nil {
			return nil, nil, err
		}
		id := verify.KeyID
		if id == "" {
			id = "default"
		}
		kc, err := keys.NewKeyConfig(verify.KeyFile, verify.Algorithm, "")
		if err != nil {
			return nil, nil, &LoadError{File: verify.KeyFile, Reason: "not a verification key: " + err.Error()}
		}
		r = r.WithBundleVerificationConfig(bundle.NewVerificationConfig(map[string]*bundle.KeyConfig{id: kc}, id, "", nil))
		src.KeyID = id
	} else {
		r = r.WithSkipBundleVerification(true)
	}
	b, err := r.Read()
	if err != nil {
		return nil, nil, &LoadError{File: file, Reason: "not a valid bundle: " + oneLine(err.Error())}
	}
	src.Verified = verify != nil
	src.Revision = b.Manifest.Revision
	if b.Manifest.Roots == nil || len(*b.Manifest.Roots) == 0 || slicesHasEmpty(*b.Manifest.Roots) {
		return nil, nil, &LoadError{File: file, Reason: "the manifest must name its roots (closeout, custom): a bundle without roots claims all of data"}
	}
	var files []moduleFile
	for _, m := range b.Modules {
		files = append(files, moduleFile{name: path.Join("policies", strings.TrimPrefix(m.Path, "/")), src: m.Raw})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files, src, nil
}

// checkBundleSize unpacks a gzipped tar as a stream, holding nothing,
// and refuses it past the bounds; it says whether it holds a signature.
func checkBundleSize(raw []byte) (signed bool, err error) {
	gz, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return false, fmt.Errorf("not a gzipped bundle: %v", err)
	}
	tr := tar.NewReader(gz)
	var total int64
	for entries := 0; ; entries++ {
		h, err := tr.Next()
		if err == io.EOF {
			return signed, nil
		}
		if err != nil {
			return false, fmt.Errorf("not a valid bundle: %v", err)
		}
		if entries == maxBundleEntries {
			return false, fmt.Errorf("holds more than %d files", maxBundleEntries)
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeDir {
			return false, fmt.Errorf("%s is not a regular file (a link or a device in a bundle is refused)", h.Name)
		}
		n, err := io.Copy(io.Discard, io.LimitReader(tr, maxBundleFileBytes+1))
		if err != nil {
			return false, fmt.Errorf("not a valid bundle: %v", err)
		}
		if n > maxBundleFileBytes {
			return false, fmt.Errorf("%s unpacks to more than %d MiB", h.Name, maxBundleFileBytes>>20)
		}
		if total += n; total > maxBundleUnpacked {
			return false, fmt.Errorf("unpacks to more than %d MiB in all", maxBundleUnpacked>>20)
		}
		if path.Base(h.Name) == ".signatures.json" {
			signed = true
		}
	}
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
