package main

import (
	"io"
	"os"

	"github.com/closeout-dev/closeout/snapshot"
	"github.com/spf13/cobra"
)

// AttestInitOptions are the inputs of `closeout attest init`.
type AttestInitOptions struct {
	IO         *IOStreams
	IncidentID string
	OutputPath string
	factory    *factory
}

func newCmdAttest(f *factory) *cobra.Command {
	cmd := &cobra.Command{Use: "attest", Short: "Record the human steps of a close-out"}
	cmd.AddCommand(newCmdAttestInit(f, nil))
	return cmd
}

func newCmdAttestInit(f *factory, runF func(*AttestInitOptions) error) *cobra.Command {
	opts := &AttestInitOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:     "init",
		Short:   "Write a commented attestation file to fill in",
		Example: "  closeout attest init --incident-id INC-4711 > attest.yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			text := snapshot.AttestationTemplate(opts.IncidentID)
			if opts.OutputPath == "" {
				_, err := io.WriteString(opts.IO.Out, text)
				return err
			}
			return writeFileAtomic(opts.OutputPath, func(file *os.File) error { _, err := file.WriteString(text); return err })
		},
	}
	cmd.Flags().StringVar(&opts.IncidentID, "incident-id", "", "the incident's ticket `ID`")
	cmd.Flags().StringVarP(&opts.OutputPath, "output", "o", "", "write to `FILE` instead of stdout")
	return cmd
}
