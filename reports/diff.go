package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/closeout-dev/closeout/results"
)

// DiffFormats are the formats closeout diff writes.
var DiffFormats = []string{"table", "json", "markdown"}

var changeLabel = map[results.Change]string{
	results.NewlyFailing:  "NEW",
	results.Fixed:         "FIXED",
	results.StatusChanged: "CHANGED",
	results.StillFailing:  "STILL",
}

// WriteDiff renders a diff in one of DiffFormats.
func WriteDiff(w io.Writer, d *results.Diff, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	case "markdown":
		return diffMarkdown(w, d)
	case "table":
		return diffTable(w, d)
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(DiffFormats, ", "))
}

func diffHeadline(d *results.Diff) string {
	return fmt.Sprintf("%d newly failing, %d fixed, %d other changes, %d still failing; %d new and %d removed accounts",
		d.Count(results.NewlyFailing), d.Count(results.Fixed), d.Count(results.StatusChanged), d.Count(results.StillFailing),
		len(d.NewSubjects), len(d.RemovedSubjects))
}

func policyNote(d *results.Diff) []string {
	var notes []string
	if len(d.PoliciesAdded) > 0 {
		notes = append(notes, "policies added: "+strings.Join(d.PoliciesAdded, ", "))
	}
	if len(d.PoliciesRemoved) > 0 {
		notes = append(notes, "policies removed: "+strings.Join(d.PoliciesRemoved, ", "))
	}
	if len(d.PoliciesChanged) > 0 {
		changed := make([]string, len(d.PoliciesChanged))
		for i, id := range d.PoliciesChanged {
			changed[i] = id
			if what := d.PolicyChanges[id]; len(what) > 0 {
				changed[i] += " (" + strings.Join(what, "; ") + ")"
			}
		}
		notes = append(notes, "policies changed: "+strings.Join(changed, ", "))
	}
	if d.PolicySetChanged && len(notes) == 0 {
		notes = append(notes, "the policy files changed (digest differs): a change may come from a policy's rules")
	}
	return notes
}

func diffWhy(e results.DiffEntry, d *results.Diff) string {
	why := e.Message
	if e.FailingSince != nil {
		why = fmt.Sprintf("failing since at least %s; %s", e.FailingSince.Format("2006-01-02 15:04"), why)
	}
	if e.PolicyChanged {
		why = "(policy changed) " + why
	}
	return why
}

// diffSpan names the two sides: their labels, or the times of the runs.
func diffSpan(d *results.Diff, layout string) string {
	if d.OldLabel != "" || d.NewLabel != "" {
		return d.OldLabel + " → " + d.NewLabel
	}
	return d.OldGeneratedAt.Format(layout) + " → " + d.NewGeneratedAt.Format(layout)
}

func diffTable(w io.Writer, d *results.Diff) error {
	fmt.Fprintf(w, "closeout diff: %s\n", termSafe(diffSpan(d, "2006-01-02 15:04")))
	fmt.Fprintln(w, diffHeadline(d))
	if d.Blocking > 0 && !d.PolicyChange {
		fmt.Fprintf(w, "%s newly failing %s\n", plural(d.Blocking, "finding"), gateWords(d.FailOn))
	}
	for _, n := range policyNote(d) {
		fmt.Fprintf(w, "%s\n", termSafe(n))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(d.Entries) > 0 {
		fmt.Fprintln(tw, "  CHANGE\tSEVERITY\tACCOUNT\tPOLICY\tWAS\tNOW\tFINDING")
	}
	for _, e := range d.Entries {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", changeLabel[e.Change], e.Severity, termSafe(e.Subject), termSafe(e.PolicyID),
			orDash(string(e.Old)), orDash(string(e.New)), termSafe(diffWhy(e, d)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range d.NewSubjects {
		fmt.Fprintf(w, "  new account: %s\n", termSafe(s))
	}
	for _, s := range d.RemovedSubjects {
		fmt.Fprintf(w, "  removed account: %s\n", termSafe(s))
	}
	if d.StillFailingOmitted > 0 && len(d.Entries) > 0 {
		fmt.Fprintf(w, "(%s)\n", omittedNote(d))
	}
	return nil
}

// Bounds of a diff's Markdown: a step summary holds 1 MiB, a ticket less.
const (
	markdownDiffEntries  = 2000
	markdownDiffAccounts = 500
	markdownDiffWhy      = 200
)

func diffMarkdown(w io.Writer, d *results.Diff) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# closeout diff: %s\n\n", mdText(diffHeadline(d)))
	if d.OldLabel != "" || d.NewLabel != "" {
		fmt.Fprintf(&b, "%s.\n", mdText(diffSpan(d, "")))
	} else {
		fmt.Fprintf(&b, "From %s to %s.\n", d.OldGeneratedAt.Format("2006-01-02 15:04 UTC"), d.NewGeneratedAt.Format("2006-01-02 15:04 UTC"))
	}
	for _, n := range policyNote(d) {
		fmt.Fprintf(&b, "\n- %s", mdText(n))
	}
	b.WriteString("\n")
	listed := 0
	for _, section := range []struct {
		change results.Change
		title  string
	}{{results.NewlyFailing, "Newly failing"}, {results.Fixed, "Fixed"}, {results.StatusChanged, "Other changes"}, {results.StillFailing, "Still failing"}} {
		if !slices.ContainsFunc(d.Entries, func(e results.DiffEntry) bool { return e.Change == section.change }) {
			continue
		}
		fmt.Fprintf(&b, "\n## %s (%d)\n\n| severity | account | policy | was | now | finding |\n|---|---|---|---|---|---|\n", section.title, d.Count(section.change))
		left := 0
		for _, e := range d.Entries {
			if e.Change != section.change {
				continue
			}
			if listed >= markdownDiffEntries {
				left++
				continue
			}
			listed++
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", e.Severity, mdText(e.Subject), mdCode(e.PolicyID),
				orDash(string(e.Old)), orDash(string(e.New)), mdText(truncate(diffWhy(e, d), markdownDiffWhy)))
		}
		if left > 0 {
			fmt.Fprintf(&b, "\n… and %d more: closeout diff -f json lists every one.\n", left)
		}
	}
	for _, list := range []struct {
		title    string
		subjects []string
	}{{"New accounts", d.NewSubjects}, {"Removed accounts", d.RemovedSubjects}} {
		if len(list.subjects) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s (%d)\n\n", list.title, len(list.subjects))
		for i, s := range list.subjects {
			if i == markdownDiffAccounts {
				fmt.Fprintf(&b, "- … and %d more\n", len(list.subjects)-i)
				break
			}
			fmt.Fprintf(&b, "- %s\n", mdText(s))
		}
	}
	if d.StillFailingOmitted > 0 {
		fmt.Fprintf(&b, "\n%s.\n", omittedNote(d))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// omittedNote says what the listing leaves out, and how to see it.
func omittedNote(d *results.Diff) string {
	if d.PolicyChange {
		return plural(d.StillFailingOmitted, "finding") + " failing under both policy sets, with the same status and policy, not listed: not the change's doing"
	}
	return plural(d.StillFailingOmitted, "finding") + " still failing not listed: closeout diff --all lists them"
}
