package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/closeout-dev/closeout/reports"
	"github.com/spf13/cobra"
)

// RedactOptions are the inputs of `closeout redact`.
type RedactOptions struct {
	IO        *IOStreams
	Snapshots []string
	Output    string
}

func newCmdRedact(f *factory, runF func(*RedactOptions) error) *cobra.Command {
	opts := &RedactOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "redact SNAPSHOT... -o CORPUS.jsonl",
		Short: "Redact snapshots into a policy corpus that can live in git",
		Long: `Redact snapshots (a scan's snapshots.jsonl, single files, directories) into
JSON Lines for a policy-diff corpus. Addresses, domains, IP addresses, phone
numbers and people's names are replaced; each value gets the same pseudonym
wherever it appears in the run, so the policies judge the redacted corpus
exactly as the original (an address of an accepted domain stays inside, a
sign-in from the indicator IP stays one). Times, types, scopes and
identifiers are kept. The pseudonyms come from a key drawn for the run: two
runs give different pseudonyms. Check what you commit: a value in free text
that is none of these (a mail subject in an inbox rule's condition, say) is
kept as it is.`,
		Example: `  closeout redact out/scan/snapshots.jsonl -o corpus/tenant.jsonl
  closeout policy diff --base main --head policies --corpus corpus`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := snapshotFiles("", args)
			if err != nil {
				return err
			}
			opts.Snapshots = files
			if runF != nil {
				return runF(opts)
			}
			return redactRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write the corpus to `FILE.jsonl` (mode 0600) instead of stdout")
	return cmd
}

func redactRun(opts *RedactOptions) error {
	r := reports.NewRedactor(nil)
	n := 0
	write := func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		next := snapshotSource(opts.Snapshots, opts.IO.In)
		for {
			doc, err := next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return &exitError{code: exitInput, err: err}
			}
			line, err := json.Marshal(r.Snapshot(doc.Value))
			if err != nil {
				return err
			}
			bw.Write(line)
			bw.WriteByte('\n')
			n++
		}
		return bw.Flush()
	}
	if err := writeOutput(opts.Output, opts.IO.Out, write); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "closeout: %d snapshots redacted\n", n)
	return nil
}
