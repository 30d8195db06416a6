package results

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Change is how one finding moved between two runs.
type Change string

// The kinds of change a diff reports.
const (
	NewlyFailing  Change = "newly-failing"  // fails (or errors) now, did not before
	Fixed         Change = "fixed"          // failed before, passes or is waived now
	StillFailing  Change = "still-failing"  // failed in both
	StatusChanged Change = "status-changed" // any other move (pass → unknown, warn → pass, ...)
)

// DiffEntry is one finding that changed, or still fails.
type DiffEntry struct {
	Change    Change   `json:"change"`
	Tenant    string   `json:"tenant,omitempty"`
	Subject   string   `json:"subject"`
	PolicyID  string   `json:"policyId"`
	Title     string   `json:"title"`
	Severity  Severity `json:"severity"`
	Checklist string   `json:"checklist"`
	Old       Status   `json:"old,omitempty"`
	New       Status   `json:"new,omitempty"`
	Message   string   `json:"message,omitempty"`
	// PolicyChanged marks a change the policy set caused: the policy was
	// added, removed, or its metadata changed between the runs.
	PolicyChanged bool `json:"policyChanged,omitempty"`
	// FailingSince is, for a finding that still fails, the older run's
	// time: it has failed at least since then.
	FailingSince *time.Time `json:"failingSince,omitempty"`
}

// Diff is what changed between two result sets.
type Diff struct {
	OldGeneratedAt  time.Time `json:"oldGeneratedAt,omitzero"`
	NewGeneratedAt  time.Time `json:"newGeneratedAt,omitzero"`
	OldPolicyDigest string    `json:"oldPolicyDigest"`
	NewPolicyDigest string    `json:"newPolicyDigest"`
	// OldLabel and NewLabel name the two sides when they are not two
	// runs in time (policy diff: the base and head policies).
	OldLabel string `json:"oldLabel,omitempty"`
	NewLabel string `json:"newLabel,omitempty"`
	// PolicyChange says the two sides are two policy sets over one corpus
	// (policy diff), not two runs: every flip is the change's doing.
	PolicyChange bool `json:"policyChange,omitempty"`
	// StillFailingOmitted counts findings failing on both sides that were
	// left out of Entries (policy diff lists only what the change did).
	StillFailingOmitted int `json:"stillFailingOmitted,omitempty"`
	// PolicySetChanged says the policy files differ between the runs:
	// a change may come from a policy's rules even where its metadata
	// stayed the same.
	PolicySetChanged bool     `json:"policySetChanged"`
	PoliciesAdded    []string `json:"policiesAdded,omitempty"`
	PoliciesRemoved  []string `json:"policiesRemoved,omitempty"`
	PoliciesChanged  []string `json:"policiesChanged,omitempty"`
	// PolicyChanges says what changed in each changed policy's metadata
	// ("severity high → medium").
	PolicyChanges   map[string][]string `json:"policyChanges,omitempty"`
	NewSubjects     []string            `json:"newSubjects,omitempty"`
	RemovedSubjects []string            `json:"removedSubjects,omitempty"`
	Entries         []DiffEntry         `json:"entries"`
	// Blocking counts the newly failing findings at or above the gate.
	Blocking int      `json:"blocking"`
	FailOn   Severity `json:"failOn"`
}

// OmitStillFailing leaves the findings that failed in both runs out of
// Entries, counting them: what a night changed, not what it kept.
func (d *Diff) OmitStillFailing() {
	kept := d.Entries[:0]
	for _, e := range d.Entries {
		if e.Change == StillFailing {
			d.StillFailingOmitted++
			continue
		}
		kept = append(kept, e)
	}
	d.Entries = kept
}

// Count is the number of entries of one kind.
func (d *Diff) Count(c Change) int {
	n := 0
	if c == StillFailing {
		n = d.StillFailingOmitted
	}
	for _, e := range d.Entries {
		if e.Change == c {
			n++
		}
	}
	return n
}

type seen struct {
	// tenant and subject as the results spell them (the key is lower case).
	tenant    string
	subject   string
	status    Status
	title     string
	severity  Severity
	checklist string
}

func failing(s Status) bool { return s == Fail || s == Error }

// Compare reads two closeout.results/v1 documents and says what changed.
// The older one is held by key (a few dozen bytes a finding); the newer
// one streams past.
func Compare(oldDoc, newDoc io.Reader, failOn Severity) (*Diff, error) {
	return compare(oldDoc, newDoc, failOn, false)
}

// CompareCorpus compares two evaluations of the same corpus (policy diff):
// documents are told apart by where they were read, so that a corpus that
// holds one account several times (scenarios of it) compares each.
func CompareCorpus(oldDoc, newDoc io.Reader, failOn Severity) (*Diff, error) {
	return compare(oldDoc, newDoc, failOn, true)
}

