package main

import (
	"archive/tar"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/policies"
	"github.com/closeout-dev/closeout/reports"
	"github.com/closeout-dev/closeout/results"
	"github.com/closeout-dev/closeout/snapshot"
	"github.com/spf13/cobra"
)

// PolicyDiffOptions are the inputs of `closeout policy diff`.
type PolicyDiffOptions struct {
	IO           *IOStreams
	Base         string
	Head         string
	Corpus       []string
	Format       string
	Output       string
	AllowChanges bool
	factory      *factory
}

func newCmdPolicyDiff(f *factory, runF func(*PolicyDiffOptions) error) *cobra.Command {
	opts := &PolicyDiffOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:   "diff --base DIR|GITREF [--head DIR] --corpus PATH...",
		Short: "Which accounts a policy change would flip: the findings of a corpus under the base and the head policies",
		Long: `Evaluate a snapshot corpus (files, directories, JSON Lines; a scan's
snapshots.jsonl works) under two versions of the policy library and report
what the change does: accounts newly failing and newly passing, other status
changes (pass → unknown), policies added, removed or whose metadata changed
(severity, checklist, requires), and evaluation errors.

--base is a policy directory, or a git ref of the repository you are in
(REF for its policies/ directory, REF:PATH for another; read with git
archive, the working tree untouched); --head a policy directory, by default this closeout's own
library. Exit 1 when anything changed unless --allow-changes; 2 when either
side does not compile.`,
		Example: `  closeout policy diff --base origin/main --corpus testdata/corpus
  closeout policy diff --base old-policies --head policies --corpus out/scan/snapshots.jsonl -f markdown >> "$GITHUB_STEP_SUMMARY"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return policyDiffRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Base, "base", "", "the base policies: a `DIR` or a git ref")
	fl.StringVar(&opts.Head, "head", "", "the head policies' `DIR` (default: this closeout's library)")
	fl.StringArrayVar(&opts.Corpus, "corpus", nil, "snapshots to evaluate: a file, a `PATH` to a directory, JSON Lines (repeatable)")
	fl.StringVarP(&opts.Format, "format", "f", "table", "`format`: "+strings.Join(reports.DiffFormats, "|"))
	fl.StringVarP(&opts.Output, "output", "o", "", "write to `FILE` instead of stdout")
	fl.BoolVar(&opts.AllowChanges, "allow-changes", false, "exit 0 even when the change flips findings")
	return cmd
}

func policyDiffRun(opts *PolicyDiffOptions) error {
	f := opts.factory
	if opts.Base == "" || len(opts.Corpus) == 0 {
		return usageErrorf("policy diff needs --base and at least one --corpus")
	}
	if !slices.Contains(reports.DiffFormats, opts.Format) {
		return usageErrorf("--format %q: want one of %s", opts.Format, strings.Join(reports.DiffFormats, ", "))
	}
	corpus, err := snapshotFiles("--corpus", opts.Corpus)
	if err != nil {
		return err
	}
	baseDir, cleanup, err := policyTree(opts.Base)
	if err != nil {
		return err
	}
	defer cleanup()
	evaluate := func(side string, o policies.Options) (*bytes.Buffer, error) {
		set, err := f.Policies(f.Context, o)
		if err != nil {
			return nil, &exitError{code: exitInput, err: fmt.Errorf("the %s policies: %w", side, err)}
		}
		return evaluateCorpus(opts, set, corpus)
	}
	base, err := evaluate("base", policies.Options{LibraryDir: baseDir})
	if err != nil {
		return err
	}
	head, err := evaluate("head", policies.Options{LibraryDir: opts.Head})
	if err != nil {
		return err
	}
	d, err := results.CompareCorpus(base, head, results.Info)
	if err != nil {
		return err
	}
	// What failed under both is not the change's doing, unless the
	// policy's metadata (its severity, say) changed with it or the
	// status moved (fail → error: the head cannot evaluate it).
	kept := d.Entries[:0]
	for _, e := range d.Entries {
		if e.Change != results.StillFailing || e.PolicyChanged || e.Old != e.New {
			e.FailingSince = nil // both sides are evaluated now: no age
			kept = append(kept, e)
		} else {
			d.StillFailingOmitted++
		}
	}
	d.Entries = kept
	// Both sides are evaluated now: the labels, not the times, tell them apart.
	d.OldGeneratedAt, d.NewGeneratedAt = time.Time{}, time.Time{}
	d.PolicyChange = true
	d.OldLabel = "base " + opts.Base
	d.NewLabel = "head " + cmp.Or(opts.Head, "(the library built into closeout "+version+")")
	if err := writeOutput(opts.Output, opts.IO.Out, func(w io.Writer) error { return reports.WriteDiff(w, d, opts.Format) }); err != nil {
		return err
	}
	changed := len(d.PoliciesAdded)+len(d.PoliciesRemoved)+len(d.PoliciesChanged) > 0
	if len(d.Entries) > 0 {
		changed = true
	}
	if changed && !opts.AllowChanges {
		return &exitError{code: exitBlocking}
	}
	return nil
}

// evaluateCorpus evaluates every snapshot of the corpus into a results
// document, as check would.
func evaluateCorpus(opts *PolicyDiffOptions, set *policies.Set, corpus []string) (*bytes.Buffer, error) {
	f := opts.factory
	var buf bytes.Buffer
	rep, _ := reports.New("json", &buf, reports.Options{})
	meta := results.Meta{SchemaVersion: results.SchemaVersion, GeneratedAt: f.Now(), FailOn: results.High,
		Tool:      results.Tool{Name: "closeout", Version: version, SchemaInput: snapshot.SchemaVersion},
		PolicySet: results.PolicySet{Digest: set.Digest, Count: len(set.Policies)}, Policies: set.Info()}
	check := &CheckOptions{IO: opts.IO, factory: f, Snapshots: corpus}
	tally, err := evaluateStream(check, set, results.GateOf(meta), meta, rep, nil, nil)
	if err != nil {
		return nil, err
	}
	if errs := tally.Summary.InputErrors; len(errs) > 0 {
		return nil, &exitError{code: exitInput, err: fmt.Errorf("the corpus: %s", errs[0].Message)}
	}
	return &buf, nil
}

// snapshotFiles expands each directory of paths into its .json and .jsonl
// files, in name order (a link inside is refused by name, never
// followed); files and - are kept as given. flag names the option in
// errors ("--corpus", or "" for check's arguments).
func snapshotFiles(flag string, paths []string) ([]string, error) {
	prefix := ""
	if flag != "" {
		prefix = flag + ": "
	}
	var out []string
	for _, p := range paths {
		// A file, or what is not there, is the snapshot reader's to open
		// and to name in its error.
		if st, err := os.Stat(p); p == "-" || err != nil || !st.IsDir() {
			out = append(out, p)
			continue
		}
		n := len(out)
		root := p // the directory named may be a link; what is inside may not
		if real, err := filepath.EvalSymlinks(p); err == nil {
			root = real
		}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() || !(strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".jsonl")):
				return nil
			case !d.Type().IsRegular():
				return fmt.Errorf("%s is not a regular file (a link is never followed)", filepath.Join(p, strings.TrimPrefix(path, root)))
			}
			out = append(out, filepath.Join(p, strings.TrimPrefix(path, root)))
			return nil
		})
		if err != nil {
			return nil, &exitError{code: exitInput, err: fmt.Errorf("%s%w", prefix, err)}
		}
		if len(out) == n {
			return nil, &exitError{code: exitInput, err: fmt.Errorf("%s%s holds no .json or .jsonl snapshot", prefix, p)}
		}
	}
	return out, nil
}

// policyTree is a policy directory for --base: the directory itself, or a
// git ref's policies/ extracted with git archive into a temporary
// directory (the working tree is not touched).
func policyTree(ref string) (string, func(), error) {
	if st, err := os.Stat(ref); err == nil && st.IsDir() {
		return ref, func() {}, nil
	}
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", nil, usageErrorf("--base %q is neither a directory nor a git ref of this repository", ref)
	}
	// REF or REF:PATH, PATH from the repository's root (default policies).
	rev, sub, _ := strings.Cut(ref, ":")
	sub = path.Clean(cmp.Or(sub, "policies"))
	if rev == "" || strings.HasPrefix(rev, "-") || !filepath.IsLocal(sub) {
		return "", nil, usageErrorf("--base %q: want a directory, a git ref, or REF:PATH", ref)
	}
	archive, err := exec.Command("git", "-C", strings.TrimSpace(string(root)), "archive", "--format=tar", rev, "--", sub).Output()
	if err != nil {
		return "", nil, usageErrorf("--base %q: git archive could not read %s/ at %s", ref, sub, rev)
	}
	dir, err := os.MkdirTemp("", "closeout-base-*")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			cleanup()
			return "", nil, err
		}
		if h.Typeflag != tar.TypeReg || !strings.HasSuffix(h.Name, ".rego") || !filepath.IsLocal(h.Name) {
			continue
		}
		target := filepath.Join(dir, h.Name)
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			cleanup()
			return "", nil, err
		}
		body, err := io.ReadAll(io.LimitReader(tr, 8<<20))
		if err == nil {
			err = os.WriteFile(target, body, 0o600)
		}
		if err != nil {
			cleanup()
			return "", nil, err
		}
	}
	return filepath.Join(dir, filepath.FromSlash(sub)), cleanup, nil
}
