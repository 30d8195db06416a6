package policies

import (
	"io"

	"github.com/owenrumney/go-sarif/v3/pkg/report"
	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// LintSARIF is the lint findings as a SARIF 2.1.0 report, so that they
// annotate the pull request that changed the policies.
func LintSARIF(findings []LintFinding, version string) *sarif.Report {
	rep := report.NewV210Report()
	run := sarif.NewRunWithInformationURI("closeout policy lint", "https://github.com/closeout-dev/closeout")
	run.Tool.Driver.WithVersion(version)
	for _, r := range LintRules {
		run.AddRule(r.ID).WithShortDescription(sarif.NewMultiformatMessageString().WithText(r.Description)).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel("error"))
	}
	for _, f := range findings {
		region := sarif.NewRegion().WithStartLine(max(f.Line, 1))
		loc := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewArtifactLocation().WithURI(f.File)).WithRegion(region)
		run.CreateResultForRule(f.Rule).WithLevel("error").WithMessage(sarif.NewTextMessage(f.Message)).
			WithLocations([]*sarif.Location{sarif.NewLocationWithPhysicalLocation(loc)})
	}
	rep.AddRun(run)
	return rep
}

// WriteLintSARIF writes LintSARIF to w.
func WriteLintSARIF(w io.Writer, findings []LintFinding, version string) error {
	return LintSARIF(findings, version).Write(w)
}
