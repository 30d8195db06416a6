package reports

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/closeout-dev/closeout/results"
)

// junitReporter writes one test suite per account as each arrives.
type junitReporter struct {
	w *bufio.Writer
}

var _ Reporter = (*junitReporter)(nil)

func newJUnit(w io.Writer, _ Options) Reporter { return &junitReporter{w: bufio.NewWriter(w)} }

type junitSuite struct {
	XMLName    xml.Name        `xml:"testsuite"`
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func (r *junitReporter) Begin(meta results.Meta) error {
	r.w.WriteString(xml.Header)
	fmt.Fprintf(r.w, "<testsuites name=\"closeout\" timestamp=%q>\n", meta.GeneratedAt.Format("2006-01-02T15:04:05Z"))
	if meta.Partial != "" {
		// A partial scan says so where a CI view shows it: a suite of its
		// own with one failing case.
		b, _ := xml.MarshalIndent(junitSuite{Name: "closeout scan coverage", Tests: 1, Failures: 1, Cases: []junitCase{{
			Name: "every shard merged", Classname: "closeout.coverage",
			Failure: &junitMessage{Message: meta.Partial, Type: "partial"},
		}}}, "  ", "  ")
		r.w.Write(b)
		r.w.WriteString("\n")
	}
	return nil
}

func (r *junitReporter) Subject(s *results.Subject) error {
	suite := junitSuite{Name: junitName(s.Subject), Properties: []junitProperty{
		{"mode", s.Mode}, {"source", s.Source}, {"sha256", s.SHA256},
	}}
	if s.Incident != "" {
		suite.Properties = append(suite.Properties, junitProperty{"incident", s.Incident})
	}
	for _, f := range s.Findings {
		c := junitCase{Name: f.PolicyID + " " + f.Title, Classname: "closeout." + f.Checklist}
		detail := f.Message
		if f.Remediation != "" {
			detail += "\n\nRemediation: " + f.Remediation
		}
		switch f.Status {
		case results.Fail:
			c.Failure = &junitMessage{Message: f.Message, Type: string(f.Severity), Text: detail}
			suite.Failures++
		case results.Error:
			c.Error = &junitMessage{Message: f.Message, Type: "error", Text: detail}
			suite.Errors++
		case results.Unknown, results.Manual, results.Waived:
			c.Skipped = &junitMessage{Message: string(f.Status) + ": " + f.Message}
			suite.Skipped++
		case results.Warn:
			c.SystemOut = "warning: " + f.Message
		}
		suite.Cases = append(suite.Cases, c)
		suite.Tests++
	}
	b, err := xml.MarshalIndent(suite, "  ", "  ")
	if err != nil {
		return err
	}
	r.w.Write(b)
	_, err = r.w.WriteString("\n")
	return err
}

func (r *junitReporter) End(sum results.Summary) error {
	for _, e := range sum.InputErrors {
		// An input that could not be read is an errored suite, so CI shows it.
		b, _ := xml.MarshalIndent(junitSuite{Name: "input " + e.Source, Tests: 1, Errors: 1, Cases: []junitCase{{
			Name: "read " + e.Source, Classname: "closeout.input",
			Error: &junitMessage{Message: e.Message, Type: "input"},
		}}}, "  ", "  ")
		r.w.Write(b)
		r.w.WriteString("\n")
	}
	r.w.WriteString("</testsuites>\n")
	return r.w.Flush()
}

// junitName keeps names readable when a subject is empty.
func junitName(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(unnamed)"
	}
	return s
}
