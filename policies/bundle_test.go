package policies

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTestBundle bundles the embedded library's sources (this directory)
// into dir/name, signed with the HMAC secret in key when key is not "".
func writeTestBundle(t *testing.T, dir, name, key string) string {
	t.Helper()
	var sign *Signing
	if key != "" {
		sign = &Signing{KeyFile: key, Algorithm: "HS256", KeyID: "ci"}
	}
	var buf bytes.Buffer
	if err := WriteBundle(&buf, ".", "test-1", sign); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// rewriteBundle copies a bundle, applying edit to each file's contents.
func rewriteBundle(t *testing.T, src, dst string, edit func(name string, body []byte) []byte) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if body = edit(h.Name, body); body == nil {
			continue
		}
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	tw.Close()
	zw.Close()
	if err := os.WriteFile(dst, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A bundle of the library loads as the library: the same policies and
// the same digest as the embedded copy.
func TestBundleRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := writeTestBundle(t, dir, "lib.tar.gz", "")
	set, err := Load(context.Background(), Options{Bundle: p})
	if err != nil {
		t.Fatal(err)
	}
	embedded := loadEmbedded(t)
	if len(set.Policies) != len(embedded.Policies) || set.Digest != embedded.Digest {
		t.Fatalf("bundle: %d policies, digest %s; embedded: %d, %s", len(set.Policies), set.Digest, len(embedded.Policies), embedded.Digest)
	}
}

// With a verification key, only a bundle signed by it and unchanged since
// loads; without one, a signed bundle loads like any other.
func TestBundleSignature(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "secret")
	other := filepath.Join(dir, "other")
	os.WriteFile(key, []byte("a shared secret for the test"), 0o600)
	os.WriteFile(other, []byte("another secret"), 0o600)
	signed := writeTestBundle(t, dir, "signed.tar.gz", key)
	unsigned := writeTestBundle(t, dir, "unsigned.tar.gz", "")
	tampered := filepath.Join(dir, "tampered.tar.gz")
	rewriteBundle(t, signed, tampered, func(name string, body []byte) []byte {
		if strings.HasSuffix(name, "identity/sessions_revoked.rego") {
			return bytes.Replace(body, []byte("deny contains"), []byte("ignored contains"), 1)
		}
		return body
	})
	verify := &Verification{KeyFile: key, Algorithm: "HS256", KeyID: "ci"}
	for _, c := range []struct {
		file   string
		verify *Verification
		want   string // "" loads
	}{
		{signed, verify, ""},
		{signed, nil, ""},
		{unsigned, nil, ""},
		{unsigned, verify, "signatures"},
		{tampered, verify, "digest mismatch"},
		{signed, &Verification{KeyFile: other, Algorithm: "HS256", KeyID: "ci"}, "signature"},
	} {
		_, err := Load(context.Background(), Options{Bundle: c.file, Verify: c.verify})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s (verify %v): %v", filepath.Base(c.file), c.verify != nil, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s (verify %v): got %v, want an error about %q", filepath.Base(c.file), c.verify != nil, err, c.want)
		case err != nil && !strings.Contains(err.Error(), filepath.Base(c.file)):
			t.Errorf("the error does not name the bundle: %v", err)
		}
	}
}

// RS256, the default: a bundle signed with a private key verifies with
// its public key and not with another's.
func TestBundleSignatureRS256(t *testing.T) {
	dir := t.TempDir()
	writeKey := func(name string) (priv, pub string) {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		priv, pub = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".pub.pem")
		os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600)
		os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
		return priv, pub
	}
	priv, pub := writeKey("ours")
	_, theirs := writeKey("theirs")
	var buf bytes.Buffer
	if err := WriteBundle(&buf, ".", "rs-1", &Signing{KeyFile: priv}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "signed.tar.gz")
	os.WriteFile(p, buf.Bytes(), 0o600)
	if _, err := Load(context.Background(), Options{Bundle: p, Verify: &Verification{KeyFile: pub, Algorithm: "RS256", KeyID: "default"}}); err != nil {
		t.Fatalf("verified with its own key: %v", err)
	}
	if _, err := Load(context.Background(), Options{Bundle: p, Verify: &Verification{KeyFile: theirs, Algorithm: "RS256", KeyID: "default"}}); err == nil {
		t.Fatal("verified with another key")
	}
}
