package lint

import (
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/closeout-dev/closeout/internal/sarifout"
	sarifreport "github.com/owenrumney/go-sarif/v3/pkg/report"
	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// LintSARIF is the lint findings as a SARIF 2.1.0 report, so that they
// annotate the pull request that changed the policies.
func SARIF(findings []Finding, version string) *sarif.Report {
	rep := sarifreport.NewV210Report()
	run := sarif.NewRunWithInformationURI("closeout policy lint", "https://github.com/closeout-dev/closeout")
	run.Tool.Driver.WithVersion(version)
	for _, r := range Rules {
		help := "closeout policy lint: " + r.Description + "."
		run.AddRule(r.ID).WithName("Lint" + ruleName(r.ID)).
			WithShortDescription(sarif.NewMultiformatMessageString().WithText(r.Description)).
			WithFullDescription(sarif.NewMultiformatMessageString().WithText(r.Description)).
			WithHelp(sarif.NewMultiformatMessageString().WithText(help).WithMarkdown(help)).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel("error")).
			WithProperties(sarif.NewPropertyBag().Add("precision", "very-high").AddTag("maintainability"))
	}
	for _, f := range findings {
		region := sarif.NewRegion().WithStartLine(max(f.Line, 1))
		loc := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewArtifactLocation().WithURI(artifactURI(f.File))).WithRegion(region)
		run.CreateResultForRule(f.Rule).WithLevel("error").WithMessage(sarif.NewTextMessage(f.Message)).
			WithLocations([]*sarif.Location{sarif.NewLocationWithPhysicalLocation(loc)})
	}
	rep.AddRun(run)
	return rep
}

// WriteLintSARIF writes LintSARIF to w.
func WriteSARIF(w io.Writer, findings []Finding, version string) error {
	return sarifout.Write(w, SARIF(findings, version))
}

// ruleName is a rule id as a SARIF rule name: result-msg → ResultMsg.
func ruleName(id string) string {
	var b strings.Builder
	for _, w := range strings.Split(id, "-") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// artifactURI is a file as SARIF wants it: relative to the working
// directory (the repository, in CI) when it is under it, else a file URI.
func artifactURI(file string) string {
	if !filepath.IsAbs(file) {
		return filepath.ToSlash(file)
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, file); err == nil && filepath.IsLocal(rel) {
			return filepath.ToSlash(rel)
		}
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(file)}).String()
}
