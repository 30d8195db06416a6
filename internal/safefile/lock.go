package safefile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LockName is the file in a directory that Lock holds.
const LockName = ".closeout.lock"

// ErrLocked is returned by Lock for a directory another process holds.
var ErrLocked = errors.New("in use by another closeout")

// DirLock is a directory held by this process: one writer at a time.
type DirLock struct{ key string }

// held are the directories this process holds, by absolute path, with how
// many Locks of each are not yet unlocked: a command holds its directory
// from start to end, and the scan it runs takes it again.
var (
	heldMu sync.Mutex
	held   = map[string]*heldLock{}
)

type heldLock struct {
	f     *os.File
	count int
}

// Lock takes dir for this process (an advisory lock on dir/.closeout.lock,
// released when the process ends, however it ends). A directory another
// closeout holds gives an error naming its process and since when; one
// this process holds already is held once more.
func Lock(dir string) (*DirLock, error) {
	key, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	heldMu.Lock()
	defer heldMu.Unlock()
	if h := held[key]; h != nil {
		h.count++
		return &DirLock{key: key}, nil
	}
	path := filepath.Join(dir, LockName)
	f, err := Open(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		holder := make([]byte, 128)
		n, _ := f.ReadAt(holder, 0)
		f.Close()
		who := strings.TrimSpace(string(holder[:n]))
		if who == "" {
			who = "another process"
		}
		return nil, fmt.Errorf("%s is %w (%s): wait for it to finish, or choose another directory", dir, ErrLocked, TermText(who))
	}
	f.Truncate(0)
	f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+" since "+time.Now().UTC().Format(time.RFC3339)+"\n"), 0)
	held[key] = &heldLock{f: f, count: 1}
	return &DirLock{key: key}, nil
}

// Unlock releases this hold of the directory; the last releases the lock.
func (l *DirLock) Unlock() error {
	if l == nil || l.key == "" {
		return nil
	}
	heldMu.Lock()
	defer heldMu.Unlock()
	key := l.key
	l.key = ""
	h := held[key]
	if h == nil {
		return nil
	}
	if h.count--; h.count > 0 {
		return nil
	}
	delete(held, key)
	return h.f.Close() // closing releases the lock
}

// TermText keeps only printable ASCII of s, for a value read from a file
// that goes into a message.
func TermText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
}
