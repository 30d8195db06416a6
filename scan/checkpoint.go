package scan

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The checkpoint is an append-only log beside snapshots.jsonl: after an
// account's snapshot line is written whole, a line "done ID END" says so,
// END being the size of snapshots.jsonl after it. On resume only accounts
// with a done line count, and snapshots.jsonl is cut back to the last END:
// a line half-written when the scan was killed is dropped and read again.

const (
	snapshotsName  = "snapshots.jsonl"
	checkpointName = "checkpoint.log"
)

type checkpoint struct {
	snapshots *os.File
	log       *os.File
	end       int64
	done      map[string]bool
}

// openCheckpoint opens dir's scan files: new ones, or with resume the
// ones a killed scan left.
func openCheckpoint(dir string, resume bool) (*checkpoint, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	snapPath, logPath := filepath.Join(dir, snapshotsName), filepath.Join(dir, checkpointName)
	cp := &checkpoint{done: map[string]bool{}}
	if !resume {
		if _, err := os.Stat(snapPath); err == nil {
			return nil, fmt.Errorf("%s already holds a scan (%s): add --resume to finish it, or choose another directory", dir, snapshotsName)
		}
	} else if err := cp.replay(logPath); err != nil {
		return nil, err
	}
	var err error
	if cp.snapshots, err = os.OpenFile(snapPath, os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, err
	}
	// Cut what no done line vouches for.
	if err := cp.snapshots.Truncate(cp.end); err != nil {
		return nil, err
	}
	if _, err := cp.snapshots.Seek(cp.end, io.SeekStart); err != nil {
		return nil, err
	}
	if cp.log, err = os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err != nil {
		return nil, err
	}
	return cp, nil
}

// replay reads the done lines; a last line cut short is ignored.
func (cp *checkpoint) replay(path string) error {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil // EOF, or a last line without its newline
		}
		fields := strings.Fields(line)
		if len(fields) != 3 || fields[0] != "done" {
			continue
		}
		end, perr := strconv.ParseInt(fields[2], 10, 64)
		if perr != nil || end < cp.end {
			continue
		}
		cp.done[fields[1]] = true
		cp.end = end
	}
}

// write appends one account's snapshot line, then the line saying it is
// done. Each is one write call.
func (cp *checkpoint) write(id string, line []byte) error {
	if _, err := cp.snapshots.Write(line); err != nil {
		return err
	}
	cp.end += int64(len(line))
	_, err := fmt.Fprintf(cp.log, "done %s %d\n", id, cp.end)
	return err
}

func (cp *checkpoint) close() error {
	err1 := cp.snapshots.Close()
	err2 := cp.log.Close()
	if err1 != nil {
		return err1
	}
	return err2
}
