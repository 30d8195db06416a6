package reports

import (
	"bufio"
	"container/heap"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/results"
)

// The summary is what a security lead reads after a scan of thousands of
// accounts: how many are exposed, by which checklist item, the worst
// accounts, what could not be read. It is bounded whatever the tenant's
// size (at most about 60 lines), and built as subjects stream past in
// bounded memory; every finding stays in results.json and the reports.

const (
	summaryItems    = 16 // checklist items listed
	summaryWorst    = 10 // accounts listed
	summaryNotRead  = 8  // section/reason lines listed
	summaryTenantFx = 6  // tenant findings listed
)

// exposure is one checklist item's failing accounts.
type exposure struct {
	item     string
	severity results.Severity
	accounts int
	policies map[string]bool
}

// worstAccount is an account ranked by what it has open.
type worstAccount struct {
	subject string
	score   int
	bySev   map[results.Severity]int
	items   []string
}

type worstHeap []worstAccount

func (h worstHeap) Len() int { return len(h) }
func (h worstHeap) Less(i, j int) bool {
	if h[i].score != h[j].score {
		return h[i].score < h[j].score
	}
	return h[i].subject > h[j].subject
}
func (h worstHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *worstHeap) Push(x any)   { *h = append(*h, x.(worstAccount)) }
func (h *worstHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// notReadKey groups the sections not read.
type notReadKey struct{ section, status string }

// overview accumulates what a tenant's results come to, subject by subject:
// the summary format prints it, the HTML and Markdown reports of a scan
// lead with it.
type overview struct {
	meta     results.Meta
	gate     results.Gate
	accounts int
	tenants  int
	exposed  int
	unknown  int
	items    map[string]*exposure
	worst    worstHeap
	notRead  map[notReadKey]int
	readWhy  map[notReadKey]string
	readAny  int
	tenantFx []string
	tenantN  int
	// carried counts accounts carried from an earlier scan (scan --since);
	// oldest is the earliest read time of what is judged.
	carried int
	oldest  *time.Time
}

func newOverview() *overview {
	return &overview{items: map[string]*exposure{}, notRead: map[notReadKey]int{}, readWhy: map[notReadKey]string{}}
}

type summaryReporter struct {
	w *bufio.Writer
	*overview
}

func newSummary(w io.Writer, _ Options) Reporter {
	return &summaryReporter{w: bufio.NewWriter(w), overview: newOverview()}
}

func (r *overview) Begin(meta results.Meta) error {
	r.meta, r.gate = meta, results.GateOf(meta)
	return nil
}

var severityScore = map[results.Severity]int{results.Critical: 1000, results.High: 100, results.Medium: 10, results.Low: 1}

// add counts one subject in.
func (r *overview) add(s *results.Subject) {
	if s.Mode == "tenant" {
		r.tenants++
		for _, f := range s.Findings {
			if f.Status == results.Fail || f.Status == results.Error {
				r.tenantN++
				if len(r.tenantFx) < summaryTenantFx {
					r.tenantFx = append(r.tenantFx, fmt.Sprintf("%-8s  %s  %s", f.Severity, f.PolicyID, termSafe(f.Message)))
				}
			}
		}
		return
	}
	r.accounts++
	if s.Carried {
		r.carried++
	}
	if s.ReadAt != nil && (r.oldest == nil || s.ReadAt.Before(*r.oldest)) {
		r.oldest = s.ReadAt
	}
	if len(s.NotRead) > 0 {
		r.readAny++
	}
	for _, n := range s.NotRead {
		k := notReadKey{n.Section, n.Status}
		r.notRead[k]++
		if _, ok := r.readWhy[k]; !ok {
			r.readWhy[k] = n.Detail
		}
	}
	acct := worstAccount{subject: s.Subject, bySev: map[results.Severity]int{}}
	blocking := false
	seen := map[string]bool{}
	for _, f := range s.Findings {
		if f.Status == results.Unknown {
			r.unknown++
		}
		if f.Status != results.Fail && f.Status != results.Error {
			continue
		}
		blocking = blocking || r.gate.Blocks(&f)
		acct.score += severityScore[f.Severity]
		acct.bySev[f.Severity]++
		it := r.items[f.Checklist]
		if it == nil {
			it = &exposure{item: f.Checklist, severity: f.Severity, policies: map[string]bool{}}
			r.items[f.Checklist] = it
		}
		if f.Severity.Rank() > it.severity.Rank() {
			it.severity = f.Severity
		}
		it.policies[f.PolicyID] = true
		if !seen[f.Checklist] {
			seen[f.Checklist] = true
			it.accounts++
			acct.items = append(acct.items, f.Checklist)
		}
	}
	if blocking {
		r.exposed++
	}
	if acct.score > 0 {
		heap.Push(&r.worst, acct)
		if r.worst.Len() > summaryWorst {
			heap.Pop(&r.worst)
		}
	}
}

func (r *overview) Subject(s *results.Subject) error { r.add(s); return nil }

// exposures are the checklist items with failing accounts, worst first.
func (r *overview) exposures() []*exposure {
	items := make([]*exposure, 0, len(r.items))
	for _, it := range r.items {
		items = append(items, it)
	}
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.severity.Rank() != b.severity.Rank() {
			return a.severity.Rank() > b.severity.Rank()
		}
		if a.accounts != b.accounts {
			return a.accounts > b.accounts
		}
		return a.item < b.item
	})
	return items
}

