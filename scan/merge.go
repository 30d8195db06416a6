package scan

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
		if b, err := os.ReadFile(filepath.Join(dir, "tenant.json")); err == nil {
			if tenantDoc != nil && !sameTenant(tenantDoc, b) {
				return nil, fmt.Errorf("%s scanned another tenant than the shards before it; merge one tenant's shards at a time", dir)
			}
			if tenantDoc == nil {
				tenantDoc = b
			}
		}
		shard := &checkpoint{done: map[string]bool{}}
		if err := shard.replay(filepath.Join(dir, checkpointName)); err != nil {
			return nil, err
		}
		f, err := os.Open(filepath.Join(dir, snapshotsName))
		if err != nil {
			return nil, fmt.Errorf("%s: not a scan directory: %w", dir, err)
		}
		r := bufio.NewReaderSize(io.LimitReader(f, shard.end), 1<<20)
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 && line[len(line)-1] == '\n' {
				var head struct {
					User struct {
						ID string `json:"id"`
					} `json:"user"`
				}
				if jerr := json.Unmarshal(line, &head); jerr != nil || head.User.ID == "" {
					f.Close()
					return nil, fmt.Errorf("%s: a vouched snapshot line is not a snapshot", dir)
				}
				if seen[head.User.ID] {
					res.Duplicates++
				} else {
					seen[head.User.ID] = true
					if werr := cp.write(head.User.ID, line); werr != nil {
						f.Close()
						return nil, werr
					}
					res.Accounts++
				}
			}
			if err != nil {
				break
			}
		}
		f.Close()
	}
	if tenantDoc != nil {
		res.Tenant = filepath.Join(out, "tenant.json")
		if err := os.WriteFile(res.Tenant, tenantDoc, 0o600); err != nil {
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
