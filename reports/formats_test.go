package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"github.com/closeout-dev/closeout/internal/testtool"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/closeout-dev/closeout/results"
	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

func TestSARIFValidatesAndFingerprints(t *testing.T) {
	out := renderFixture(t, "sarif", nil)
	rep, err := sarif.FromBytes(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Validate(); err != nil {
		t.Fatalf("SARIF does not validate against the 2.1.0 schema: %v", err)
	}
	meta, subs, _ := loadFixture(t)
	run := rep.Runs[0]
	if len(run.Tool.Driver.Rules) != len(meta.Policies) {
		t.Errorf("%d rules for %d policies", len(run.Tool.Driver.Rules), len(meta.Policies))
	}
	for _, r := range run.Tool.Driver.Rules {
		if r.Help == nil || !strings.Contains(*r.Help.Text, "Remediation:") || r.Properties.Properties["security-severity"] == nil {
			t.Errorf("rule %s lacks help or security-severity", *r.ID)
		}
	}
	want := 0
	for _, s := range subs {
		for _, f := range s.Findings {
			if f.Status == results.Fail || f.Status == results.Warn || f.Status == results.Unknown {
				want++
			}
		}
	}
	if len(run.Results) != want {
		t.Errorf("%d results, want %d (fail, warn and unknown findings)", len(run.Results), want)
	}
	// Fingerprints: the same on a second render; one per (account, policy),
	// so two snapshots of one account share it and two accounts do not.
	again, _ := sarif.FromBytes(renderFixture(t, "sarif", nil))
	seen := map[string]string{}
	for i, r := range run.Results {
		fp := r.PartialFingerprints[fingerprintKey]
		if fp == "" || fp != again.Runs[0].Results[i].PartialFingerprints[fingerprintKey] {
			t.Fatalf("result %d: fingerprint %q is not stable", i, fp)
		}
		identity := *r.Locations[0].LogicalLocations[0].Name + " " + *r.RuleID
		if other, ok := seen[fp]; ok && other != identity {
			t.Errorf("fingerprint %s shared by %s and %s", fp, other, identity)
		}
		seen[fp] = identity
		if r.Locations[0].PhysicalLocation.ArtifactLocation.URI == nil || len(r.Locations[0].LogicalLocations) != 1 {
			t.Errorf("result %d lacks a location", i)
		}
	}
	if Fingerprint("t", "alice@contoso.com", "CO-MFA-001") == Fingerprint("t", "bob@contoso.com", "CO-MFA-001") {
		t.Error("two accounts share a fingerprint")
	}
	if bytes.Contains(out, []byte(`"ruleIndex": -1`)) || bytes.Contains(out, []byte(`[]`)) {
		t.Error("SARIF carries empty arrays or unset indices")
	}
}

type junitDoc struct {
	Suites []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
			Error   *struct{} `xml:"error"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitParsesAndCountsMatch(t *testing.T) {
	var doc junitDoc
	if err := xml.Unmarshal(renderFixture(t, "junit", nil), &doc); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	_, subs, sum := loadFixture(t)
	if len(doc.Suites) != len(subs) {
		t.Fatalf("%d suites for %d accounts", len(doc.Suites), len(subs))
	}
	var tests, failures, errors, skipped int
	for _, s := range doc.Suites {
		var f, e, sk int
		for _, c := range s.Cases {
			if c.Failure != nil {
				f++
			}
			if c.Error != nil {
				e++
			}
			if c.Skipped != nil {
				sk++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != sk {
			t.Errorf("suite %s: attributes %d/%d/%d/%d, cases %d/%d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, sk)
		}
		tests, failures, errors, skipped = tests+s.Tests, failures+f, errors+e, skipped+sk
	}
	if tests != sum.Findings || failures != sum.ByStatus[results.Fail] || errors != sum.ByStatus[results.Error] ||
		skipped != sum.ByStatus[results.Unknown]+sum.ByStatus[results.Manual]+sum.ByStatus[results.Waived] {
		t.Errorf("JUnit totals %d/%d/%d/%d do not match the summary %+v", tests, failures, errors, skipped, sum)
	}
}

func TestOCSFEvents(t *testing.T) {
	out := renderFixture(t, "ocsf", nil)
	_, _, sum := loadFixture(t)
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	if len(lines) != sum.Findings {
		t.Fatalf("%d events for %d findings", len(lines), sum.Findings)
	}
	statusIDs := map[float64]int{}
	for _, line := range lines {
		var ev map[string]any
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Fatal(err)
		}
		if ev["class_uid"] != 2003.0 || ev["type_uid"] != 200301.0 || ev["category_uid"] != 2.0 {
			t.Fatalf("not a Compliance Finding: %s", line)
		}
		comp := ev["compliance"].(map[string]any)
		statusIDs[comp["status_id"].(float64)]++
		if comp["control"] == "" || len(comp["standards"].([]any)) == 0 {
			t.Fatalf("compliance without control or standards: %s", line)
		}
	}
	if statusIDs[3] != sum.ByStatus[results.Fail] || statusIDs[1] != sum.ByStatus[results.Pass] || statusIDs[2] != sum.ByStatus[results.Unknown] {
		t.Errorf("compliance status ids %v do not match %v", statusIDs, sum.ByStatus)
	}
}

// The streamed JSON re-reads into the same document.
func TestJSONRoundTrip(t *testing.T) {
	out := renderFixture(t, "json", nil)
	var subs []*results.Subject
	sum, err := results.Decode(bytes.NewReader(out), func(results.Meta) error { return nil },
		func(s *results.Subject) error { subs = append(subs, s); return nil })
	if err != nil {
		t.Fatal(err)
	}
	_, want, wantSum := loadFixture(t)
	a, _ := json.Marshal(subs)
	b, _ := json.Marshal(want)
	if !bytes.Equal(a, b) || sum.Blocking != wantSum.Blocking {
		t.Error("JSON output does not read back as the same results")
	}
}

// --redact leaves none of the fixture's UPNs, emails, names or IPs in any
// format, and keeps pseudonyms stable within a run.
func TestRedactEveryFormat(t *testing.T) {
	raw, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]bool{"Alice Example": true, "Bob Example": true, "Alice": true, "6f1c2d3e-0000-4000-8000-0000000c0a50": true}
	for _, m := range emailPattern.FindAllString(string(raw), -1) {
		secrets[m] = true
	}
	for _, m := range ipv4Pattern.FindAllString(string(raw), -1) {
		secrets[m] = true
	}
	for _, m := range phonePattern.FindAllString(string(raw), -1) {
		secrets[m] = true
	}
	for _, want := range []string{"bob@contoso.com", "collector@evil.example", "203.0.113.7", "+1 2065550199"} {
		if !secrets[want] {
			t.Fatalf("fixture scan missed %s", want)
		}
	}
	key := []byte("fixed test key")
	for _, f := range Formats {
		out := string(renderFixture(t, f.Name, func(r Reporter) Reporter { return Redact(r, NewRedactor(key)) }))
		for s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s: redacted output still contains %q", f.Name, s)
			}
		}
		if !strings.Contains(out, "@domain-") {
			t.Errorf("%s: no pseudonymised address in the output", f.Name)
		}
	}
	r1, r2 := NewRedactor(key), NewRedactor(key)
	if r1.String("mail bob@contoso.com") != r2.String("mail bob@contoso.com") || r1.String("bob@contoso.com") == r1.String("alice@contoso.com") {
		t.Error("pseudonyms are not stable and distinct")
	}
	if NewRedactor(nil).String("bob@contoso.com") == NewRedactor(nil).String("bob@contoso.com") {
		t.Error("random keys give the same pseudonym across runs")
	}
	// Times are not IPv6 addresses.
	if got := r1.String("at 2026-11-20T08:41:03Z from 2001:db8::1"); !strings.Contains(got, "08:41:03") || strings.Contains(got, "2001:db8::1 ") {
		t.Errorf("redacted %q", got)
	}
}

// The HTML report as a person sees it: headless Chromium runs its script
// and the summary and failing items are on the page. Runs wherever
// Chromium is installed (.ci/run installs it).
func TestHTMLInChromium(t *testing.T) {
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		testtool.Skip(t, "Chromium", "install Debian's chromium to check the HTML report in a browser")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, renderFixture(t, "html", nil), 0o600); err != nil {
		t.Fatal(err)
	}
	chrome := func(args ...string) []byte {
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1280,1400"}
		out, err := exec.Command(bin, append(base, args...)...).Output()
		if err != nil {
			t.Fatalf("chromium %v: %v", args, err)
		}
		return out
	}
	// #open makes the script hide everything that passed.
	dom := string(chrome("--dump-dom", "file://"+page+"#open"))
	for _, want := range []string{
		`<span id="verdict">not ready to close</span>`,
		`<span class="n">16</span><span class="l">Open</span>`,
		"sessions last revoked 2026-06-02T08:15:00Z",
		`mailbox forwards all mail to smtp:archive-bob@evil.example`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
	hiddenPass := regexp.MustCompile(`<tr class="finding hidden" data-status="pass"`)
	visiblePass := regexp.MustCompile(`<tr class="finding" data-status="pass"`)
	if !hiddenPass.MatchString(dom) || visiblePass.MatchString(dom) {
		t.Error("the script did not hide passing findings for #open")
	}
	if !strings.Contains(dom, `<tr class="finding" data-status="fail"`) {
		t.Error("failing findings are hidden")
	}
	// Open items come first in each account, with what to do shown
	// outside any click; the page speaks the checklist's words.
	accounts := regexp.MustCompile(`(?s)<article class="account[^"]*"[^>]*>.*?</article>`).FindAllString(dom, -1)
	if len(accounts) == 0 {
		t.Fatal("no account in the page")
	}
	for _, a := range accounts {
		rows := regexp.MustCompile(`(?s)<tr class="finding[^"]*" data-status="(\w+)".*?</tr>`).FindAllStringSubmatch(a, -1)
		seenDone := false
		for _, r := range rows {
			open := r[1] != "pass" && r[1] != "waived"
			if open && seenDone {
				t.Errorf("an open item (%s) comes after a passed one", r[1])
			}
			seenDone = seenDone || !open
			if r[1] == "fail" {
				before, _, _ := strings.Cut(r[0], "<details")
				if !strings.Contains(before, `class="remediation"`) {
					t.Errorf("a failed item's remediation is not visible without a click: %.300s", r[0])
				}
			}
		}
	}
	for _, raw := range []string{`>fail</span>`, `>pass</span>`} {
		if strings.Contains(dom, raw) {
			t.Errorf("the page shows the raw status %s where a person reads", raw)
		}
	}
	// The page carries a strict Content-Security-Policy: its own script
	// ran (above), and a script or style put into the page by anything
	// else (here, by editing the file) does not.
	if !strings.Contains(dom, `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-`) {
		t.Error("the page has no Content-Security-Policy")
	}
	planted := strings.Replace(string(renderFixture(t, "html", nil)), "</main>",
		`<script>document.body.setAttribute("data-planted", "ran")</script></main>`, 1)
	plantedPage := filepath.Join(dir, "planted.html")
	if err := os.WriteFile(plantedPage, []byte(planted), 0o600); err != nil {
		t.Fatal(err)
	}
	plantedDOM := string(chrome("--dump-dom", "file://"+plantedPage+"#open"))
	if strings.Contains(plantedDOM, `data-planted="ran"`) {
		t.Error("an inline script without the policy's hash ran")
	}
	if !hiddenPass.MatchString(plantedDOM) {
		t.Error("the page's own script did not run beside the planted one")
	}
	// A scan's page (10,000 accounts) opens on its overview, and its
	// script finds the accounts of one checklist item.
	meta, subs, sum := syntheticScan(t, 10000)
	var scanPage bytes.Buffer
	r, _ := New("html", &scanPage, Options{OpenOnly: true})
	if err := Render(r, meta, subs, sum); err != nil {
		t.Fatal(err)
	}
	scanFile := filepath.Join(dir, "scan.html")
	os.WriteFile(scanFile, scanPage.Bytes(), 0o600)
	scanDOM := string(chrome("--dump-dom", "file://"+scanFile+"#item=forwarding-removed"))
	if i, j := strings.Index(scanDOM, `id="exposures"`), strings.Index(scanDOM, `id="exposed"`); i < 0 || j < i {
		t.Error("the scan's page does not open on its overview")
	}
	shown := regexp.MustCompile(`<span id="find-count" class="age">(\d+) shown</span>`).FindStringSubmatch(scanDOM)
	want := strings.Count(scanPage.String(), `data-items="`) - strings.Count(scanDOM, `<tr class="acct hidden"`)
	if shown == nil || shown[1] != strconv.Itoa(want) || !strings.Contains(scanDOM, `<tr class="acct hidden"`) {
		t.Errorf("the page's script did not find the accounts of one item (%v, %d)", shown, want)
	}
	scanShot := filepath.Join(dir, "scan.png")
	chrome("--screenshot="+scanShot, "file://"+scanFile)
	if png, err := os.ReadFile(scanShot); err != nil || len(png) < 20000 {
		t.Errorf("scan screenshot: %d bytes, %v", len(png), err)
	}
	if out := os.Getenv("CLOSEOUT_SCAN_SCREENSHOT"); out != "" {
		png, _ := os.ReadFile(scanShot)
		os.WriteFile(out, png, 0o644)
	}
	shot := filepath.Join(dir, "report.png")
	chrome("--screenshot="+shot, "file://"+page)
	if png, err := os.ReadFile(shot); err != nil || len(png) < 20000 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("screenshot: %d bytes, %v", len(png), err)
	}
	if out := os.Getenv("CLOSEOUT_HTML_SCREENSHOT"); out != "" {
		png, _ := os.ReadFile(shot)
		os.WriteFile(out, png, 0o644)
	}
}
