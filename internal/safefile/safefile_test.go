package safefile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A directory is written by one closeout at a time: a second process is
// refused with a message naming the first; the same process may take it
// again (a command and the scan it runs), and the last Unlock frees it.
func TestLockOneProcessAtATime(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("directories are not locked on Windows")
	}
	if os.Getenv("SAFEFILE_LOCK_CHILD") != "" {
		_, err := Lock(os.Getenv("SAFEFILE_LOCK_CHILD"))
		if err == nil {
			os.Exit(0)
		}
		os.Stderr.WriteString(err.Error())
		if errors.Is(err, ErrLocked) {
			os.Exit(3)
		}
		os.Exit(1)
	}
	dir := t.TempDir()
	other := func() (int, string) {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestLockOneProcessAtATime$")
		cmd.Env = append(os.Environ(), "SAFEFILE_LOCK_CHILD="+dir)
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), string(out)
	}
	a, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Lock(dir)
	if err != nil {
		t.Fatalf("the process holding a directory could not take it again: %v", err)
	}
	if code, out := other(); code != 3 || !strings.Contains(out, "pid ") {
		t.Fatalf("a second process: exit %d, %q; want refused naming the holder", code, out)
	}
	a.Unlock()
	if code, _ := other(); code != 3 {
		t.Fatalf("released while still held once: exit %d", code)
	}
	b.Unlock()
	if code, out := other(); code != 0 {
		t.Fatalf("not released after the last Unlock: exit %d, %s", code, out)
	}
}

// Files closeout names in its directories are never opened through a
// link, a FIFO never blocks the open, and an atomic write replaces what is
// there only when it is a regular file.
func TestNothingIsFollowed(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("precious"), 0o600)
	link := filepath.Join(dir, "tenant.json")
	if err := os.Symlink(victim, link); err != nil {
		t.Skip("no symbolic links:", err)
	}
	if _, err := Open(link, os.O_RDWR); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Open through a link: %v", err)
	}
	if _, err := ReadFile(link, 100); !errors.Is(err, ErrNotRegular) {
		t.Errorf("ReadFile through a link: %v", err)
	}
	if err := WriteAtomic(link, func(f *os.File) error { _, err := f.WriteString("x"); return err }); !errors.Is(err, ErrNotRegular) {
		t.Errorf("WriteAtomic over a link: %v", err)
	}
	if _, err := CreateAtomic(link, true); !errors.Is(err, ErrNotRegular) {
		t.Errorf("a link to a regular file is refused even for a stream: %v", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the link's target changed: %q", b)
	}
	if runtime.GOOS != "windows" {
		fifo := filepath.Join(dir, "fifo")
		if err := exec.Command("mkfifo", fifo).Run(); err == nil {
			if _, err := Open(fifo, os.O_RDONLY); !errors.Is(err, ErrNotRegular) {
				t.Errorf("Open of a FIFO: %v", err)
			}
			if err := WriteAtomic(fifo, func(*os.File) error { return nil }); !errors.Is(err, ErrNotRegular) {
				t.Errorf("WriteAtomic over a FIFO: %v", err)
			}
		}
	}
	plain := filepath.Join(dir, "plain.json")
	for _, body := range []string{"one", "two"} {
		if err := WriteAtomic(plain, func(f *os.File) error { _, err := f.WriteString(body); return err }); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(plain); string(b) != "two" {
		t.Errorf("plain file = %q", b)
	}
	if st, _ := os.Stat(plain); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
}