// worstAccounts are the accounts with most open, worst first.
func (r *overview) worstAccounts() []worstAccount {
	worst := append(worstHeap(nil), r.worst...)
	sort.Slice(worst, func(i, j int) bool { return worst.Less(j, i) })
	return worst
}

// notReadLines are the sections not read, by how many accounts, most first.
func (r *overview) notReadLines() []notReadKey {
	keys := make([]notReadKey, 0, len(r.notRead))
	for k := range r.notRead {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if r.notRead[keys[i]] != r.notRead[keys[j]] {
			return r.notRead[keys[i]] > r.notRead[keys[j]]
		}
		return keys[i].section+keys[i].status < keys[j].section+keys[j].status
	})
	return keys
}

// severityCounts is "2 critical, 1 high".
func (a worstAccount) severityCounts() string {
	var counts []string
	for _, sev := range results.Severities {
		if n := a.bySev[sev]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	return strings.Join(counts, ", ")
}

func (r *summaryReporter) End(sum results.Summary) error {
	w := r.w
	what := subjectsLabel(sum)
	if r.accounts > 0 {
		fmt.Fprintf(w, "%s: %s with a blocking finding (%s)\n", what, plural(r.exposed, "account"), percent(r.exposed, r.accounts))
	} else {
		fmt.Fprintf(w, "%s\n", what)
	}
	if r.meta.Partial != "" {
		fmt.Fprintln(w, termSafe(r.meta.Partial))
	}
	if len(r.items) > 0 {
		items := r.exposures()
		fmt.Fprintf(w, "\nExposed accounts by checklist item, worst first:\n")
		for i, it := range items {
			if i == summaryItems {
				fmt.Fprintf(w, "  … and %d more items (results.json has every finding)\n", len(items)-i)
				break
			}
			fmt.Fprintf(w, "  %-8s  %-28s %-14s %s\n", it.severity, termSafe(it.item), plural(it.accounts, "account"), strings.Join(sortedKeys(it.policies), ", "))
		}
	}
	if r.tenantN > 0 {
		fmt.Fprintf(w, "\nTenant settings failing: %d\n", r.tenantN)
		for _, line := range r.tenantFx {
			fmt.Fprintf(w, "  %s\n", truncate(line, 140))
		}
		if r.tenantN > len(r.tenantFx) {
			fmt.Fprintf(w, "  … and %d more\n", r.tenantN-len(r.tenantFx))
		}
	}
	if r.worst.Len() > 0 {
		fmt.Fprintf(w, "\nWorst accounts:\n")
		for _, a := range r.worstAccounts() {
			fmt.Fprintf(w, "  %-34s %-22s %s\n", termSafe(a.subject), a.severityCounts(), truncate(termSafe(strings.Join(a.items, ", ")), 80))
		}
	}
	if r.readAny > 0 {
		keys := r.notReadLines()
		fmt.Fprintf(w, "\nNot read: %s with a section missing (their findings that need it are unknown):\n", plural(r.readAny, "account"))
		for i, k := range keys {
			if i == summaryNotRead {
				fmt.Fprintf(w, "  … and %d more sections and reasons\n", len(keys)-i)
				break
			}
			fmt.Fprintf(w, "  %-20s %-10s %-14s %s\n", k.section, k.status, plural(r.notRead[k], "account"), truncate(termSafe(r.readWhy[k]), 80))
		}
	}
	if r.unknown > 0 {
		fmt.Fprintf(w, "\n%s could not be judged (unknown): a missing section or value is never a pass\n", plural(r.unknown, "finding"))
	}
	if line := r.ageLine(); line != "" {
		fmt.Fprintf(w, "\n%s\n", line)
	}
	fmt.Fprintln(w)
	gate := gateWords(r.meta.FailOn)
	if sum.Blocking > 0 {
		fmt.Fprintf(w, "%s %s\n", plural(sum.Blocking, "blocking finding"), gate)
	} else {
		fmt.Fprintf(w, "no blocking finding %s\n", gate)
	}
	return w.Flush()
}

func percent(n, of int) string {
	if of == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(n)/float64(of))
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// countOpen is the findings of a subject that need attention.
func countOpen(s *results.Subject) int {
	n := 0
	for i := range s.Findings {
		if open(&s.Findings[i]) {
			n++
		}
	}
	return n
}

// openSummary is what a subject has open: its checklist items, worst
// first, and "2 critical, 1 high fail; 1 unknown".
func openSummary(s *results.Subject) ([]string, string) {
	bySev := map[results.Severity]int{}
	other := map[results.Status]int{}
	var items []string
	seen := map[string]bool{}
	for _, f := range s.Findings {
		if !open(&f) {
			continue
		}
		if f.Status == results.Fail || f.Status == results.Error {
			bySev[f.Severity]++
		} else {
			other[f.Status]++
		}
		if !seen[f.Checklist] {
			seen[f.Checklist] = true
			items = append(items, f.Checklist)
		}
	}
	var parts []string
	for _, sev := range results.Severities {
		if n := bySev[sev]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	counts := strings.Join(parts, ", ")
	if counts != "" {
		counts += " failing"
	}
	for _, st := range results.Statuses {
		if n := other[st]; n > 0 {
			if counts != "" {
				counts += "; "
			}
			counts += fmt.Sprintf("%d %s", n, st)
		}
	}
	return items, counts
}

// accountScore ranks an account by what it has failing (critical first).
func accountScore(s *results.Subject) int {
	score := 0
	for _, f := range s.Findings {
		if f.Status == results.Fail || f.Status == results.Error {
			score += severityScore[f.Severity]
		} else if open(&f) {
			score++ // unknown, warn, manual: after every failure
		}
	}
	return score
}

// sortWorstFirst orders accounts by what they have failing, then name.
func sortWorstFirst(subjects []*results.Subject) {
	scores := make(map[*results.Subject]int, len(subjects))
	for _, s := range subjects {
		scores[s] = accountScore(s)
	}
	sort.SliceStable(subjects, func(i, j int) bool {
		a, b := subjects[i], subjects[j]
		if scores[a] != scores[b] {
			return scores[a] > scores[b]
		}
		return a.Subject < b.Subject
	})
}

// ageLine says how old what is judged is, when a scan carried accounts
// from an earlier one: how many were read, how many carried, and the
// oldest read.
func (r *overview) ageLine() string {
	if r.oldest == nil || r.carried == 0 {
		return ""
	}
	return fmt.Sprintf("Judged on data of different ages: %d accounts read by this scan, %d carried from an earlier one unchanged; the oldest was read %s (%s ago)",
		r.accounts-r.carried, r.carried, r.oldest.UTC().Format("2006-01-02 15:04"), ageWords(r.meta.GeneratedAt.Sub(*r.oldest)))
}

// ageWords is a duration as a person says it: "3 days", "5 hours".
func ageWords(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24+0.5))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()+0.5))
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes()+0.5))
}

// readNote says when a subject's snapshot was read, and that it was
// carried from an earlier scan, for a scan that carries accounts; "" for
// one read by the run that judged it.
func readNote(s *results.Subject, now time.Time) string {
	if s.ReadAt == nil || !s.Carried && now.Sub(*s.ReadAt) < 24*time.Hour {
		return ""
	}
	note := "read " + ageWords(now.Sub(*s.ReadAt)) + " ago, " + s.ReadAt.UTC().Format("2006-01-02 15:04") + " UTC"
	if s.Carried {
		note += " (carried unchanged from an earlier scan)"
	}
	return note
}
