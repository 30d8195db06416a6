package reports

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"sort"
	"strings"

	"github.com/closeout-dev/closeout/results"
)

//go:embed html/report.html.tmpl html/report.css html/report.js
var htmlAssets embed.FS

var htmlTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"evidence": func(v map[string]any) string {
		if len(v) == 0 {
			return ""
		}
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	},
	"label":  func(s results.Status) string { return statusLabel[s] },
	"readAt": readNote,
	"counts": func(s *results.Subject) []htmlCount {
		n := map[results.Status]int{}
		for _, f := range s.Findings {
			n[f.Status]++
		}
		var out []htmlCount
		for _, st := range results.Statuses {
			if n[st] > 0 {
				out = append(out, htmlCount{Status: st, Label: statusLabel[st], Count: n[st]})
			}
		}
		return out
	},
	"lower":    strings.ToLower,
	"httpsURL": httpsURL,
	// ordered puts what needs attention first: open, then the rest.
	"ordered": func(fs []results.Finding) []results.Finding {
		out := append([]results.Finding(nil), fs...)
		sort.SliceStable(out, func(i, j int) bool { return worse(out[i].Status, out[j].Status) })
		return out
	},
	"isOpen":      func(s results.Status) bool { return s != results.Pass && s != results.Waived },
	"historyNote": func(f results.Finding) string { return historyNote(&f) },
	"isNew":       func(f results.Finding) bool { return f.History != nil && f.History.New },
	// commitNote is the commit when the version does not already say it.
	"commitNote": func(t results.Tool) string {
		if t.Commit == "" || strings.Contains(t.Version, t.Commit) || strings.HasPrefix(t.Commit, t.Version) {
			return ""
		}
		return t.Commit
	},
	"css": func() template.CSS { return template.CSS(htmlCSS) },
	"js":  func() template.JS { return template.JS(htmlJS) },
	"csp": func() string { return htmlCSP },
}).ParseFS(htmlAssets, "html/report.html.tmpl"))

// The page's one style sheet and one script, and the Content-Security-Policy
// that lets exactly them run, by their hashes: nothing else on the page
// (no other script or style, no request anywhere, no form, no base URL)
// whatever text from the tenant it holds.
var (
	htmlCSS = mustAsset("html/report.css")
	htmlJS  = mustAsset("html/report.js")
	htmlCSP = "default-src 'none'; style-src '" + cspHash(htmlCSS) + "'; script-src '" + cspHash(htmlJS) +
		"'; img-src data:; base-uri 'none'; form-action 'none'"
)

