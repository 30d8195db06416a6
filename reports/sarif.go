package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/closeout-dev/closeout/internal/sarifout"
	"github.com/closeout-dev/closeout/results"
	"github.com/owenrumney/go-sarif/v3/pkg/report"
	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

const informationURI = "https://github.com/closeout-dev/closeout"

// fingerprintKey names closeout's partial fingerprint. It hashes the tenant,
// the account and the policy, nothing that changes between runs, so code
// scanning tracks one finding across runs and tells accounts apart.
const fingerprintKey = "closeoutFinding/v1"

func newSARIF(w io.Writer, opts Options) Reporter {
	return newBuffered(w, Options{}, func(w io.Writer, doc *document) error { return renderSARIF(w, doc, opts.SARIFCategory) })
}

// securitySeverity is GitHub's numeric scale: over 9 critical, 7 to 8.9
// high, 4 to 6.9 medium, under 4 low.
var securitySeverity = map[results.Severity]string{
	results.Critical: "9.5", results.High: "8.0", results.Medium: "5.5", results.Low: "3.0", results.Info: "0.0",
}

var sarifLevel = map[results.Status]string{
	results.Fail:    "error",
	results.Error:   "error",
	results.Warn:    "warning",
	results.Unknown: "note",
}

// Fingerprint is a finding's stable identity across runs.
func Fingerprint(tenant, subject, policyID string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(tenant) + "\x00" + strings.ToLower(subject) + "\x00" + policyID))
	return hex.EncodeToString(sum[:])
}

func buildSARIF(doc *document, category string) *sarif.Report {
	rep := report.NewV210Report()
	run := sarif.NewRunWithInformationURI("closeout", informationURI)
	run.Tool.Driver.WithVersion(doc.Meta.Tool.Version).WithSemanticVersion(semver(doc.Meta.Tool.Version))
	if category != "" {
		run.WithAutomationDetails(sarif.NewRunAutomationDetails().WithID(strings.TrimSuffix(category, "/") + "/"))
	}
	for _, p := range doc.Meta.Policies {
		props := sarif.NewPropertyBag().
			Add("security-severity", securitySeverity[p.Severity]).
			Add("precision", "high").
			AddTag("security").
			AddTag(p.Checklist)
		// A custom policy's metadata is text, never markup: its Markdown
		// is escaped, and only an https reference becomes a link.
		help := fmt.Sprintf("%s\n\nRemediation: %s", p.Description, p.Remediation)
		helpMarkdown := fmt.Sprintf("%s\n\n**Remediation:** %s", mdLines(p.Description), mdLines(p.Remediation))
		if len(p.References) > 0 {
			help += "\n\nReferences:\n" + strings.Join(p.References, "\n")
			links := make([]string, len(p.References))
			for i, r := range p.References {
				links[i] = mdLink(r)
			}
			helpMarkdown += "\n\n**References:**\n\n- " + strings.Join(links, "\n- ")
		}
		rule := run.AddRule(p.ID).
			WithName(ruleName(p.Title)).
			WithShortDescription(sarif.NewMultiformatMessageString().WithText(p.Title)).
			WithFullDescription(sarif.NewMultiformatMessageString().WithText(p.Description)).
			WithHelp(sarif.NewMultiformatMessageString().WithText(help).WithMarkdown(helpMarkdown)).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(defaultLevel(p.Severity))).
			WithProperties(props)
		for _, r := range p.References {
			if httpsURL(r) {
				rule.WithHelpURI(r)
				break
			}
		}
	}
	for _, s := range doc.Subjects {
		file, line := splitSource(s.Source)
		for _, f := range s.Findings {
			level, reported := sarifLevel[f.Status]
			if !reported {
				continue
			}
			if run.GetRuleIndex(f.PolicyID) < 0 {
				run.AddRule(f.PolicyID).WithShortDescription(sarif.NewMultiformatMessageString().WithText(f.Title))
			}
			text := fmt.Sprintf("%s: %s", s.Subject, f.Message)
			if f.Status == results.Unknown {
				text = fmt.Sprintf("%s: not evaluated (%s)", s.Subject, f.Message)
			}
			region := sarif.NewRegion().WithStartLine(line)
			physical := sarif.NewPhysicalLocation().
				WithArtifactLocation(sarif.NewArtifactLocation().WithURI(file)).
				WithRegion(region)
			logical := sarif.NewLogicalLocation().
				WithName(s.Subject).
				WithFullyQualifiedName(strings.Trim(s.Tenant+"/"+s.Subject, "/")).
				WithKind("account")
			res := run.CreateResultForRule(f.PolicyID).
				WithLevel(level).
				WithMessage(sarif.NewTextMessage(text)).
				WithLocations([]*sarif.Location{sarif.NewLocationWithPhysicalLocation(physical).WithLogicalLocations([]*sarif.LogicalLocation{logical})}).
				WithPartialFingerprints(map[string]string{
					fingerprintKey: Fingerprint(s.Tenant, s.Subject, f.PolicyID),
					// GitHub code scanning tracks an alert by this key
					// alone: the account and the policy, never the file.
					"primaryLocationLineHash": Fingerprint(s.Tenant, s.Subject, f.PolicyID)[:16] + ":1",
				})
			props := sarif.NewPropertyBag().Add("status", string(f.Status)).Add("checklist", f.Checklist).Add("snapshotSha256", s.SHA256)
			if s.Incident != "" {
				props.Add("incident", s.Incident)
			}
			res.WithProperties(props)
		}
	}
	if doc.Meta.Partial != "" {
		// A partial scan is a notification of the run: code scanning shows
		// it with the run.
		run.WithInvocations([]*sarif.Invocation{sarif.NewInvocation().WithExecutionSuccessful(true).
			WithToolExecutionNotifications([]*sarif.Notification{sarif.NewNotification().WithLevel("warning").WithMessage(sarif.NewTextMessage(doc.Meta.Partial))})})
		run.WithProperties(sarif.NewPropertyBag().Add("partial", doc.Meta.Partial))
	}
	rep.AddRun(run)
	return rep
}

func renderSARIF(w io.Writer, doc *document, category string) error {
	return sarifout.Write(w, buildSARIF(doc, category))
}

func defaultLevel(s results.Severity) string {
	if s.Rank() >= results.High.Rank() {
		return "error"
	}
	if s.Rank() >= results.Medium.Rank() {
		return "warning"
	}
	return "note"
}

// ruleName turns a title into the PascalCase name SARIF viewers show.
func ruleName(title string) string {
	var b strings.Builder
	upper := true
	for _, r := range title {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if upper {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
			upper = false
		default:
			upper = true
		}
	}
	return b.String()
}

// splitSource splits "file:line" into its parts; a bare file is line 1.
func splitSource(source string) (string, int) {
	if i := strings.LastIndexByte(source, ':'); i > 0 {
		if n, err := strconv.Atoi(source[i+1:]); err == nil && n > 0 {
			return source[:i], n
		}
	}
	return source, 1
}

var (
	semverPattern = regexp.MustCompile(`^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$`)
	buildMetadata = regexp.MustCompile(`[^0-9A-Za-z.-]`)
)

// semver is the version as SemVer, for semanticVersion: a release tag as
// it is ("v1.2.3-4-gabc" is SemVer with a pre-release), anything else (a
// bare commit from git describe) as build metadata of 0.0.0.
func semver(v string) string {
	if m := semverPattern.FindStringSubmatch(v); m != nil {
		return m[1]
	}
	meta := buildMetadata.ReplaceAllString(v, "-")
	if meta == "" {
		return "0.0.0"
	}
	return "0.0.0+" + meta
}
