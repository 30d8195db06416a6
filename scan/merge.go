package scan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/closeout-dev/closeout/internal/safefile"
	"github.com/closeout-dev/closeout/snapshot"
)

// MergeResult is what Merge wrote.
type MergeResult struct {
	Accounts   int    // snapshots written, each account once
	Duplicates int    // accounts more than one shard had (kept once)
	Tenant     string // the tenant document's path in the merged directory
}

// Merge joins the scan directories of shards into out: each account once
// (the lines each shard's checkpoint vouches for), and the tenant
// document. out is itself a scan directory: check, diff and history read
// it as they read one scan's.
func Merge(out string, dirs []string) (*MergeResult, error) {
	cp, err := openCheckpoint(out, false)
	if err != nil {
		return nil, err
	}
	defer cp.close()
	res := &MergeResult{}
	seen := map[string]bool{}
	var tenantDoc []byte
	for _, dir := range dirs {
		// A shard another closeout is still writing is not merged.
		// (A shard on a read-only volume cannot be locked, nor written.)
		if shardLock, err := safefile.Lock(dir); errors.Is(err, safefile.ErrLocked) {
			return nil, err
		} else if err == nil {
			shardLock.Unlock()
		}
		b, err := safefile.ReadFile(filepath.Join(dir, "tenant.json"), int64(snapshot.DefaultLimits.MaxDocumentBytes))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err // a link, a FIFO, a file too large: never read through
		}
		if err == nil {
			if tenantDoc != nil && !sameTenant(tenantDoc, b) {
				return nil, fmt.Errorf("%s scanned another tenant than the shards before it; merge one tenant's shards at a time", dir)
			}
			if tenantDoc == nil {
				tenantDoc = b
			}
		}
		entries, err := readCheckpoint(dir)
		if err != nil {
			return nil, err
		}
		f, err := openRegular(filepath.Join(dir, snapshotsName), os.O_RDONLY)
		if err != nil {
			return nil, fmt.Errorf("%s: not a scan directory: %w", dir, err)
		}
		for _, e := range entries {
			if seen[e.id] {
				res.Duplicates++
				continue
			}
			line := make([]byte, e.end-e.start)
			if _, err := f.ReadAt(line, e.start); err != nil {
				f.Close()
				return nil, err
			}
			seen[e.id] = true
			if err := cp.write(e.id, line, e.retry); err != nil {
				f.Close()
				return nil, err
			}
			res.Accounts++
		}
		f.Close()
	}
	if tenantDoc != nil {
		res.Tenant = filepath.Join(out, "tenant.json")
		if err := safefile.WriteAtomic(res.Tenant, func(f *os.File) error { _, err := f.Write(tenantDoc); return err }); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func sameTenant(a, b []byte) bool {
	var x, y struct {
		Tenant struct {
			ID string `json:"id"`
		} `json:"tenant"`
	}
	json.Unmarshal(a, &x)
	json.Unmarshal(b, &y)
	return x.Tenant.ID == y.Tenant.ID
}
