package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/closeout-dev/closeout/results"
)

// checklistReporter prints what a responder closing a ticket reads: each
// checklist item Done, Open, Needs a human or Unknown, the evidence behind
// it and, for what is open, exactly what to do.
type checklistReporter struct {
	painter
	subjectCounter
	w        *bufio.Writer
	meta     results.Meta
	openOnly bool
}

var _ Reporter = (*checklistReporter)(nil)

func newChecklist(w io.Writer, opts Options) Reporter {
	return &checklistReporter{w: bufio.NewWriter(w), painter: painter(opts.Color), openOnly: opts.OpenOnly}
}

func (r *checklistReporter) Begin(meta results.Meta) error { r.meta = meta; return nil }

// item is one checklist key's findings.
type item struct {
	key      string
	worst    results.Status
	findings []results.Finding
}

func (r *checklistReporter) Subject(s *results.Subject) error {
	r.count(s)
	s = displayText(s, termSafe)
	gate := results.GateOf(r.meta)
	var items []*item
	byKey := map[string]*item{}
	blocking := 0
	for _, f := range s.Findings {
		it := byKey[f.Checklist]
		if it == nil {
			it = &item{key: f.Checklist, worst: f.Status}
			byKey[f.Checklist] = it
			items = append(items, it)
		}
		it.findings = append(it.findings, f)
		if worse(f.Status, it.worst) {
			it.worst = f.Status
		}
		if gate.Blocks(&f) {
			blocking++
		}
	}
	context := "posture"
	if s.Incident != "" {
		context = "incident " + s.Incident
	} else if s.Mode != "" {
		context = s.Mode
	}
	verdict := r.paint(ansiBold+ansiGreen, "READY TO CLOSE")
	if blocking > 0 {
		verdict = r.paint(ansiBold+ansiRed, fmt.Sprintf("NOT READY TO CLOSE: %s", plural(blocking, "blocking item")))
	}
	fmt.Fprintf(r.w, "%s  %s  %s\n", r.paint(ansiBold, s.Subject), context, verdict)
	for _, it := range items {
		if r.openOnly && (it.worst == results.Pass || it.worst == results.Waived) {
			continue
		}
		label := fmt.Sprintf("%-15s", "["+statusLabel[it.worst]+"]")
		fmt.Fprintf(r.w, "  %s %s\n", r.paint(statusColor[it.worst], label), it.key)
		for _, f := range it.findings {
			if f.Status == results.Pass || f.Status == results.Waived {
				continue
			}
			fmt.Fprintf(r.w, "                  %s: %s\n", f.PolicyID, f.Message)
			if f.Remediation != "" && f.Status != results.Unknown {
				fmt.Fprintf(r.w, "                  → %s\n", f.Remediation)
			}
		}
		for _, e := range s.Timeline {
			if e.Checklist == it.key && (it.worst == results.Pass || it.worst == results.Warn) {
				fmt.Fprintf(r.w, "                  %s %s\n", e.At.Format("2006-01-02 15:04"), e.What)
			}
		}
	}
	writeTimeline(r.w, s.Timeline, "  ")
	_, err := r.w.WriteString("\n")
	return err
}

func (r *checklistReporter) End(sum results.Summary) error {
	counts := make([]string, 0, len(results.Statuses))
	for _, st := range results.Statuses {
		if n := sum.ByStatus[st]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, strings.ToLower(statusLabel[st])))
		}
	}
	fmt.Fprintf(r.w, "%s: %s (%s)\n", r.label(), verdict(sum), strings.Join(counts, ", "))
	if r.meta.Partial != "" {
		fmt.Fprintln(r.w, termSafe(r.meta.Partial))
	}
	return r.w.Flush()
}
