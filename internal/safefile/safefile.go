// Package safefile opens the files closeout reads from and writes into
// directories it may not have made itself (scan directories, evidence,
// history) without following a link planted there: a path that is a
// symbolic link, a device, a pipe or a socket is refused by name, never
// opened through.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrNotRegular is returned for a path that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// Open opens path with flag (os.O_RDONLY, os.O_RDWR|os.O_CREATE, ...), as
// a regular file only: a symbolic link at path is refused, not followed,
// and so is anything but a regular file (opening a FIFO does not wait for
// a writer). A file it creates has mode 0600.
func Open(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|noFollow|nonBlock, 0o600)
	if err != nil {
		if isLoop(err) {
			return nil, refused(path, fs.ModeSymlink)
		}
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, refused(path, st.Mode())
	}
	return f, nil
}

// ReadFile reads the regular file at path (never through a link), of at
// most max bytes.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := Open(path, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(raw)) > max {
		err = fmt.Errorf("%s is over the %d KiB limit", path, max>>10)
	}
	return raw, err
}

// CreateNew creates path, which must not exist (not even as a dangling
// link), for writing (and reading back), mode 0600.
func CreateNew(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|noFollow, 0o600)
	if err != nil && errors.Is(err, fs.ErrExist) {
		if st, lerr := os.Lstat(path); lerr == nil && !st.Mode().IsRegular() {
			return nil, refused(path, st.Mode())
		}
	}
	return f, err
}

// Check refuses a path that exists and is not a regular file (a link, a
// device): for a file about to be replaced by a rename into place.
func Check(path string) error {
	st, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if !st.Mode().IsRegular() {
		return refused(path, st.Mode())
	}
	return nil
}

func refused(path string, mode fs.FileMode) error {
	kind := "not a regular file"
	switch {
	case mode&fs.ModeSymlink != 0:
		kind = "a symbolic link"
	case mode&fs.ModeNamedPipe != 0:
		kind = "a named pipe"
	case mode&fs.ModeDevice != 0:
		kind = "a device"
	case mode&fs.ModeSocket != 0:
		kind = "a socket"
	case mode.IsDir():
		kind = "a directory"
	}
	return fmt.Errorf("%s is %s: refused (closeout reads and writes regular files only, never through a link): %w", path, kind, ErrNotRegular)
}

// Atomic is a file written under a temporary name beside its path (mode
// 0600) and renamed into place by Finish only when complete, so a reader
// never sees half of it and a link at the path is replaced, never written
// through.
type Atomic struct {
	*os.File
	path    string
	inPlace bool
}

// CreateAtomic starts writing path. Whatever is at path now must be a
// regular file (or nothing); anything else is refused, except that with
// stream a device or a FIFO (/dev/stdout, a pipe the user named, or a link
// to one) is written in place: renaming over it would replace it with a
// plain file.
func CreateAtomic(path string, stream bool) (*Atomic, error) {
	if st, err := os.Lstat(path); err == nil && !st.Mode().IsRegular() {
		target, terr := os.Stat(path)
		if !stream || terr != nil || target.Mode().IsRegular() || target.IsDir() {
			return nil, refused(path, st.Mode())
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		return &Atomic{File: f, path: path, inPlace: true}, nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return &Atomic{File: tmp, path: path}, nil
}

// Finish closes the file and, when ok, renames it into place; otherwise
// (or when renaming fails) the temporary file is removed.
func (f *Atomic) Finish(ok bool) error {
	err := f.Close()
	if f.inPlace {
		return err
	}
	if ok && err == nil {
		if err = os.Rename(f.Name(), f.path); err == nil {
			return nil
		}
	}
	os.Remove(f.Name())
	return err
}

// WriteAtomic writes path whole through an Atomic file: a regular file of
// closeout's own, never a link or a device.
func WriteAtomic(path string, write func(*os.File) error) error {
	return Write(path, false, write)
}

// Write writes path whole through CreateAtomic(path, stream).
func Write(path string, stream bool, write func(*os.File) error) error {
	f, err := CreateAtomic(path, stream)
	if err != nil {
		return err
	}
	if err := write(f.File); err != nil {
		f.Finish(false)
		return err
	}
	return f.Finish(true)
}