func mustAsset(name string) string {
	b, err := htmlAssets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// cspHash is a CSP source for an inline element's exact content.
func cspHash(content string) string {
	sum := sha256.Sum256([]byte(content))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

func newHTML(w io.Writer, opts Options) Reporter {
	return newBuffered(w, opts, renderHTML)
}

// htmlView is what the template renders.
type htmlView struct {
	// Tenant is set for a scan's report (document.tenantView): the
	// overview and one line per exposed account instead of every finding.
	Tenant     *htmlTenant
	Doc        *document
	Verdict    string
	Subjects   string
	Trend      template.HTML
	Blocked    bool
	Statuses   []htmlCount
	Severities []results.Severity
	Checklist  []htmlChecklistItem
}

// htmlTenant is a scan's report: the tenant's exposures by item, its
// tenant documents in full, then each account with something open on one
// row (worst first, findings behind a click), the rest counted.
type htmlTenant struct {
	Accounts, Exposed, Clean, More int
	Percent                        string
	Age                            string // how old what is judged is, when accounts were carried
	Items                          []htmlItem
	Tenants                        []*results.Subject
	Rows                           []htmlAccountRow
	NotRead                        []htmlNotRead
	Remedies                       []results.PolicyInfo
}

type htmlItem struct {
	Severity results.Severity
	Item     string
	Accounts int
	Policies string
}

type htmlAccountRow struct {
	Subject  string
	Worst    results.Severity
	Counts   string
	Items    string
	Findings []results.Finding
}

type htmlNotRead struct {
	Section, Status, Detail string
	Accounts                int
}

// htmlAccountsListed bounds the rows of a scan's page (about 1 KB each):
// results.json holds every account.
const htmlAccountsListed = 5000

func tenantHTML(doc *document) *htmlTenant {
	over := doc.Over
	t := &htmlTenant{Accounts: over.accounts, Exposed: over.exposed, Percent: percent(over.exposed, over.accounts), Age: over.ageLine()}
	for _, it := range over.exposures() {
		t.Items = append(t.Items, htmlItem{Severity: it.severity, Item: it.item, Accounts: it.accounts, Policies: strings.Join(sortedKeys(it.policies), ", ")})
	}
	var accounts []*results.Subject
	for _, s := range doc.Subjects {
		if s.Mode == "tenant" {
			t.Tenants = append(t.Tenants, s)
		} else if countOpen(s) > 0 {
			accounts = append(accounts, s)
		}
	}
	sortWorstFirst(accounts)
	t.Clean = over.accounts - len(accounts)
	for i, s := range accounts {
		if i == htmlAccountsListed {
			t.More = len(accounts) - i
			break
		}
		items, counts := openSummary(s)
		row := htmlAccountRow{Subject: s.Subject, Counts: counts, Items: strings.Join(items, " "), Worst: results.Info}
		for _, f := range s.Findings {
			if open(&f) {
				row.Findings = append(row.Findings, results.Finding{PolicyID: f.PolicyID, Message: f.Message})
				if (f.Status == results.Fail || f.Status == results.Error) && f.Severity.Rank() > row.Worst.Rank() {
					row.Worst = f.Severity
				}
			}
		}
		t.Rows = append(t.Rows, row)
	}
	for _, k := range over.notReadLines() {
		t.NotRead = append(t.NotRead, htmlNotRead{Section: k.section, Status: k.status, Detail: truncate(over.readWhy[k], 160), Accounts: over.notRead[k]})
	}
	for _, p := range doc.Meta.Policies {
		if failingPolicy(over, p.ID) && p.Remediation != "" {
			t.Remedies = append(t.Remedies, p)
		}
	}
	return t
}

type htmlCount struct {
	Status results.Status
	Label  string
	Count  int
}

type htmlChecklistItem struct {
	Key   string
	Worst results.Status
	Rows  []htmlChecklistRow
}

type htmlChecklistRow struct {
	Subject string
	Finding results.Finding
}

// worse orders statuses by how much attention they need.
func worse(a, b results.Status) bool {
	rank := func(s results.Status) int {
		for i, st := range results.Statuses {
			if st == s {
				return i
			}
		}
		return len(results.Statuses)
	}
	return rank(a) < rank(b)
}

// worstOf is the status of a subject's finding that needs most attention.
func worstOf(s *results.Subject) results.Status {
	w := results.Pass
	for _, f := range s.Findings {
		if worse(f.Status, w) {
			w = f.Status
		}
	}
	return w
}

func renderHTML(w io.Writer, doc *document) error {
	// Accounts with something open come first, in input order otherwise.
	subjects := append([]*results.Subject(nil), doc.Subjects...)
	sort.SliceStable(subjects, func(i, j int) bool { return worse(worstOf(subjects[i]), worstOf(subjects[j])) })
	ordered := *doc
	ordered.Subjects = subjects
	doc = &ordered
	view := htmlView{
		Doc:        doc,
		Verdict:    verdict(doc.Summary),
		Subjects:   subjectsLabel(doc.Summary),
		Trend:      trendSVG(trendOf(doc)),
		Blocked:    doc.Summary.Blocking > 0 || doc.Summary.InputErrorCount > 0,
		Severities: results.Severities,
	}
	if doc.tenantView() {
		view.Tenant = tenantHTML(doc)
	}
	for _, st := range results.Statuses {
		view.Statuses = append(view.Statuses, htmlCount{Status: st, Label: statusLabel[st], Count: doc.Summary.ByStatus[st]})
	}
	index := map[string]int{}
	for _, s := range doc.Subjects {
		for _, f := range s.Findings {
			i, ok := index[f.Checklist]
			if !ok {
				i = len(view.Checklist)
				index[f.Checklist] = i
				view.Checklist = append(view.Checklist, htmlChecklistItem{Key: f.Checklist, Worst: f.Status})
			}
			item := &view.Checklist[i]
			item.Rows = append(item.Rows, htmlChecklistRow{Subject: s.Subject, Finding: f})
			if worse(f.Status, item.Worst) {
				item.Worst = f.Status
			}
		}
	}
	sort.SliceStable(view.Checklist, func(i, j int) bool { return worse(view.Checklist[i].Worst, view.Checklist[j].Worst) })
	for i := range view.Checklist {
		rows := view.Checklist[i].Rows
		sort.SliceStable(rows, func(a, b int) bool { return worse(rows[a].Finding.Status, rows[b].Finding.Status) })
	}
	return htmlTemplate.Execute(w, view)
}
