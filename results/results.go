// Package results is the findings model, closeout.results/v1: what the policy
// engine produces and every report renders. It depends on nothing else of
// closeout but the input-file helper, so reports never reach into the engine.
package results

import (
	"fmt"
	"strings"
	"time"
)

// SchemaVersion is the version string of a results document.
const SchemaVersion = "closeout.results/v1"

// Status is the outcome of one policy for one subject.
type Status string

// The finding statuses (docs/reference.md lists them with their meaning).
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Warn    Status = "warn"
	Manual  Status = "manual"  // a human step not attested
	Unknown Status = "unknown" // data the policy needs was not collected
	Waived  Status = "waived"  // an exception with justification and expiry applies
	Error   Status = "error"   // evaluation failed
)

// Statuses lists every status in report order: what needs attention first.
var Statuses = []Status{Fail, Error, Unknown, Manual, Warn, Waived, Pass}

// Severity ranks how much a failing finding matters.
type Severity string

// The severities, highest first.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

// Severities lists every severity, highest first.
var Severities = []Severity{Critical, High, Medium, Low, Info}

// Rank orders severities: Critical is 4, Info 0, anything else -1.
func (s Severity) Rank() int {
	for i, v := range Severities {
		if v == s {
			return len(Severities) - 1 - i
		}
	}
	return -1
}

// NoFailures is the gate of --fail-on none: no failure blocks, whatever
// its severity (an evaluation error still does). A scheduled scan uses it
// to succeed when the scan succeeded, its findings in its reports.
const NoFailures Severity = "none"

// ParseFailOn reads a gate's --fail-on: a severity, or none.
func ParseFailOn(name string) (Severity, error) {
	if strings.EqualFold(strings.TrimSpace(name), string(NoFailures)) {
		return NoFailures, nil
	}
	s, err := ParseSeverity(name)
	if err != nil {
		return "", fmt.Errorf("unknown severity %q (want one of critical, high, medium, low, info, or none)", name)
	}
	return s, nil
}

// ParseSeverity accepts a severity name in any case.
func ParseSeverity(name string) (Severity, error) {
	s := Severity(strings.ToLower(strings.TrimSpace(name)))
	if s.Rank() < 0 {
		return "", fmt.Errorf("unknown severity %q (want one of critical, high, medium, low, info)", name)
	}
	return s, nil
}

// Finding is the result of one policy for one subject.
type Finding struct {
	PolicyID    string         `json:"policyId"`
	Title       string         `json:"title"`
	Severity    Severity       `json:"severity"`
	Status      Status         `json:"status"`
	Checklist   string         `json:"checklist"`
	Subject     string         `json:"subject"`
	Message     string         `json:"message"`
	Evidence    map[string]any `json:"evidence,omitempty"`
	Remediation string         `json:"remediation,omitempty"`
	References  []string       `json:"references,omitempty"`
	// History is what the run history says of a failing finding, when the
	// run was recorded (--history).
	History *FindingHistory `json:"history,omitempty"`
}

// FindingHistory places a failing finding in the recorded runs.
type FindingHistory struct {
	// New is true when the finding did not fail in the previous run.
	New bool `json:"new"`
	// FirstSeen is when its current failing streak began.
	FirstSeen time.Time `json:"firstSeen"`
	// AgeDays is how long it has failed, up to this run.
	AgeDays float64 `json:"ageDays"`
}

// TrendPoint is one recorded run's failing findings by severity.
type TrendPoint struct {
	At      time.Time        `json:"at"`
	Failing map[Severity]int `json:"failing"`
}

