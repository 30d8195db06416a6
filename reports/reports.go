// Package reports renders closeout.results/v1 documents. Every format is a
// Reporter that receives the document as a stream (meta, then each subject,
// then the summary). table, json, junit and ocsf write as results arrive, so
// a tenant of any size renders in bounded memory; markdown, html and sarif
// need the whole document and hold it until the end.
package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/closeout-dev/closeout/results"
)

// Reporter renders one results document.
type Reporter interface {
	Begin(meta results.Meta) error
	Subject(s *results.Subject) error
	End(sum results.Summary) error
}

// Options tune rendering.
type Options struct {
	// Color enables ANSI colours (a terminal, NO_COLOR unset).
	Color bool
	// OpenOnly leaves passing and waived findings out of the table and the
	// checklist (the data formats always carry everything).
	OpenOnly bool
	// SARIFCategory is the SARIF run's automationDetails.id, so that two
	// uploads to code scanning from one job do not replace each other.
	SARIFCategory string
}

// Format describes one output format, for --format help and validation.
type Format struct {
	Name        string
	Extension   string
	Description string
	new         func(w io.Writer, opts Options) Reporter
}

// Formats lists every output format.
var Formats = []Format{
	{"table", "txt", "human-readable findings per account, coloured on a terminal", newTable},
	{"summary", "summary.txt", "a scan's summary: accounts exposed, by checklist item worst first, the worst accounts, what could not be read (at most about 60 lines at any size)", newSummary},
	{"checklist", "checklist.txt", "the close-out checklist: each item Done, Open, Needs a human or Unknown, with evidence and what to do", newChecklist},
	{"json", "json", "closeout.results/v1: every finding with evidence, digests and summary", newJSON},
	{"markdown", "md", "paste-ready for a ticket or $GITHUB_STEP_SUMMARY: summary, then open items with remediation", newMarkdown},
	{"html", "html", "one self-contained page: summary, per-account and per-checklist views, filters, evidence", newHTML},
	{"sarif", "sarif", "SARIF 2.1.0 for code-scanning views, one rule per policy", newSARIF},
	{"junit", "xml", "JUnit XML: a test suite per account, a test case per policy", newJUnit},
	{"ocsf", "jsonl", "OCSF Compliance Finding events (class 2003), one per line, for a SIEM", newOCSF},
}

// FormatNames is the list of format names, for help text.
func FormatNames() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = f.Name
	}
	return strings.Join(names, "|")
}

// New returns the reporter for format, writing to w.
func New(format string, w io.Writer, opts Options) (Reporter, error) {
	for _, f := range Formats {
		if f.Name != format {
			continue
		}
		// The data formats carry bidirectional and control runes inert:
		// JSON escaped (the value is kept), SARIF, JUnit and HTML shown
		// as \uNNNN where people read them. The text formats clean each
		// field themselves (termSafe, mdText).
		switch format {
		case "json", "ocsf":
			w = newInertWriter(w, escapedRune)
		case "sarif":
			w = newInertWriter(w, visibleInJSON)
		case "junit", "html":
			w = newInertWriter(w, escapedRune)
		}
		return f.new(w, opts), nil
	}
	return nil, fmt.Errorf("unknown format %q (want one of %s)", format, FormatNames())
}

// Render feeds a whole document to a reporter.
func Render(r Reporter, meta results.Meta, subjects []*results.Subject, sum results.Summary) error {
	if err := r.Begin(meta); err != nil {
		return err
	}
	for _, s := range subjects {
		if err := r.Subject(s); err != nil {
			return err
		}
	}
	return r.End(sum)
}

// Multi sends one document to several reporters.
func Multi(reps ...Reporter) Reporter { return multi(reps) }

type multi []Reporter

func (m multi) Begin(meta results.Meta) error {
	for _, r := range m {
		if err := r.Begin(meta); err != nil {
			return err
		}
	}
	return nil
}

func (m multi) Subject(s *results.Subject) error {
	for _, r := range m {
		if err := r.Subject(s); err != nil {
			return err
		}
	}
	return nil
}

func (m multi) End(sum results.Summary) error {
	for _, r := range m {
		if err := r.End(sum); err != nil {
			return err
		}
	}
	return nil
}

