package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/closeout-dev/closeout/internal/safefile"
	"github.com/closeout-dev/closeout/policies"
	"github.com/closeout-dev/closeout/reports"
	"github.com/closeout-dev/closeout/results"
	"github.com/closeout-dev/closeout/snapshot"
	opaversion "github.com/open-policy-agent/opa/v1/version"
	"github.com/spf13/cobra"
)

// VerifyOptions are the inputs of `closeout verify`.
type VerifyOptions struct {
	IO           *IOStreams
	User         string
	SnapshotPath string
	Attestations string
	EvidenceDir  string
	Force        bool
	Waivers      string
	FailOn       string
	AllowUnknown bool
	PolicyDirs   []string
	Bundle       bundleFlags
	EvalTimeout  time.Duration
	Output       outputFlags
	Connection   connectionFlags
	Incident     incidentFlags
	factory      *factory
}

func newCmdVerify(f *factory, runF func(*VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:   "verify --user UPN --incident-start TIME | --snapshot FILE",
		Short: "Say whether a compromised account's ticket may close, and what is still open",
		Long: `Collect the account from Microsoft Graph and Exchange Online in incident mode
(or read a saved --snapshot), evaluate every close-out policy, and print the
checklist: each item Done, Open, Needs a human or Unknown, with the evidence
and, for what is open, exactly what to do.

Exit 0 only when the ticket may close: nothing at or above --fail-on open, no
human step unattested, and nothing unknown (unless --allow-unknown).`,
		Example: `  closeout verify --user bob@contoso.com --incident-id INC-4711 --incident-start 2026-11-20T08:00:00Z \
    --detected-at 2026-11-21T09:30:00Z --indicator-ip 203.0.113.7 --attestations attest.yaml --evidence-dir INC-4711/
  closeout verify --snapshot bob.json --attestations attest.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return verifyRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.User, "user", "u", "", "the account's user principal name or object id")
	fl.StringVar(&opts.SnapshotPath, "snapshot", "", "verify a saved incident snapshot `FILE` instead of collecting")
	fl.StringVar(&opts.Attestations, "attestations", "", "attested human steps, YAML or JSON `FILE` (closeout attest init writes a template)")
	fl.StringVar(&opts.EvidenceDir, "evidence-dir", "", "write the snapshot, results, reports and a sha256 manifest to `DIR` (new or empty)")
	fl.BoolVar(&opts.Force, "force", false, "with --evidence-dir, write into a directory that is not empty, replacing closeout's files there")
	fl.StringVar(&opts.FailOn, "fail-on", "high", "an open item at or above this `severity` blocks closing")
	fl.StringVar(&opts.Waivers, "waivers", "", "accepted exceptions, YAML or JSON `FILE` (a justified admin role, say)")
	fl.BoolVar(&opts.AllowUnknown, "allow-unknown", false, "let items that could not be evaluated not block closing")
	fl.StringArrayVar(&opts.PolicyDirs, "policy-dir", nil, "also load custom policies from `DIR` (repeatable)")
	registerEvalTimeout(fl, &opts.EvalTimeout)
	registerBundle(fl, &opts.Bundle)
	opts.Output.register(fl)
	fl.Lookup("format").DefValue = "checklist"
	opts.Output.Format = "checklist"
	opts.Connection.register(cmd)
	opts.Incident.register(cmd)
	return cmd
}

func verifyRun(opts *VerifyOptions) error {
	f := opts.factory
	failOn, err := results.ParseFailOn(opts.FailOn)
	if err != nil {
		return usageErrorf("--fail-on: %v", err)
	}
	waivers, err := loadWaivers(opts.Waivers)
	if err != nil {
		return err
	}
	if err := checkEvidenceDir(opts.EvidenceDir, opts.Force); err != nil {
		return err
	}
	var attest *snapshot.Attestations
	if opts.Attestations != "" {
		if attest, err = snapshot.LoadAttestations(opts.Attestations); err != nil {
			return &exitError{code: exitInput, err: err}
		}
	}
	raw, err := verifySnapshot(opts)
	if err != nil {
		return err
	}
	doc, err := snapshot.Parse(raw, sourceName(opts), 1, snapshot.DefaultLimits)
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	if doc.Mode() != snapshot.ModeIncident {
		return usageErrorf("%s is not an incident snapshot: verify needs an incident (collect it with --incident-start)", doc.File)
	}
	if attest != nil {
		if raw, err = withAttestations(doc, attest); err != nil {
			return &exitError{code: exitInput, err: err}
		}
		if doc, err = snapshot.Parse(raw, sourceName(opts), 1, snapshot.DefaultLimits); err != nil {
			return &exitError{code: exitInput, err: err}
		}
	}
	po, err := opts.Bundle.apply(policies.Options{Dirs: opts.PolicyDirs, EvalTimeout: opts.EvalTimeout})
	if err != nil {
		return err
	}
	set, err := loadPolicies(f, po)
	if err != nil {
		return err
	}
	warnUnknownWaivers(opts.IO.ErrOut, waivers, set)
	meta := results.Meta{
		GeneratedAt: f.Now(),
		Tool:        results.Tool{Name: "closeout", Version: version, Commit: buildCommit(), OPAVersion: opaversion.Version, SchemaInput: snapshot.SchemaVersion},
		PolicySet:   results.PolicySet{Digest: set.Digest, Count: len(set.Policies), Custom: opts.PolicyDirs, Embedded: set.Embedded, Bundle: bundleInfo(set, opts.IO)},
		FailOn:      failOn,
		Strict:      !opts.AllowUnknown,
		Manual:      true,
		Policies:    set.Info(),
	}
	sub := set.Evaluate(f.Context, doc)
	waivers.Apply(sub, meta.GeneratedAt)
	tally := results.NewTally(results.GateOf(meta))
	tally.Add(sub)
	rep, finish, err := openReports(opts.IO, &opts.Output)
	if err != nil {
		return err
	}
	err = reports.Render(rep, meta, []*results.Subject{sub}, tally.Summary)
	if ferr := finish(err == nil); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	opts.Output.sayVerdict(opts.IO, tally.Summary)
	if opts.EvidenceDir != "" {
		digest, err := writeEvidence(opts.EvidenceDir, raw, meta, sub, tally.Summary)
		if err != nil {
			return &exitError{code: exitInput, err: fmt.Errorf("--evidence-dir: %w", err)}
		}
		fmt.Fprintf(opts.IO.ErrOut, "closeout: evidence written to %s; manifest sha256 %s (record it in the ticket)\n", opts.EvidenceDir, digest)
	}
	if tally.Summary.Blocking > 0 {
		return &exitError{code: exitBlocking}
	}
	return nil
}

func sourceName(opts *VerifyOptions) string {
	if opts.SnapshotPath != "" {
		return opts.SnapshotPath
	}
	return "collected:" + opts.User
}

// verifySnapshot reads the saved snapshot, or collects one.
func verifySnapshot(opts *VerifyOptions) ([]byte, error) {
	if opts.SnapshotPath != "" {
		if opts.User != "" || opts.Incident.Start != "" {
			return nil, usageErrorf("--snapshot verifies a saved snapshot: --user and --incident-start are for collecting one")
		}
		docs, err := snapshot.LoadFile(opts.SnapshotPath)
		if err != nil {
			return nil, &exitError{code: exitInput, err: err}
		}
		if len(docs) != 1 {
			return nil, usageErrorf("--snapshot %s holds %d snapshots; verify takes one account", opts.SnapshotPath, len(docs))
		}
		return json.Marshal(docs[0].Value)
	}
	if opts.User == "" || opts.Incident.Start == "" {
		return nil, usageErrorf("verify needs --user and --incident-start (or --snapshot FILE)")
	}
	snap, err := collectOne(opts.factory, opts.User, &opts.Connection, &opts.Incident)
	if err != nil {
		return nil, err
	}
	return json.Marshal(snap)
}

// withAttestations writes the attested steps into the snapshot's incident.
func withAttestations(doc *snapshot.Document, a *snapshot.Attestations) ([]byte, error) {
	inc := doc.Value["incident"].(map[string]any)
	if id, _ := inc["id"].(string); a.Incident != "" && id != "" && a.Incident != id {
		return nil, fmt.Errorf("the attestations are for incident %s, the snapshot for %s", a.Incident, id)
	}
	steps, _ := inc["attestations"].(map[string]any)
	if steps == nil {
		steps = map[string]any{}
	}
	for step, att := range a.Steps {
		steps[step] = map[string]any{"by": att.By, "at": att.At.Format("2006-01-02T15:04:05Z"), "note": att.Note}
	}
	inc["attestations"] = steps
	return json.Marshal(doc.Value)
}

// Manifest records an evidence directory: what produced it and the sha256
// of every file, so that any later edit is visible.
type Manifest struct {
	SchemaVersion string            `json:"schemaVersion"`
	CreatedAt     string            `json:"createdAt"`
	Tool          results.Tool      `json:"tool"`
	PolicySet     results.PolicySet `json:"policySet"`
	Subject       string            `json:"subject"`
	Incident      string            `json:"incident,omitempty"`
	Files         []ManifestFile    `json:"files"`
}

// ManifestFile is one file of an evidence directory.
type ManifestFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

const manifestName = "manifest.json"

// checkEvidenceDir refuses, before anything is collected, to write
// evidence over earlier evidence: mixing two runs' files leaves a
// directory whose manifest no longer describes it.
func checkEvidenceDir(dir string, force bool) error {
	if dir == "" || force {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return usageErrorf("--evidence-dir %s: %v", dir, err)
	}
	if len(entries) > 0 {
		return usageErrorf("--evidence-dir %s is not empty (%d entries, earlier evidence?): choose a new directory, or add --force to replace closeout's files in it", dir, len(entries))
	}
	return nil
}

func writeEvidence(dir string, snap []byte, meta results.Meta, sub *results.Subject, sum results.Summary) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	files := []struct {
		name   string
		format string
	}{{"results.json", "json"}, {"report.html", "html"}, {"report.md", "markdown"}, {"checklist.txt", "checklist"}, {"closeout.sarif", "sarif"}}
	manifest := Manifest{SchemaVersion: "closeout.evidence/v1", CreatedAt: meta.GeneratedAt.Format("2006-01-02T15:04:05Z"),
		Tool: meta.Tool, PolicySet: meta.PolicySet, Subject: sub.Subject, Incident: sub.Incident}
	write := func(name string, fill func(io.Writer) error) error {
		path := filepath.Join(dir, name)
		if err := safefile.WriteAtomic(path, func(f *os.File) error { return fill(f) }); err != nil {
			return err
		}
		sum, n, err := fileDigest(path)
		if err != nil {
			return err
		}
		manifest.Files = append(manifest.Files, ManifestFile{Name: name, SHA256: sum, Bytes: n})
		return nil
	}
	if err := write("snapshot.json", func(w io.Writer) error { _, err := w.Write(snap); return err }); err != nil {
		return "", err
	}
	for _, file := range files {
		if err := write(file.name, func(w io.Writer) error {
			rep, err := reports.New(file.format, w, reports.Options{})
			if err != nil {
				return err
			}
			return reports.Render(rep, meta, []*results.Subject{sub}, sum)
		}); err != nil {
			return "", err
		}
	}
	raw, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return "", err
	}
	raw = append(raw, '\n')
	if err := safefile.WriteAtomic(filepath.Join(dir, manifestName), func(f *os.File) error { _, err := f.Write(raw); return err }); err != nil {
		return "", err
	}
	digest, _, err := fileDigest(filepath.Join(dir, manifestName))
	return digest, err
}
