package reports

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/results"
)

// syntheticScan is a posture scan of n accounts built from the fixture's
// real findings: about a third of the accounts have one to three failing
// items (as the generated tenant has), the rest pass everything; one
// account in fifty has a section Exchange could not read.
func syntheticScan(t testing.TB, n int) (results.Meta, []*results.Subject, results.Summary) {
	meta, subs, _ := loadFixture(t)
	var open, passed [][]results.Finding
	for _, s := range subs {
		var o, p []results.Finding
		for _, f := range s.Findings {
			switch f.Status {
			case results.Pass:
				p = append(p, f)
			case results.Fail:
				o = append(o, f)
			}
		}
		open, passed = append(open, o), append(passed, p)
	}
	tally := results.NewTally(results.GateOf(meta))
	var out []*results.Subject
	for i := range n {
		k := i % len(subs)
		s := &results.Subject{Subject: fmt.Sprintf("user%06d@contoso.com", i), Tenant: "6f1c2d3e-0000-4000-8000-0000000c0a50",
			Source: fmt.Sprintf("snapshots.jsonl:%d", i+1), SHA256: strings.Repeat("ab", 32), Mode: "posture"}
		s.Findings = append(s.Findings, passed[k]...)
		if i%3 == 0 && len(open[k]) > 0 {
			for j := 0; j <= i%3+i%2 && j < len(open[k]); j++ {
				f := open[k][(i/3+j)%len(open[k])]
				f.Subject = s.Subject
				s.Findings = append(s.Findings, f)
			}
		}
		if i%50 == 7 {
			s.NotRead = []results.NotRead{{Section: "mailbox.inboxRules", Status: "error", Detail: "Get-InboxRule: 503 ServiceUnavailable after 6 tries"}}
		}
		tally.Add(s)
		out = append(out, s)
	}
	return meta, out, tally.Summary
}

// A scan of 10,000 accounts: the terminal gets at most 60 lines, the HTML
// page at most 5 MB and the Markdown at most 1 MiB, each leading with what
// the tenant comes to; every finding is in the JSON.
func TestReportsScaleToATenant(t *testing.T) {
	meta, subs, sum := syntheticScan(t, 10000)
	render := func(format string, opts Options) string {
		var buf bytes.Buffer
		r, err := New(format, &buf, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := Render(r, meta, subs, sum); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	withOpen, blocking := 0, 0
	gate := results.GateOf(meta)
	for _, s := range subs {
		o, b := false, false
		for i := range s.Findings {
			o = o || open(&s.Findings[i])
			b = b || gate.Blocks(&s.Findings[i])
		}
		if o {
			withOpen++
		}
		if b {
			blocking++
		}
	}
	if withOpen < 1000 {
		t.Fatalf("the synthetic scan has %d accounts with something open", withOpen)
	}
	summary := render("summary", Options{})
	if lines := strings.Count(summary, "\n"); lines > 60 {
		t.Errorf("the summary of 10,000 accounts is %d lines:\n%s", lines, summary)
	}
	for _, want := range []string{fmt.Sprintf("10000 accounts: %d accounts with a blocking finding (%d%%)", blocking, (100*blocking+5000)/10000), "Exposed accounts by checklist item, worst first:", "Worst accounts:", "Not read: 200 accounts", "mailbox.inboxRules"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q:\n%s", want, summary)
		}
	}
	html := render("html", Options{OpenOnly: true})
	if len(html) > 5<<20 {
		t.Errorf("the HTML of 10,000 accounts is %.1f MB", float64(len(html))/(1<<20))
	}
	exposures, accounts := strings.Index(html, `id="exposures"`), strings.Index(html, `id="accounts"`)
	if exposures < 0 || accounts < exposures {
		t.Error("the HTML does not lead with the exposures")
	}
	if got := strings.Count(html, `<tr class="acct"`); got != withOpen {
		t.Errorf("the HTML lists %d accounts with something open, want %d", got, withOpen)
	}
	if !strings.Contains(html, fmt.Sprintf("%d accounts with nothing open (not listed)", 10000-withOpen)) {
		t.Error("the HTML does not count the clean accounts")
	}
	md := render("markdown", Options{OpenOnly: true})
	if len(md) > 1<<20 {
		t.Errorf("the Markdown of 10,000 accounts is %d bytes", len(md))
	}
	if !strings.Contains(md, "## Exposed accounts by checklist item") || !strings.Contains(md, fmt.Sprintf("… and %d more accounts with something open", withOpen-markdownAccountsListed)) {
		t.Errorf("the Markdown does not lead with the exposures or bound its list:\n%.2000s", md)
	}
	t.Logf("10,000 accounts: summary %d lines, HTML %.2f MB, Markdown %d KB", strings.Count(summary, "\n"), float64(len(html))/(1<<20), len(md)>>10)
}

// The diff of two nights of 100,000 accounts, 1% of which changed, fits a
// GitHub step summary (1 MiB) in Markdown, leading with its counts.
func TestDiffMarkdownOfATenant(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 accounts twice: not in -short")
	}
	meta, subs, _ := loadFixture(t)
	var fail, pass []results.Finding
	for _, s := range subs {
		for _, f := range s.Findings {
			if f.Status == results.Fail && len(fail) < 2 && (len(fail) == 0 || fail[0].PolicyID != f.PolicyID) {
				fail = append(fail, f)
			}
			if f.Status == results.Pass && len(pass) < 2 && (len(pass) == 0 || pass[0].PolicyID != f.PolicyID) {
				pass = append(pass, f)
			}
		}
	}
	night := func(n int, at time.Time) *bytes.Buffer {
		var buf bytes.Buffer
		m := meta
		m.GeneratedAt = at
		r, _ := New("json", &buf, Options{})
		r.Begin(m)
		tally := results.NewTally(results.GateOf(m))
		for i := range 100000 {
			s := &results.Subject{Subject: fmt.Sprintf("user%06d@contoso.com", i), Tenant: "t1", Mode: "posture", Source: "s", SHA256: "x"}
			s.Findings = append(s.Findings, pass...)
			// 1% of the accounts change between the nights: the first
			// night's failing ones are fixed, others start failing.
			changed := i%100 == 7
			if (i%10 == 0) != (changed && n == 2) {
				s.Findings = append(s.Findings, fail...)
			}
			tally.Add(s)
			r.Subject(s)
		}
		r.End(tally.Summary)
		return &buf
	}
	t0 := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	d, err := results.Compare(night(1, t0), night(2, t0.Add(24*time.Hour)), results.High)
	if err != nil {
		t.Fatal(err)
	}
	d.OmitStillFailing()
	var md bytes.Buffer
	if err := WriteDiff(&md, d, "markdown"); err != nil {
		t.Fatal(err)
	}
	if md.Len() > 1<<20 {
		t.Errorf("the diff's Markdown is %d bytes, over 1 MiB", md.Len())
	}
	head, _, _ := strings.Cut(md.String(), "\n")
	if !strings.Contains(head, "newly failing") || !strings.Contains(head, "still failing") {
		t.Errorf("the Markdown does not lead with the counts: %q", head)
	}
	if strings.Contains(md.String(), "Still failing") {
		t.Error("the Markdown lists what still fails")
	}
	if got := d.Count(results.NewlyFailing) + d.Count(results.Fixed); got != 2*1000 {
		t.Errorf("%d findings changed, want 2,000 (1,000 accounts, two policies)", got)
	}
	t.Logf("%d changes, Markdown %d KB", len(d.Entries), md.Len()>>10)
}