// Subject is one evaluated document (an account snapshot) and its findings,
// ordered by checklist key then policy id.
type Subject struct {
	Subject     string `json:"subject"`
	DisplayName string `json:"displayName,omitempty"`
	Tenant      string `json:"tenant,omitempty"`
	Source      string `json:"source"`
	SHA256      string `json:"sha256"`
	Mode        string `json:"mode"`
	Incident    string `json:"incident,omitempty"`
	// Timeline is what happened in an incident's window, oldest first.
	Timeline []Event `json:"timeline,omitempty"`
	// UnknownFields are top-level snapshot fields this version does not know.
	UnknownFields []string `json:"unknownFields,omitempty"`
	// NotRead are the sections of the snapshot that could not be read
	// (forbidden, unlicensed, failed): what the findings that needed them
	// could not judge.
	NotRead []NotRead `json:"notRead,omitempty"`
	// ReadAt is when the snapshot was read, for a scan that carries
	// accounts from an earlier one (scan --since); Carried says this one
	// was carried, not read tonight.
	ReadAt   *time.Time `json:"readAt,omitempty"`
	Carried  bool       `json:"carried,omitempty"`
	Findings []Finding  `json:"findings"`
}

// NotRead is a section of a snapshot that was not collected, and why.
type NotRead struct {
	Section string `json:"section"`
	Status  string `json:"status"`
	Detail  string `json:"detail,omitempty"`
}

// Event is one thing that happened to an account, for the incident
// timeline. Checklist names the close-out item it bears on, if any.
type Event struct {
	At        time.Time `json:"at"`
	What      string    `json:"what"`
	Checklist string    `json:"checklist,omitempty"`
}

// Tool names the program that produced a results document.
type Tool struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Commit      string `json:"commit,omitempty"`
	OPAVersion  string `json:"opaVersion,omitempty"`
	SchemaInput string `json:"snapshotSchema"`
}

// PolicySet identifies the policies that were evaluated.
type PolicySet struct {
	Digest   string   `json:"digest"`
	Count    int      `json:"count"`
	Custom   []string `json:"customDirs,omitempty"`
	Embedded bool     `json:"embedded"`
	// Bundle is the OPA bundle the library came from, when one did.
	Bundle *BundleInfo `json:"bundle,omitempty"`
}

// BundleInfo records a policy bundle: which file, which revision, and
// whether a signature was checked.
type BundleInfo struct {
	File     string `json:"file"`
	SHA256   string `json:"sha256"`
	Revision string `json:"revision,omitempty"`
	Signed   bool   `json:"signed"`
	Verified bool   `json:"verified"`
	KeyID    string `json:"keyId,omitempty"`
}

// Describe says, in words, where a bundle's policies come from.
func (b *BundleInfo) Describe() string {
	s := "bundle " + b.File
	if b.Revision != "" {
		s += " (revision " + b.Revision + ")"
	}
	switch {
	case b.Verified:
		s += ", signature verified with key " + b.KeyID
	case b.Signed:
		s += ", signed but not verified (no --verification-key)"
	default:
		s += ", unsigned"
	}
	return s
}

// PolicyInfo describes one policy of the evaluated set, so a results
// document can be re-rendered (SARIF rules, report help) without the engine.
type PolicyInfo struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Severity    Severity `json:"severity"`
	Checklist   string   `json:"checklist"`
	Modes       []string `json:"modes"`
	Requires    []string `json:"requires"`
	Remediation string   `json:"remediation"`
	References  []string `json:"references,omitempty"`
}

// Meta is what a results document says before its subjects.
type Meta struct {
	SchemaVersion string    `json:"schemaVersion"`
	GeneratedAt   time.Time `json:"generatedAt"`
	Tool          Tool      `json:"tool"`
	PolicySet     PolicySet `json:"policySet"`
	FailOn        Severity  `json:"failOn"`
	Strict        bool      `json:"strict"`
	// Manual makes an unattested human step block, whatever its severity,
	// as verify does: a ticket is not closed while one is outstanding.
	Manual   bool         `json:"manualBlocks,omitempty"`
	Policies []PolicyInfo `json:"policies,omitempty"`
	// Trend is the failing findings of the runs recorded before this one
	// (with --history), oldest first.
	Trend []TrendPoint `json:"trend,omitempty"`
	// KnownPartners is the known-partners file the tenant documents were
	// judged with (--partners).
	KnownPartners *InputFile `json:"knownPartners,omitempty"`
	// Partial says what a scan merged with --allow-partial lacks (shards
	// missing or unfinished): every report shows it.
	Partial string `json:"partial,omitempty"`
}

