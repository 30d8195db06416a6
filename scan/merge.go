package scan

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/internal/safefile"
	"github.com/closeout-dev/closeout/snapshot"
)

// MergeOptions say what a merge may join.
type MergeOptions struct {
	// AllowPartial merges even when a shard is missing or unfinished; the
	// merged manifest (and the results) name what is missing.
	AllowPartial bool
	// MaxSpread is how far apart the shards' starts may be and still be
	// one night's scan (default 12 h).
	MaxSpread time.Duration
	// Now is the merge's time (time.Now by default).
	Now func() time.Time
}

// MergeResult is what Merge wrote.
type MergeResult struct {
	Accounts int    // snapshots written, each account once
	Tenant   string // the tenant document's path in the merged directory
	// Manifest is the merged directory's manifest; its Partial says what
	// an --allow-partial merge lacks.
	Manifest *Manifest
}

// MergeError is a set of directories that are not one whole scan.
type MergeError struct{ Problems []string }

func (e *MergeError) Error() string {
	return "not one whole scan: " + strings.Join(e.Problems, "; ")
}

// shardDir is one directory given to Merge, with its manifest.
type shardDir struct {
	dir string
	man *Manifest
}

// Merge joins the scan directories of one night's shards of one tenant
// into out: each account once (the lines each shard's checkpoint vouches
// for), the tenant document, and a manifest naming the shards. out is
// itself a scan directory: check, diff and history read it as they read
// one scan's. Directories that are not one whole scan (a shard missing,
// given twice, unfinished, of another tenant, night or policy set) are
// refused, unless AllowPartial lets a missing or unfinished shard pass.
func Merge(out string, dirs []string, opts MergeOptions) (*MergeResult, error) {
	if opts.MaxSpread <= 0 {
		opts.MaxSpread = 12 * time.Hour
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	shards, merged, err := checkShards(dirs, opts)
	if err != nil {
		return nil, err
	}
	cp, err := openCheckpoint(out, false)
	if err != nil {
		return nil, err
	}
	defer cp.close()
	res := &MergeResult{Manifest: merged}
	from := map[string]string{}
	var tenantDoc []byte
	for _, sh := range shards {
		if tenantDoc == nil {
			b, err := safefile.ReadFile(filepath.Join(sh.dir, "tenant.json"), int64(snapshot.DefaultLimits.MaxDocumentBytes))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err // a link, a FIFO, a file too large: never read through
			}
			tenantDoc = b
		}
		entries, err := readCheckpoint(sh.dir)
		if err != nil {
			return nil, err
		}
		f, err := openRegular(filepath.Join(sh.dir, snapshotsName), os.O_RDONLY)
		if err != nil {
			return nil, fmt.Errorf("%s: not a scan directory: %w", sh.dir, err)
		}
		for _, e := range entries {
			if other, dup := from[e.id]; dup {
				f.Close()
				return nil, &MergeError{Problems: []string{fmt.Sprintf("account %s is in both %s and %s", safefile.TermText(e.id), other, sh.dir)}}
			}
			line := make([]byte, e.end-e.start)
			if _, err := f.ReadAt(line, e.start); err != nil {
				f.Close()
				return nil, err
			}
			from[e.id] = sh.dir
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
	finished := now().UTC()
	merged.Finished, merged.Accounts = &finished, res.Accounts
	if err := writeManifest(out, merged); err != nil {
		return nil, err
	}
	return res, nil
}

// checkShards reads the directories' manifests and checks that they are
// one night's shards of one tenant, each once, all of them and finished
// (or, with AllowPartial, names what is not), in shard order.
func checkShards(dirs []string, opts MergeOptions) ([]shardDir, *Manifest, error) {
	var problems []string
	var shards []shardDir
	for _, dir := range dirs {
		// A shard another closeout is still writing is not merged. (A
		// shard on a read-only volume cannot be locked, nor written.)
		if lock, err := safefile.Lock(dir); errors.Is(err, safefile.ErrLocked) {
			problems = append(problems, err.Error())
			continue
		} else if err == nil {
			lock.Unlock()
		}
		m, err := ReadManifest(dir)
		if isNotExist(err) {
			problems = append(problems, fmt.Sprintf("%s has no %s: not a scan directory, or one an older closeout wrote (scan it again)", dir, ManifestName))
			continue
		}
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		shards = append(shards, shardDir{dir: dir, man: m})
	}
	if len(problems) > 0 {
		return nil, nil, &MergeError{Problems: problems}
	}
	if len(shards) == 0 {
		return nil, nil, &MergeError{Problems: []string{"no scan directory given"}}
	}
	first := shards[0].man
	merged := &Manifest{Tenant: first.Tenant, Filters: first.Filters, Sections: first.Sections, PolicySet: first.PolicySet, Version: first.Version, Started: first.Started}
	count := 0
	byIndex := map[int]string{}
	earliest, latest := first.Started, first.Started
	for _, sh := range shards {
		m := sh.man
		switch {
		case !strings.EqualFold(m.Tenant.ID, first.Tenant.ID):
			problems = append(problems, fmt.Sprintf("%s is a scan of tenant %s, %s of %s", sh.dir, m.Tenant.name(), shards[0].dir, first.Tenant.name()))
			continue
		case m.Shard == nil:
			problems = append(problems, fmt.Sprintf("%s is a scan of the whole tenant, not a shard: there is nothing to merge it with", sh.dir))
			continue
		case count != 0 && m.Shard.Count != count:
			problems = append(problems, fmt.Sprintf("%s is %s, the shards before it of %d", sh.dir, m.Shard, count))
			continue
		}
		count = m.Shard.Count
		if other, dup := byIndex[m.Shard.Index]; dup {
			problems = append(problems, fmt.Sprintf("%s is given twice: %s and %s", m.Shard, other, sh.dir))
			continue
		}
		byIndex[m.Shard.Index] = sh.dir
		if !slices.Equal(sorted(m.Sections), sorted(first.Sections)) {
			problems = append(problems, fmt.Sprintf("%s read other sections than %s (another policy set)", sh.dir, shards[0].dir))
		}
		if fmt.Sprint(m.Filters) != fmt.Sprint(first.Filters) {
			problems = append(problems, fmt.Sprintf("%s chose its accounts with other filters than %s", sh.dir, shards[0].dir))
		}
		if m.Finished == nil {
			if !opts.AllowPartial {
				problems = append(problems, fmt.Sprintf("%s (%s) is unfinished: finish it with closeout scan -o %s --resume, or merge with --allow-partial", sh.dir, m.Shard, sh.dir))
			}
			merged.Unfinished = append(merged.Unfinished, m.Shard.Index)
		}
		earliest, latest = minTime(earliest, m.Started), maxTime(latest, m.Started)
		merged.Merged = append(merged.Merged, MergedShard{Dir: sh.dir, Shard: m.Shard, Started: m.Started, Finished: m.Finished, Accounts: m.Accounts})
	}
	if spread := latest.Sub(earliest); spread > opts.MaxSpread {
		problems = append(problems, fmt.Sprintf("the shards began %s apart (%s to %s): shards of different nights? Merge one night's shards", spread.Round(time.Minute),
			earliest.Format(time.RFC3339), latest.Format(time.RFC3339)))
	}
	for i := range count {
		if _, ok := byIndex[i]; !ok {
			merged.Missing = append(merged.Missing, i)
		}
	}
	if len(merged.Missing) > 0 && !opts.AllowPartial {
		problems = append(problems, fmt.Sprintf("%s of %d not given: merge every shard, or merge with --allow-partial", shardList(merged.Missing, count), count))
	}
	if len(problems) > 0 {
		return nil, nil, &MergeError{Problems: problems}
	}
	sort.Slice(shards, func(i, j int) bool { return shards[i].man.Shard.Index < shards[j].man.Shard.Index })
	sort.Slice(merged.Merged, func(i, j int) bool { return merged.Merged[i].Shard.Index < merged.Merged[j].Shard.Index })
	slices.Sort(merged.Unfinished)
	merged.Started = earliest
	return shards, merged, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