// document is a whole results document, for the formats that need it all.
type document struct {
	Meta     results.Meta
	Subjects []*results.Subject
	Summary  results.Summary
	// Over is what every subject came to, whether held or not.
	Over *overview
	// OpenOnly left passing findings out, and with them the posture
	// accounts that had nothing open: Clean counts those.
	OpenOnly bool
	Clean    int
}

// tenantView says a document is a scan's: more posture accounts than a
// person reads one by one. Its reports lead with the overview and list
// exposed accounts, one line each.
func (d *document) tenantView() bool {
	return d.Summary.Incidents == 0 && d.Over.accounts > tenantViewAccounts
}

// tenantViewAccounts is the number of posture accounts above which a
// report is a scan's.
const tenantViewAccounts = 20

// buffered collects the document and renders it at the end.
type buffered struct {
	w      io.Writer
	doc    document
	render func(io.Writer, *document) error
}

func newBuffered(w io.Writer, opts Options, render func(io.Writer, *document) error) *buffered {
	return &buffered{w: w, render: render, doc: document{Over: newOverview(), OpenOnly: opts.OpenOnly}}
}

func (b *buffered) Begin(meta results.Meta) error {
	b.doc.Meta = meta
	return b.doc.Over.Begin(meta)
}

func (b *buffered) Subject(s *results.Subject) error {
	b.doc.Over.add(s)
	if b.doc.OpenOnly {
		kept := *s
		kept.Findings = nil
		for _, f := range s.Findings {
			if open(&f) {
				kept.Findings = append(kept.Findings, f)
			}
		}
		if len(kept.Findings) == 0 && s.Mode == "posture" {
			b.doc.Clean++ // counted, not held: a tenant's clean accounts
			return nil
		}
		s = &kept
	}
	b.doc.Subjects = append(b.doc.Subjects, s)
	return nil
}

func (b *buffered) End(sum results.Summary) error {
	b.doc.Summary = sum
	return b.render(b.w, &b.doc)
}

// open reports whether a finding needs attention (anything but pass or waived).
func open(f *results.Finding) bool { return f.Status != results.Pass && f.Status != results.Waived }

// verdict is the one-line answer for a document.
// verdict is a run's outcome worded by what was evaluated: a ticket is
// ready to close or not; a posture scan or a tenant has blocking findings
// or none.
func verdict(sum results.Summary) string {
	switch {
	case sum.InputErrorCount > 0:
		return "incomplete: some inputs could not be read"
	case sum.Incidents > 0 && sum.Blocking > 0:
		return "not ready to close"
	case sum.Incidents > 0:
		return "ready to close"
	case sum.Blocking > 0:
		return plural(sum.Blocking, "blocking finding")
	default:
		return "no blocking finding"
	}
}

// subjectsLabel counts what a summary covered: accounts, tenants or both.
func subjectsLabel(sum results.Summary) string {
	accounts, tenants := sum.Subjects-sum.Tenants, sum.Tenants
	switch {
	case tenants == 0:
		return plural(accounts, "account")
	case accounts == 0:
		return plural(tenants, "tenant")
	}
	return plural(accounts, "account") + " and " + plural(tenants, "tenant")
}

// VerdictLine is one line saying what a run found, for a terminal that
// saw no report: "1 account: not ready to close (1 blocking finding)".
func VerdictLine(sum results.Summary) string {
	line := subjectsLabel(sum) + ": " + verdict(sum)
	if sum.Incidents > 0 && sum.Blocking > 0 {
		line += " (" + plural(sum.Blocking, "blocking finding") + ")"
	}
	return line
}

// statusLabel is how a checklist reads a status.
var statusLabel = map[results.Status]string{
	results.Pass:    "Done",
	results.Fail:    "Open",
	results.Warn:    "Check",
	results.Manual:  "Needs a human",
	results.Unknown: "Unknown",
	results.Waived:  "Waived",
	results.Error:   "Error",
}

// gateWords says what the gate's --fail-on makes blocking.
func gateWords(failOn results.Severity) string {
	if failOn == results.NoFailures {
		return "(--fail-on none: no failure blocks)"
	}
	return "at or above " + string(failOn)
}
