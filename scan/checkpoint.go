package scan

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/closeout-dev/closeout/internal/safefile"
)

// The checkpoint is an append-only log beside snapshots.jsonl: after an
// account's snapshot line is written whole, a line "done ID END" says so,
// END being the size of snapshots.jsonl after it, followed by " retry" when
// a section of the account failed on a fault a later read may not meet (a
// 429, a 5xx, a broken connection). On resume the log is checked, not
// trusted: each done line must vouch for exactly the next line of
// snapshots.jsonl, a whole snapshot of the account it names, once.
// snapshots.jsonl is cut back to the last END (a line half-written when
// the scan was stopped is dropped and read again), and the accounts marked
// retry are taken out, to be read again.

const (
	snapshotsName  = "snapshots.jsonl"
	checkpointName = "checkpoint.log"
)

// entry is one account a checkpoint vouches for: its line's bytes in
// snapshots.jsonl.
type entry struct {
	id         string
	start, end int64
	retry      bool
}

type checkpoint struct {
	lock      *safefile.DirLock // one scan (or merge) writes a directory at a time
	snapshots *os.File
	log       *os.File
	end       int64
	done      map[string]bool
	// reread are the accounts a previous run wrote with a section failed on
	// a fault: taken out of the files, to be read again.
	reread int
}

// CheckpointError is a scan directory whose checkpoint does not match its
// snapshots: changed by hand, by another program, or by a bug.
type CheckpointError struct {
	Dir, Reason string
}

func (e *CheckpointError) Error() string {
	return fmt.Sprintf("%s: the checkpoint does not match the snapshots: %s; this scan cannot be resumed: start a new one", e.Dir, e.Reason)
}

// openCheckpoint opens dir's scan files: new ones, or with resume the
// ones a stopped scan left, checked.
func openCheckpoint(dir string, resume bool) (*checkpoint, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	lock, err := safefile.Lock(dir)
	if err != nil {
		return nil, err
	}
	cp, err := openCheckpointLocked(dir, resume)
	if err != nil {
		lock.Unlock()
		return nil, err
	}
	cp.lock = lock
	return cp, nil
}

func openCheckpointLocked(dir string, resume bool) (*checkpoint, error) {
	snapPath, logPath := filepath.Join(dir, snapshotsName), filepath.Join(dir, checkpointName)
	cp := &checkpoint{done: map[string]bool{}}
	if !resume {
		if _, err := os.Lstat(snapPath); err == nil {
			return nil, fmt.Errorf("%s already holds a scan (%s): add --resume to finish it, or choose another directory", dir, snapshotsName)
		}
		if _, err := os.Lstat(logPath); err == nil {
			return nil, fmt.Errorf("%s already holds a checkpoint: add --resume to finish its scan, or choose another directory", dir)
		}
	} else {
		entries, err := readCheckpoint(dir)
		if err != nil {
			return nil, err
		}
		if err := cp.compact(dir, entries); err != nil {
			return nil, err
		}
	}
	var err error
	if cp.snapshots, err = openRegular(snapPath, os.O_RDWR|os.O_CREATE); err != nil {
		return nil, err
	}
	// Cut what no done line vouches for.
	if err := cp.snapshots.Truncate(cp.end); err != nil {
		return nil, err
	}
	if _, err := cp.snapshots.Seek(cp.end, io.SeekStart); err != nil {
		return nil, err
	}
	if cp.log, err = openRegular(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND); err != nil {
		return nil, err
	}
	return cp, nil
}

// readCheckpoint reads and checks a scan directory's checkpoint against
// its snapshots. A last log line cut short (the scan was stopped while
// writing it) is ignored; anything else that does not match is an error.
func readCheckpoint(dir string) ([]entry, error) {
	logPath, snapPath := filepath.Join(dir, checkpointName), filepath.Join(dir, snapshotsName)
	logFile, err := openRegular(logPath, os.O_RDONLY)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	snaps, err := openRegular(snapPath, os.O_RDONLY)
	if errors.Is(err, os.ErrNotExist) {
		snaps = nil
	} else if err != nil {
		return nil, err
	} else {
		defer snaps.Close()
	}
	var size int64
	if snaps != nil {
		st, err := snaps.Stat()
		if err != nil {
			return nil, err
		}
		size = st.Size()
	}
	bad := func(n int, format string, args ...any) error {
		return &CheckpointError{Dir: dir, Reason: fmt.Sprintf("%s line %d: %s", checkpointName, n, fmt.Sprintf(format, args...))}
	}
	var entries []entry
	seen := map[string]int{}
	var end int64
	r := bufio.NewReader(logFile)
	for n := 1; ; n++ {
		line, err := r.ReadString('\n')
		if err != nil {
			return entries, nil // EOF, or a last line without its newline
		}
		fields := strings.Fields(line)
		if len(fields) < 3 || len(fields) > 4 || fields[0] != "done" || (len(fields) == 4 && fields[3] != "retry") {
			return nil, bad(n, "%q is not a checkpoint line", strings.TrimSpace(line))
		}
		id := fields[1]
		next, perr := strconv.ParseInt(fields[2], 10, 64)
		switch {
		case perr != nil || next <= end:
			return nil, bad(n, "offset %q does not follow the line before it (%d)", fields[2], end)
		case next > size:
			return nil, bad(n, "vouches for bytes %d to %d of %s, which holds %d", end, next, snapshotsName, size)
		case next-end > maxLineBytes:
			return nil, bad(n, "vouches for a line of %d bytes, over the %d MiB limit", next-end, maxLineBytes>>20)
		}
		if first, dup := seen[id]; dup {
			return nil, bad(n, "account %s is vouched for twice (first on line %d)", id, first)
		}
		buf := make([]byte, next-end)
		if _, err := snaps.ReadAt(buf, end); err != nil {
			return nil, bad(n, "reading %s: %v", snapshotsName, err)
		}
		if got, err := lineAccount(buf); err != nil {
			return nil, bad(n, "bytes %d to %d of %s are not one snapshot: %v", end, next, snapshotsName, err)
		} else if got != id {
			return nil, bad(n, "names account %s, but the line it vouches for is account %s's", id, got)
		}
		seen[id] = n
		entries = append(entries, entry{id: id, start: end, end: next, retry: len(fields) == 4})
		end = next
	}
}

