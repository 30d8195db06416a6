package reports

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/results"
)

func newMarkdown(w io.Writer, opts Options) Reporter {
	return newBuffered(w, opts, renderMarkdown)
}

var statusIcon = map[results.Status]string{
	results.Pass:    "✅",
	results.Fail:    "❌",
	results.Warn:    "⚠️",
	results.Manual:  "✋",
	results.Unknown: "❔",
	results.Waived:  "➖",
	results.Error:   "💥",
}

func renderMarkdown(w io.Writer, doc *document) error {
	var b strings.Builder
	sum := doc.Summary
	fmt.Fprintf(&b, "# closeout: %s\n\n", verdict(sum))
	if doc.Meta.Partial != "" {
		fmt.Fprintf(&b, "> **%s**\n\n", mdText(doc.Meta.Partial))
	}
	b.WriteString("| accounts |")
	for _, st := range results.Statuses {
		fmt.Fprintf(&b, " %s %s |", statusIcon[st], st)
	}
	b.WriteString(" blocking |\n|---:|")
	for range results.Statuses {
		b.WriteString("---:|")
	}
	fmt.Fprintf(&b, "---:|\n| %d |", sum.Subjects)
	for _, st := range results.Statuses {
		fmt.Fprintf(&b, " %d |", sum.ByStatus[st])
	}
	fmt.Fprintf(&b, " %d |\n\n", sum.Blocking)
	gate := "Blocking: an evaluation error at any severity"
	if doc.Meta.FailOn != results.NoFailures {
		gate = fmt.Sprintf("Blocking: a failure at or above **%s**, an evaluation error at any severity", doc.Meta.FailOn)
	}
	if doc.Meta.Strict {
		gate += ", or an unknown (strict)"
	}
	if doc.Meta.Manual {
		gate += ", or a human step not attested"
	}
	fmt.Fprintf(&b, "%s. closeout %s, policy set `%s` (%d policies).\n",
		gate, doc.Meta.Tool.Version, doc.Meta.PolicySet.Digest, doc.Meta.PolicySet.Count)
	if bundle := doc.Meta.PolicySet.Bundle; bundle != nil {
		fmt.Fprintf(&b, "\nPolicies from %s.\n", mdText(bundle.Describe()))
	}
	if sum.InputErrorCount > 0 {
		fmt.Fprintf(&b, "\n**%d inputs could not be read:**\n\n", sum.InputErrorCount)
		for _, e := range sum.InputErrors {
			fmt.Fprintf(&b, "- %s\n", mdCode(e.Message))
		}
	}
	if trend := trendOf(doc); trend != nil {
		b.WriteString("\n**Failing findings over the recorded runs:**\n\n| run | critical | high | medium | low |\n|---|---:|---:|---:|---:|\n")
		for _, p := range trend {
			fmt.Fprintf(&b, "| %s | %d | %d | %d | %d |\n", p.At.Format("2006-01-02 15:04"), p.Failing[results.Critical], p.Failing[results.High], p.Failing[results.Medium], p.Failing[results.Low])
		}
	}
	if doc.tenantView() {
		renderMarkdownTenant(&b, doc)
	} else {
		for _, s := range doc.Subjects {
			renderMarkdownSubject(&b, s, doc.Meta.GeneratedAt)
		}
		if doc.Clean > 0 {
			fmt.Fprintf(&b, "\n%s with nothing open (not listed).\n", plural(doc.Clean, "account"))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// markdownAccountsListed bounds the exposed accounts a scan's Markdown
// lists one by one: a step summary or ticket has room for that many, and
// results.json holds them all.
const markdownAccountsListed = 500

// renderMarkdownTenant is a scan's Markdown: what the tenant comes to,
// then each exposed account on one line, worst first.
func renderMarkdownTenant(b *strings.Builder, doc *document) {
	over := doc.Over
	fmt.Fprintf(b, "\n**%s of %s have a blocking finding (%s).**\n", plural(over.exposed, "account"), plural(over.accounts, "account"), percent(over.exposed, over.accounts))
	if line := over.ageLine(); line != "" {
		fmt.Fprintf(b, "\n%s.\n", line)
	}
	if items := over.exposures(); len(items) > 0 {
		b.WriteString("\n## Exposed accounts by checklist item\n\n| severity | checklist item | accounts | policies |\n|---|---|---:|---|\n")
		for _, it := range items {
			fmt.Fprintf(b, "| %s | %s | %d | %s |\n", it.severity, mdCode(it.item), it.accounts, mdText(strings.Join(sortedKeys(it.policies), ", ")))
		}
	}
	var tenants, accounts []*results.Subject
	for _, s := range doc.Subjects {
		if s.Mode == "tenant" {
			tenants = append(tenants, s)
		} else {
			accounts = append(accounts, s)
		}
	}
	for _, s := range tenants {
		renderMarkdownSubject(b, s, doc.Meta.GeneratedAt)
	}
	sortWorstFirst(accounts)
	listed := 0
	for _, s := range accounts {
		if countOpen(s) > 0 {
			listed++
		}
	}
	if listed > 0 {
		fmt.Fprintf(b, "\n## Accounts with something open, worst first\n\n| account | open | checklist items |\n|---|---|---|\n")
		n := 0
		for _, s := range accounts {
			if countOpen(s) == 0 {
				continue
			}
			if n == markdownAccountsListed {
				fmt.Fprintf(b, "\n… and %d more accounts with something open: results.json has every finding.\n", listed-n)
				break
			}
			n++
			items, counts := openSummary(s)
			fmt.Fprintf(b, "| %s | %s | %s |\n", mdText(s.Subject), counts, mdText(strings.Join(items, ", ")))
		}
	}
	if clean := over.accounts - listed; clean > 0 {
		fmt.Fprintf(b, "\n%s with nothing open (not listed).\n", plural(clean, "account"))
	}
	if over.readAny > 0 {
		fmt.Fprintf(b, "\n## Not read\n\n%s with a section missing; their findings that need it are unknown.\n\n| section | status | accounts | for example |\n|---|---|---:|---|\n", plural(over.readAny, "account"))
		for _, k := range over.notReadLines() {
			fmt.Fprintf(b, "| %s | %s | %d | %s |\n", mdCode(k.section), mdText(k.status), over.notRead[k], mdText(truncate(over.readWhy[k], 120)))
		}
	}
	if len(doc.Meta.Policies) > 0 && len(over.items) > 0 {
		b.WriteString("\n## What to do\n\n")
		for _, p := range doc.Meta.Policies {
			if !failingPolicy(over, p.ID) || p.Remediation == "" {
				continue
			}
			fmt.Fprintf(b, "- **%s %s**: %s\n", mdText(p.ID), mdText(p.Title), mdLines(p.Remediation))
		}
	}
}

// failingPolicy says a policy failed for some account of the overview.
func failingPolicy(over *overview, id string) bool {
	for _, it := range over.items {
		if it.policies[id] {
			return true
		}
	}
	return false
}

func renderMarkdownSubject(b *strings.Builder, raw *results.Subject, now time.Time) {
	source, sha := mdCode(raw.Source), mdCode(raw.SHA256)
	s := displayText(raw, mdText)
	title := s.Subject
	if s.DisplayName != "" {
		title = fmt.Sprintf("%s (%s)", s.DisplayName, s.Subject)
	}
	context := "posture scan"
	if s.Mode == "incident" {
		context = "incident " + s.Incident
	}
	if note := readNote(raw, now); note != "" {
		sha += " · " + note
	}
	fmt.Fprintf(b, "\n## %s\n\n%s · snapshot %s · sha256 %s\n\n", title, context, source, sha)
	var openItems []results.Finding
	done := 0
	for i, f := range s.Findings {
		if open(&f) {
			f.Checklist = mdCode(raw.Findings[i].Checklist)
			if note := historyNote(&raw.Findings[i]); note != "" {
				if f.History.New {
					note = "🆕 " + note
				}
				f.Message += " (" + note + ")"
			}
			openItems = append(openItems, f)
		} else {
			done++
		}
	}
	defer markdownTimeline(b, s.Timeline)
	if len(openItems) == 0 {
		fmt.Fprintf(b, "All %d checks passed.\n", done)
		return
	}
	b.WriteString("| | status | severity | checklist | policy | finding |\n|---|---|---|---|---|---|\n")
	for _, f := range openItems {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", statusIcon[f.Status], statusLabel[f.Status], f.Severity,
			f.Checklist, f.PolicyID, f.Message)
	}
	fmt.Fprintf(b, "\n%d other checks passed.\n\n### What to do\n\n", done)
	for _, f := range openItems {
		if f.Remediation == "" {
			continue
		}
		fmt.Fprintf(b, "- **%s %s**: %s\n", f.PolicyID, f.Title, f.Remediation)
	}
}

func markdownTimeline(b *strings.Builder, events []results.Event) {
	if len(events) == 0 {
		return
	}
	b.WriteString("\n### Timeline\n\n| when (UTC) | what |\n|---|---|\n")
	for _, e := range events {
		fmt.Fprintf(b, "| %s | %s |\n", e.At.Format("2006-01-02 15:04"), e.What)
	}
}
