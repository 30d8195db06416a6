package scan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/internal/safefile"
)

// ManifestName is the file in a scan directory that says what the scan is:
// whose accounts, which of them, since when, and whether it finished.
const ManifestName = "scan.json"

// ManifestSchema is the manifest's schemaVersion.
const ManifestSchema = "closeout.scan/v1"

// Manifest describes a scan directory. A scan writes it when it starts and
// again when it finishes; --resume continues only an unfinished scan, with
// the parameters written here; merge joins only finished shards of one
// tenant's one night.
type Manifest struct {
	SchemaVersion string         `json:"schemaVersion"`
	Version       string         `json:"closeoutVersion"`
	Tenant        ManifestTenant `json:"tenant"`
	// Shard is i/n of a sharded scan; nil for the whole tenant.
	Shard    *ShardSpec `json:"shard,omitempty"`
	Filters  Filters    `json:"filters"`
	Sections []string   `json:"sections"`
	// PolicySet is the digest of the policy set whose sections were read.
	PolicySet string     `json:"policySet,omitempty"`
	Started   time.Time  `json:"started"`
	Finished  *time.Time `json:"finished"`
	// Accounts is the accounts written (when finished).
	Accounts int `json:"accounts"`
	// Since is the previous scan an incremental scan built on.
	Since string `json:"since,omitempty"`
	// Incremental is what it read, carried and spent (when finished).
	Incremental *Incremental `json:"incremental,omitempty"`
	// Merged lists the shards a merge joined; Missing the shards it did not
	// have (merged with --allow-partial), Unfinished those it took while
	// unfinished.
	Merged     []MergedShard `json:"merged,omitempty"`
	Missing    []int         `json:"missingShards,omitempty"`
	Unfinished []int         `json:"unfinishedShards,omitempty"`
}

// ManifestTenant names the tenant a scan read.
type ManifestTenant struct {
	ID     string `json:"id"`
	Domain string `json:"domain,omitempty"`
}

// ShardSpec is shard Index of Count.
type ShardSpec struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

func (s *ShardSpec) String() string {
	if s == nil {
		return "the whole tenant"
	}
	return fmt.Sprintf("shard %d/%d", s.Index, s.Count)
}

// Filters are the options that chose the scan's accounts.
type Filters struct {
	Users         []string `json:"users,omitempty"`
	Group         string   `json:"group,omitempty"`
	Exclude       []string `json:"exclude,omitempty"`
	IncludeGuests bool     `json:"includeGuests,omitempty"`
}

// MergedShard is one shard a merge joined.
type MergedShard struct {
	Dir      string     `json:"dir"`
	Shard    *ShardSpec `json:"shard,omitempty"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished"`
	Accounts int        `json:"accounts"`
}

// Partial says, in words, what a merged scan lacks: "" when it is whole.
func (m *Manifest) Partial() string {
	var parts []string
	if len(m.Missing) > 0 {
		parts = append(parts, "missing "+shardList(m.Missing, m.shardCount()))
	}
	if len(m.Unfinished) > 0 {
		parts = append(parts, "unfinished "+shardList(m.Unfinished, m.shardCount()))
	}
	if len(parts) == 0 {
		return ""
	}
	return "partial scan: " + strings.Join(parts, "; ") + " (merged with --allow-partial): the accounts of those shards are not all evaluated"
}

func (m *Manifest) shardCount() int {
	for _, s := range m.Merged {
		if s.Shard != nil {
			return s.Shard.Count
		}
	}
	return 0
}

func shardList(idx []int, n int) string {
	s := make([]string, len(idx))
	for i, x := range idx {
		s[i] = fmt.Sprintf("%d/%d", x, n)
	}
	word := "shard "
	if len(idx) > 1 {
		word = "shards "
	}
	return word + strings.Join(s, ", ")
}

// filtersOf and shardOf are what Options say about the accounts.
func filtersOf(o Options) Filters {
	return Filters{Users: o.Users, Group: o.Group, Exclude: o.Exclude, IncludeGuests: o.IncludeGuests}
}

