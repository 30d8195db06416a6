package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/closeout-dev/closeout/internal/safefile"
	"github.com/spf13/cobra"
)

// EvidenceVerifyOptions are the inputs of `closeout evidence verify`.
type EvidenceVerifyOptions struct {
	IO      *IOStreams
	Dir     string
	factory *factory
}

func newCmdEvidence(f *factory) *cobra.Command {
	cmd := &cobra.Command{Use: "evidence", Short: "Check an evidence directory written by verify --evidence-dir"}
	cmd.AddCommand(newCmdEvidenceVerify(f, nil))
	return cmd
}

func newCmdEvidenceVerify(f *factory, runF func(*EvidenceVerifyOptions) error) *cobra.Command {
	opts := &EvidenceVerifyOptions{IO: f.IO, factory: f}
	return &cobra.Command{
		Use:   "verify DIR",
		Short: "Check every file of an evidence directory against its manifest",
		Long: `Recompute the sha256 of every file in an evidence directory and compare it with
manifest.json. Exit 1 when a file was changed, removed or added; 2 when there
is no readable manifest. Compare the manifest's own sha256 with the one
recorded in the ticket to know the manifest was not rewritten.`,
		Example: "  closeout evidence verify INC-4711/",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("evidence verify needs one directory")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = args[0]
			if runF != nil {
				return runF(opts)
			}
			return evidenceVerifyRun(opts)
		},
	}
}

func evidenceVerifyRun(opts *EvidenceVerifyOptions) error {
	manifestPath := filepath.Join(opts.Dir, manifestName)
	raw, err := safefile.ReadFile(manifestPath, maxManifestBytes)
	if err != nil {
		return &exitError{code: exitInput, err: err} // names the file
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil || m.SchemaVersion != "closeout.evidence/v1" {
		return &exitError{code: exitInput, err: fmt.Errorf("%s: not a closeout.evidence/v1 manifest", manifestPath)}
	}
	var problems []string
	listed := map[string]bool{manifestName: true}
	for _, file := range m.Files {
		listed[file.Name] = true
		// The manifest is input like any other: a name that leaves the
		// directory (../../etc/shadow) or is not a plain file is refused,
		// never opened.
		if !filepath.IsLocal(file.Name) || filepath.Base(file.Name) != file.Name {
			problems = append(problems, fmt.Sprintf("%q: not a file name inside the directory", file.Name))
			continue
		}
		sum, n, err := fileDigest(filepath.Join(opts.Dir, file.Name))
		switch {
		case errors.Is(err, safefile.ErrNotRegular):
			problems = append(problems, fmt.Sprintf("%s: %v", file.Name, err))
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: missing (%v)", file.Name, err))
		case sum != file.SHA256 || n != file.Bytes:
			problems = append(problems, fmt.Sprintf("%s: changed (sha256 %s, manifest says %s)", file.Name, sum, file.SHA256))
		}
	}
	entries, err := os.ReadDir(opts.Dir)
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	for _, e := range entries {
		if !listed[e.Name()] {
			problems = append(problems, fmt.Sprintf("%s: not in the manifest", e.Name()))
		}
	}
	sort.Strings(problems)
	manifestSum := sha256.Sum256(raw)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(opts.IO.ErrOut, "closeout: %s: %s\n", opts.Dir, p)
		}
		return &exitError{code: exitBlocking}
	}
	fmt.Fprintf(opts.IO.Out, "ok: %d files match the manifest for %s (incident %s); manifest sha256 %s\n",
		len(m.Files), m.Subject, m.Incident, hex.EncodeToString(manifestSum[:]))
	return nil
}

// maxManifestBytes bounds the manifest read: a real one is a few KiB.
const maxManifestBytes = 1 << 20

// fileDigest is a regular file's sha256 and size.
func fileDigest(path string) (string, int64, error) {
	f, err := safefile.Open(path, os.O_RDONLY)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