// InputFile names a file an operator gave the evaluation, by its digest.
type InputFile struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

// Policy returns the description of policy id, if the meta carries it.
func (m *Meta) Policy(id string) (PolicyInfo, bool) {
	for _, p := range m.Policies {
		if p.ID == id {
			return p, true
		}
	}
	return PolicyInfo{}, false
}

// InputError is a document that could not be evaluated at all.
type InputError struct {
	Source  string `json:"source"`
	Message string `json:"message"`
}

// Summary is what a results document says after its subjects.
type Summary struct {
	Subjects int            `json:"subjects"`
	Findings int            `json:"findings"`
	ByStatus map[Status]int `json:"byStatus"`
	Blocking int            `json:"blocking"` // findings that make the exit code 1
	// Incidents and Tenants count the subjects of those kinds (the rest are
	// accounts in posture mode): they decide how a verdict is worded.
	Incidents   int          `json:"incidents,omitempty"`
	Tenants     int          `json:"tenants,omitempty"`
	InputErrors []InputError `json:"inputErrors,omitempty"`
	// InputErrorCount counts every input error; InputErrors keeps the first
	// MaxInputErrors of them so that a bad stream cannot grow memory.
	InputErrorCount int     `json:"inputErrorCount"`
	Timings         Timings `json:"timings"`
}

// MaxInputErrors bounds the input errors a summary keeps.
const MaxInputErrors = 100

// Timings are wall-clock durations of a run, in milliseconds.
type Timings struct {
	LoadPoliciesMs int64 `json:"loadPoliciesMs"`
	EvaluateMs     int64 `json:"evaluateMs"`
}

// Gate decides which findings block: a failure at or above FailOn, an
// error at any severity (a run that could not judge something never looks
// clean), and with Strict an unknown at or above FailOn.
type Gate struct {
	FailOn Severity
	Strict bool
	Manual bool
}

// GateOf is the gate a results document was produced with.
func GateOf(m Meta) Gate { return Gate{FailOn: m.FailOn, Strict: m.Strict, Manual: m.Manual} }

// Blocks reports whether f makes the run fail.
func (g Gate) Blocks(f *Finding) bool {
	switch {
	case f.Status == Error:
		return true
	case g.Manual && f.Status == Manual:
		return true
	case g.FailOn == NoFailures:
		return false
	case f.Severity.Rank() < g.FailOn.Rank():
		return false
	case f.Status == Fail:
		return true
	case f.Status == Unknown:
		return g.Strict
	}
	return false
}

// Tally accumulates a Summary as subjects stream past.
type Tally struct {
	Gate    Gate
	Summary Summary
}

// NewTally starts an empty summary.
func NewTally(g Gate) *Tally {
	return &Tally{Gate: g, Summary: Summary{ByStatus: map[Status]int{}}}
}

// Add counts one subject's findings.
func (t *Tally) Add(s *Subject) {
	t.Summary.Subjects++
	switch s.Mode {
	case "incident":
		t.Summary.Incidents++
	case "tenant":
		t.Summary.Tenants++
	}
	for i := range s.Findings {
		f := &s.Findings[i]
		t.Summary.Findings++
		t.Summary.ByStatus[f.Status]++
		if t.Gate.Blocks(f) {
			t.Summary.Blocking++
		}
	}
}

// AddInputError counts one document that could not be evaluated.
func (t *Tally) AddInputError(source, message string) {
	t.Summary.InputErrorCount++
	if len(t.Summary.InputErrors) < MaxInputErrors {
		t.Summary.InputErrors = append(t.Summary.InputErrors, InputError{Source: source, Message: message})
	}
}