func shardOf(o Options) *ShardSpec {
	if o.Shards <= 1 {
		return nil
	}
	return &ShardSpec{Index: o.Shard, Count: o.Shards}
}

// ReadManifest reads dir's manifest; a directory without one gives an
// error wrapping fs.ErrNotExist.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestName)
	raw, err := safefile.ReadFile(path, maxManifestBytes)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: not a scan manifest: %v", path, err)
	}
	if m.SchemaVersion != ManifestSchema {
		return nil, fmt.Errorf("%s: schemaVersion %q, want %s", path, m.SchemaVersion, ManifestSchema)
	}
	if m.Tenant.ID == "" || m.Started.IsZero() {
		return nil, fmt.Errorf("%s: names no tenant or no start", path)
	}
	if s := m.Shard; s != nil && (s.Count < 2 || s.Index < 0 || s.Index >= s.Count) {
		return nil, fmt.Errorf("%s: shard %d/%d is not a shard", path, s.Index, s.Count)
	}
	return &m, nil
}

// maxManifestBytes bounds a manifest (a users filter of 100,000 names
// fits).
const maxManifestBytes = 16 << 20

// writeManifest writes dir's manifest whole, never through a link.
func writeManifest(dir string, m *Manifest) error {
	m.SchemaVersion = ManifestSchema
	return safefile.WriteAtomic(filepath.Join(dir, ManifestName), func(f *os.File) error {
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	})
}

// FinishedError is --resume on a scan that finished: there is nothing to
// resume, and nothing is changed.
type FinishedError struct {
	Dir      string
	Manifest *Manifest
}

func (e *FinishedError) Error() string {
	m := e.Manifest
	return fmt.Sprintf("%s holds a finished scan of %s (%s, started %s, finished %s, %d accounts): nothing to resume; a new scan goes into a new directory",
		e.Dir, m.Tenant.name(), m.Shard, m.Started.Format(time.RFC3339), m.Finished.Format(time.RFC3339), m.Accounts)
}

func (t ManifestTenant) name() string {
	if t.Domain != "" {
		return t.Domain + " (" + t.ID + ")"
	}
	return t.ID
}

// ConflictError is --resume with options that would change what the
// stopped scan reads: its accounts would be chosen, or read, two ways.
type ConflictError struct {
	Dir     string
	Changes []string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s: --resume continues the scan as it began; these differ from its manifest: %s. Resume without them, or start a new scan in a new directory",
		e.Dir, strings.Join(e.Changes, "; "))
}

// checkResume compares the options of a resumed scan with its manifest.
func checkResume(m *Manifest, o Options) error {
	var changes []string
	differ := func(what string, was, now any) {
		changes = append(changes, fmt.Sprintf("%s was %v, now %v", what, was, now))
	}
	if a, b := m.Shard, shardOf(o); a.String() != b.String() {
		differ("the shard", a, b)
	}
	f := filtersOf(o)
	if !slices.Equal(m.Filters.Users, f.Users) {
		differ("the accounts (--users-from)", len(m.Filters.Users), len(f.Users))
	}
	if m.Filters.Group != f.Group {
		differ("--group", orNone(m.Filters.Group), orNone(f.Group))
	}
	if !slices.Equal(m.Filters.Exclude, f.Exclude) {
		differ("--exclude", m.Filters.Exclude, f.Exclude)
	}
	if m.Filters.IncludeGuests != f.IncludeGuests {
		differ("--include-guests", m.Filters.IncludeGuests, f.IncludeGuests)
	}
	if m.Since != sinceDir(o) && (o.Since == nil || !o.Since.Optional) {
		differ("--since", orNone(m.Since), orNone(sinceDir(o)))
	}
	if !slices.Equal(sorted(m.Sections), sorted(o.Sections)) {
		differ("the sections the policies need (the policy set changed)", strings.Join(sorted(m.Sections), ","), strings.Join(sorted(o.Sections), ","))
	}
	if len(changes) > 0 {
		return &ConflictError{Dir: o.Dir, Changes: changes}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// isNotExist says a manifest is absent (as opposed to unreadable).
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

func sinceDir(o Options) string {
	if o.Since == nil {
		return ""
	}
	return o.Since.Dir
}
