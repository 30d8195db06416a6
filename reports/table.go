package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/closeout-dev/closeout/results"
)

// tableReporter prints each account's findings as an aligned table.
type tableReporter struct {
	painter
	subjectCounter
	w        *bufio.Writer
	meta     results.Meta
	openOnly bool
}

var _ Reporter = (*tableReporter)(nil)

func newTable(w io.Writer, opts Options) Reporter {
	return &tableReporter{w: bufio.NewWriter(w), painter: painter(opts.Color), openOnly: opts.OpenOnly}
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiPurple = "\x1b[35m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

var statusColor = map[results.Status]string{
	results.Fail:    ansiBold + ansiRed,
	results.Error:   ansiRed,
	results.Unknown: ansiPurple,
	results.Manual:  ansiCyan,
	results.Warn:    ansiYellow,
	results.Waived:  ansiBlue,
	results.Pass:    ansiGreen,
}

// painter colours text for a terminal, or leaves it alone.
type painter bool

func (p painter) paint(color, s string) string {
	if !bool(p) || color == "" {
		return s
	}
	return color + s + ansiReset
}

func (r *tableReporter) Begin(meta results.Meta) error {
	r.meta = meta
	return nil
}

func (r *tableReporter) Subject(s *results.Subject) error {
	r.count(s)
	s = displayText(s, termSafe)
	header := s.Subject
	if s.Mode == "incident" && s.Incident != "" {
		header += "  incident " + s.Incident
	} else {
		header += "  " + s.Mode
	}
	fmt.Fprintf(r.w, "%s  %s\n", r.paint(ansiBold, header), r.paint(ansiDim, s.Source))
	tw := tabwriter.NewWriter(r.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  STATUS\tSEVERITY\tCHECKLIST\tPOLICY\tFINDING")
	for _, f := range s.Findings {
		if r.openOnly && !open(&f) {
			continue
		}
		// Pad before painting so escape codes do not upset the alignment.
		status := r.paint(statusColor[f.Status], fmt.Sprintf("%-7s", strings.ToUpper(string(f.Status))))
		severity := fmt.Sprintf("%-8s", f.Severity)
		switch f.Severity {
		case results.Critical:
			severity = r.paint(ansiBold+ansiRed, severity)
		case results.High:
			severity = r.paint(ansiRed, severity)
		case results.Medium:
			severity = r.paint(ansiYellow, severity)
		}
		msg := f.Title
		if f.Status != results.Pass {
			msg = f.Message
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", status, severity, f.Checklist, f.PolicyID, msg)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	writeTimeline(r.w, s.Timeline, "  ")
	_, err := r.w.WriteString("\n")
	return err
}

// writeTimeline prints an incident's timeline, one event a line.
func writeTimeline(w io.Writer, events []results.Event, indent string) {
	if len(events) == 0 {
		return
	}
	fmt.Fprintf(w, "%stimeline:\n", indent)
	for _, e := range events {
		fmt.Fprintf(w, "%s  %s  %s\n", indent, e.At.Format("2006-01-02 15:04"), e.What)
	}
}

func (r *tableReporter) End(sum results.Summary) error {
	if sum.Subjects == 0 {
		// Nothing was evaluated: the input errors on stderr say it all.
		return r.w.Flush()
	}
	var parts []string
	for _, st := range results.Statuses {
		if n := sum.ByStatus[st]; n > 0 {
			parts = append(parts, r.paint(statusColor[st], fmt.Sprintf("%d %s", n, st)))
		}
	}
	line := fmt.Sprintf("%s, %d findings", r.label(), sum.Findings)
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	fmt.Fprintln(r.w, line)
	if r.meta.Partial != "" {
		fmt.Fprintln(r.w, r.paint(ansiYellow, termSafe(r.meta.Partial)))
	}
	gate := gateWords(r.meta.FailOn)
	if r.meta.Strict {
		gate += ", unknown included (--strict)"
	}
	if n := sum.ByStatus[results.Error]; n > 0 {
		gate += fmt.Sprintf(", %s (errors always block)", plural(n, "evaluation error"))
	}
	switch {
	case sum.Blocking > 0 && sum.Incidents > 0:
		fmt.Fprintln(r.w, r.paint(ansiBold+ansiRed, fmt.Sprintf("%s %s: not ready to close", plural(sum.Blocking, "blocking finding"), gate)))
	case sum.Blocking > 0:
		fmt.Fprintln(r.w, r.paint(ansiBold+ansiRed, fmt.Sprintf("%s %s", plural(sum.Blocking, "blocking finding"), gate)))
	default:
		fmt.Fprintf(r.w, "no blocking finding %s\n", gate)
	}
	if sum.InputErrorCount > 0 {
		fmt.Fprintln(r.w, r.paint(ansiRed, fmt.Sprintf("%s could not be read; the errors are on stderr", plural(sum.InputErrorCount, "input"))))
	}
	return r.w.Flush()
}

// subjectCounter names what a report covered: accounts, tenants or both.
type subjectCounter struct{ accounts, tenants int }

func (c *subjectCounter) count(s *results.Subject) {
	if s.Mode == "tenant" {
		c.tenants++
	} else {
		c.accounts++
	}
}

func (c *subjectCounter) label() string {
	switch {
	case c.tenants == 0:
		return plural(c.accounts, "account")
	case c.accounts == 0:
		return plural(c.tenants, "tenant")
	}
	return plural(c.accounts, "account") + " and " + plural(c.tenants, "tenant")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