// maxLineBytes bounds one snapshot line a checkpoint may vouch for (the
// snapshot loader's own limit).
const maxLineBytes = 32 << 20

// lineAccount is the account id of one whole snapshot line.
func lineAccount(line []byte) (string, error) {
	if len(line) == 0 || line[len(line)-1] != '\n' || strings.Contains(string(line[:len(line)-1]), "\n") {
		return "", errors.New("not one whole line")
	}
	var head struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := json.Unmarshal(line, &head); err != nil {
		return "", errors.New("not JSON")
	}
	if head.User.ID == "" {
		return "", errors.New("no user id")
	}
	return head.User.ID, nil
}

// compact keeps the checked entries: when some are to be read again, the
// files are rewritten without them (new files renamed into place, the
// snapshots first: a checkpoint that vouches for lines it does not find is
// refused on the next resume, never trusted).
func (cp *checkpoint) compact(dir string, entries []entry) error {
	retry := 0
	for _, e := range entries {
		if e.retry {
			retry++
		}
	}
	if retry == 0 {
		for _, e := range entries {
			cp.done[e.id] = true
			cp.end = e.end
		}
		return nil
	}
	snapPath, logPath := filepath.Join(dir, snapshotsName), filepath.Join(dir, checkpointName)
	src, err := openRegular(snapPath, os.O_RDONLY)
	if err != nil {
		return err
	}
	defer src.Close()
	snapTmp, err := createNew(snapPath + ".compact")
	if err != nil {
		return err
	}
	logTmp, err := createNew(logPath + ".compact")
	if err != nil {
		snapTmp.Close()
		return err
	}
	var end int64
	for _, e := range entries {
		if e.retry {
			continue
		}
		buf := make([]byte, e.end-e.start)
		if _, err := src.ReadAt(buf, e.start); err == nil {
			_, err = snapTmp.Write(buf)
		}
		if err != nil {
			snapTmp.Close()
			logTmp.Close()
			return err
		}
		end += int64(len(buf))
		fmt.Fprintf(logTmp, "done %s %d\n", e.id, end)
		cp.done[e.id] = true
	}
	err1, err2 := snapTmp.Close(), logTmp.Close()
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if err := os.Rename(snapPath+".compact", snapPath); err != nil {
		return err
	}
	if err := os.Rename(logPath+".compact", logPath); err != nil {
		return err
	}
	cp.end, cp.reread = end, retry
	return nil
}

// write appends one account's snapshot line, then the line saying it is
// done (marked retry when a section failed on a fault). Each is one write
// call.
func (cp *checkpoint) write(id string, line []byte, retry bool) error {
	if _, err := cp.snapshots.Write(line); err != nil {
		return err
	}
	cp.end += int64(len(line))
	mark := ""
	if retry {
		mark = " retry"
	}
	_, err := fmt.Fprintf(cp.log, "done %s %d%s\n", id, cp.end, mark)
	return err
}

// notListed refuses a resumed scan whose checkpoint vouches for an account
// the tenant's listing does not hold: written by something else, or for
// another tenant (or deleted since the scan began): its line would reach
// the results as if it were this tenant's.
func (cp *checkpoint) notListed(dir string, listed map[string]bool) error {
	var ghosts []string
	for id := range cp.done {
		if !listed[id] {
			ghosts = append(ghosts, id)
		}
	}
	if len(ghosts) == 0 {
		return nil
	}
	sort.Strings(ghosts)
	n, more := len(ghosts), ""
	if n > 5 {
		more = fmt.Sprintf(" and %d more", n-5)
		ghosts = ghosts[:5]
	}
	return &CheckpointError{Dir: dir, Reason: fmt.Sprintf("it holds %d account(s) the tenant does not list (%s%s): written by something else, for another tenant, or deleted since the scan began",
		n, safefile.TermText(strings.Join(ghosts, ", ")), more)}
}

func (cp *checkpoint) close() error {
	defer cp.lock.Unlock()
	err1 := cp.snapshots.Close()
	err2 := cp.log.Close()
	if err1 != nil {
		return err1
	}
	return err2
}

// openRegular and createNew open scan files without following a link.
func openRegular(path string, flag int) (*os.File, error) { return safefile.Open(path, flag) }
func createNew(path string) (*os.File, error)             { return safefile.CreateNew(path) }
