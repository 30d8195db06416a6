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