func compare(oldDoc, newDoc io.Reader, failOn Severity, bySource bool) (*Diff, error) {
	d := &Diff{FailOn: failOn}
	old := map[string]seen{}
	oldSubjects := map[string]string{} // key → the subject as spelt
	var oldMeta, newMeta Meta
	key := func(tenant, subject, policy string) string {
		return strings.ToLower(tenant) + "\x00" + strings.ToLower(subject) + "\x00" + policy
	}
	// who names a document: its account, or with bySource where it was read.
	who := func(s *Subject) string {
		if bySource {
			return s.Source + " " + s.Subject
		}
		return s.Subject
	}
	_, err := Decode(oldDoc, func(m Meta) error { oldMeta = m; return nil }, func(s *Subject) error {
		oldSubjects[strings.ToLower(s.Tenant)+"\x00"+strings.ToLower(who(s))] = who(s)
		for _, f := range s.Findings {
			old[key(s.Tenant, who(s), f.PolicyID)] = seen{tenant: s.Tenant, subject: who(s), status: f.Status, title: f.Title, severity: f.Severity, checklist: f.Checklist}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("the older results: %w", err)
	}
	newSubjects := map[string]bool{}
	var changed map[string]bool
	_, err = Decode(newDoc, func(m Meta) error {
		newMeta = m
		changed = policyChanges(d, oldMeta, newMeta)
		return nil
	}, func(s *Subject) error {
		subjectKey := strings.ToLower(s.Tenant) + "\x00" + strings.ToLower(who(s))
		newSubjects[subjectKey] = true
		if _, ok := oldSubjects[subjectKey]; !ok {
			d.NewSubjects = append(d.NewSubjects, who(s))
		}
		for _, f := range s.Findings {
			k := key(s.Tenant, who(s), f.PolicyID)
			was, had := old[k]
			delete(old, k)
			now := f.Status
			e := DiffEntry{Tenant: s.Tenant, Subject: who(s), PolicyID: f.PolicyID, Title: f.Title, Severity: f.Severity,
				Checklist: f.Checklist, Old: was.status, New: now, Message: f.Message, PolicyChanged: changed[f.PolicyID]}
			switch {
			case failing(now) && (!had || !failing(was.status)):
				e.Change = NewlyFailing
			case failing(now) && failing(was.status):
				e.Change = StillFailing
				since := oldMeta.GeneratedAt
				e.FailingSince = &since
			case had && failing(was.status) && (now == Pass || now == Waived):
				e.Change = Fixed
			case had && was.status != now:
				e.Change = StatusChanged
			default:
				continue
			}
			d.Entries = append(d.Entries, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("the newer results: %w", err)
	}
	for k, subject := range oldSubjects {
		if !newSubjects[k] {
			d.RemovedSubjects = append(d.RemovedSubjects, subject)
		}
	}
	// Findings of accounts still there whose policy is gone.
	for k, was := range old {
		parts := strings.SplitN(k, "\x00", 3)
		if !newSubjects[parts[0]+"\x00"+parts[1]] {
			continue
		}
		if failing(was.status) {
			d.Entries = append(d.Entries, DiffEntry{Change: Fixed, Tenant: was.tenant, Subject: was.subject, PolicyID: parts[2], Title: was.title,
				Severity: was.severity, Checklist: was.checklist, Old: was.status, PolicyChanged: true, Message: "the policy is no longer in the set"})
		}
	}
	d.OldGeneratedAt, d.NewGeneratedAt = oldMeta.GeneratedAt, newMeta.GeneratedAt
	d.OldPolicyDigest, d.NewPolicyDigest = oldMeta.PolicySet.Digest, newMeta.PolicySet.Digest
	d.PolicySetChanged = d.OldPolicyDigest != d.NewPolicyDigest
	sort.Strings(d.NewSubjects)
	sort.Strings(d.RemovedSubjects)
	order := map[Change]int{NewlyFailing: 0, Fixed: 1, StatusChanged: 2, StillFailing: 3}
	sort.SliceStable(d.Entries, func(i, j int) bool {
		a, b := d.Entries[i], d.Entries[j]
		if order[a.Change] != order[b.Change] {
			return order[a.Change] < order[b.Change]
		}
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.Subject != b.Subject {
			return NaturalLess(a.Subject, b.Subject)
		}
		return NaturalLess(a.PolicyID, b.PolicyID)
	})
	for _, e := range d.Entries {
		if e.Change == NewlyFailing && (e.New == Error || (failOn != NoFailures && e.Severity.Rank() >= failOn.Rank())) {
			d.Blocking++
		}
	}
	return d, nil
}

// policyChanges records the policies added, removed or changed, and
// returns the ids whose findings the policy set may have moved.
func policyChanges(d *Diff, oldMeta, newMeta Meta) map[string]bool {
	changed := map[string]bool{}
	oldP := map[string]PolicyInfo{}
	for _, p := range oldMeta.Policies {
		oldP[p.ID] = p
	}
	for _, p := range newMeta.Policies {
		was, ok := oldP[p.ID]
		delete(oldP, p.ID)
		switch {
		case !ok:
			d.PoliciesAdded = append(d.PoliciesAdded, p.ID)
			changed[p.ID] = true
		default:
			var what []string
			field := func(name, old, new string) {
				if old != new {
					what = append(what, fmt.Sprintf("%s %s → %s", name, orNone(old), orNone(new)))
				}
			}
			field("severity", string(was.Severity), string(p.Severity))
			field("checklist", was.Checklist, p.Checklist)
			field("requires", strings.Join(was.Requires, ","), strings.Join(p.Requires, ","))
			field("modes", strings.Join(was.Modes, ","), strings.Join(p.Modes, ","))
			field("title", strconv.Quote(was.Title), strconv.Quote(p.Title))
			if len(what) > 0 {
				d.PoliciesChanged = append(d.PoliciesChanged, p.ID)
				if d.PolicyChanges == nil {
					d.PolicyChanges = map[string][]string{}
				}
				d.PolicyChanges[p.ID] = what
				changed[p.ID] = true
			}
		}
	}
	for id := range oldP {
		d.PoliciesRemoved = append(d.PoliciesRemoved, id)
	}
	sort.Strings(d.PoliciesAdded)
	sort.Strings(d.PoliciesRemoved)
	sort.Strings(d.PoliciesChanged)
	return changed
}

func orNone(s string) string {
	if s == "" || s == `""` {
		return "(none)"
	}
	return s
}

// NaturalLess orders strings with their runs of digits compared as
// numbers: "corpus.jsonl:105" before "corpus.jsonl:1007".
func NaturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
