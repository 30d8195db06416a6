package policies

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"github.com/closeout-dev/closeout/internal/testtool"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A custom directory named policies holding mail/legacy_protocols.rego
// once replaced the built-in module of that name (CO-PROTO-001 vanished and
// a failing account passed). Now it is refused, naming both.
func TestCustomFileNeverShadowsTheLibrary(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	testtool.WritePolicy(t, "policies", "mail/legacy_protocols.rego", "# METADATA\n# custom:\n#   library: true\npackage custom.helpers\n\nok := true\n")
	_, err := Load(ctx, Options{Dirs: []string{"policies"}})
	if err == nil || !strings.Contains(err.Error(), "policies/mail/legacy_protocols.rego: has the name of the library's module policies/mail/legacy_protocols.rego") {
		t.Fatalf("a custom file named as a library module: %v", err)
	}
	// Under another directory name the same helper loads beside the library.
	os.Rename("policies", "mine")
	set, err := Load(ctx, Options{Dirs: []string{"mine"}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range set.Policies {
		found = found || p.ID == "CO-PROTO-001"
	}
	if !found {
		t.Error("CO-PROTO-001 is missing")
	}
}

// A link or a device in a policy directory (or the library directory a
// policy diff reads, or one handed to policy bundle) is refused by name;
// its target is never read, so no byte of it reaches an error.
func TestPolicyDirectoriesHoldRegularFilesOnly(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links")
	}
	secret := filepath.Join(t.TempDir(), "environ")
	os.WriteFile(secret, []byte("AZURE_CLIENT_SECRET=do-not-print-me"), 0o600)
	dir := t.TempDir()
	testtool.WritePolicy(t, dir, "ok.rego", testtool.PolicyHeader("X-1", "custom-x", "[user]", "[posture]")+"package custom.ok\n\ndeny contains \"x\" if input.user.accountEnabled == false\n")
	if err := os.Symlink(secret, filepath.Join(dir, "zz.rego")); err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func() error{
		"--policy-dir": func() error { _, err := Load(ctx, Options{Dirs: []string{dir}}); return err },
		"library dir":  func() error { _, err := Load(ctx, Options{LibraryDir: dir}); return err },
		"sources":      func() error { _, err := Sources(Options{Dirs: []string{dir}}); return err },
		"bundle":       func() error { return WriteBundle(&bytes.Buffer{}, dir, "r1", nil) },
	} {
		err := load()
		if err == nil || !strings.Contains(err.Error(), "zz.rego: is a symbolic link: refused") {
			t.Errorf("%s: %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "do-not-print-me") {
			t.Errorf("%s: the link's target is in the error", name)
		}
	}
	// A directory linked inside, likewise.
	dir2 := t.TempDir()
	os.Symlink(filepath.Dir(secret), filepath.Join(dir2, "sub"))
	if _, err := Load(ctx, Options{Dirs: []string{dir2}}); err == nil || !strings.Contains(err.Error(), "sub: is a symbolic link") {
		t.Errorf("a linked directory: %v", err)
	}
}

// bomb writes a gzipped tar whose files unpack to size bytes each, built
// from one compressed run of zeros repeated as gzip members (so the test
// does not compress gigabytes).
func bomb(t *testing.T, files int, size int64) string {
	t.Helper()
	var zeros bytes.Buffer
	chunk := min(size, 64<<20)
	zw, _ := gzip.NewWriterLevel(&zeros, gzip.BestSpeed)
	zw.Write(make([]byte, chunk))
	zw.Close()
	member := func(b []byte) []byte {
		var out bytes.Buffer
		w := gzip.NewWriter(&out)
		w.Write(b)
		w.Close()
		return out.Bytes()
	}
	var out bytes.Buffer
	for i := range files {
		var hdr bytes.Buffer
		tw := tar.NewWriter(&hdr)
		tw.WriteHeader(&tar.Header{Name: "f" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + ".rego", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
		tw.Flush()
		out.Write(member(hdr.Bytes()))
		for left := size; left > 0; left -= chunk {
			if left >= chunk {
				out.Write(zeros.Bytes())
			} else {
				out.Write(member(make([]byte, left)))
			}
		}
		if pad := (512 - size%512) % 512; pad > 0 {
			out.Write(member(make([]byte, pad)))
		}
	}
	out.Write(member(make([]byte, 1024))) // the end of the archive
	path := filepath.Join(t.TempDir(), "bomb.tar.gz")
	os.WriteFile(path, out.Bytes(), 0o600)
	return path
}

// A bundle is measured as a stream before anything holds it: 60 files of
// 60 MiB (a few MB gzipped; 3.7 GB was held before) and one file of 2 GiB
// are refused, allocating a few MB.
func TestBundleBombsAreRefusedSmall(t *testing.T) {
	for name, c := range map[string]struct {
		files int
		size  int64
		want  string
	}{
		"60 x 60 MiB":  {60, 60 << 20, "unpacks to more than 4 MiB"},
		"one of 2 GiB": {1, 2 << 30, "unpacks to more than 4 MiB"},
	} {
		t.Run(name, func(t *testing.T) {
			path := bomb(t, c.files, c.size)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := Load(ctx, Options{Bundle: path})
			runtime.ReadMemStats(&after)
			var le *LoadError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("the bomb: %v", err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 200<<20 {
				t.Errorf("refusing it allocated %d MiB", grew>>20)
			}
		})
	}
}
