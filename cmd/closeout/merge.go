package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/scan"
	"github.com/spf13/cobra"
)

// MergeOptions are the inputs of `closeout merge`.
type MergeOptions struct {
	IO           *IOStreams
	Out          string
	Dirs         []string
	AllowPartial bool
	Wait         time.Duration
	Check        CheckOptions
	factory      *factory
}

func newCmdMerge(f *factory, runF func(*MergeOptions) error) *cobra.Command {
	opts := &MergeOptions{IO: f.IO, factory: f}
	opts.Check = CheckOptions{IO: f.IO, factory: f}
	opts.Check.Output.noShort = true
	opts.Check.Output.scan = true
	cmd := &cobra.Command{
		Use:   "merge -o DIR SHARD-DIR...",
		Short: "Join the directories of a sharded scan into one, and evaluate it",
		Long: `Join the scan directories that closeout scan --shard i/n wrote into one: each
account once (only the lines each shard's checkpoint vouches for) and the
tenant document, then evaluate it into DIR/results.json, as one unsharded
scan would have. --history records the merged run once, however often.

Only one night's whole scan is merged: every shard i/n once, each finished,
of one tenant, with one policy set's sections and one set of filters, begun
within 12 hours of each other. Anything else is refused, naming each
problem. --allow-partial merges a night with a shard missing or unfinished
anyway, and every report of it says which.`,
		Example: `  closeout merge -o out/scan out/scan-0 out/scan-1 out/scan-2
  closeout merge --wait 2h -o '/data/nights/{date}/merged' '/data/nights/{date}/shard-0' '/data/nights/{date}/shard-1'
  closeout merge -o out/scan --allow-partial out/scan-0 out/scan-2`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("merge needs the shards' scan directories")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dirs = args
			if runF != nil {
				return runF(opts)
			}
			return mergeRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Out, "dir", "o", "", "the merged scan `DIR` (new)")
	fl.BoolVar(&opts.AllowPartial, "allow-partial", false, "merge even with a shard missing or unfinished; the results and every report name what is missing")
	fl.DurationVar(&opts.Wait, "wait", 0, "wait up to `DURATION` for every shard to finish (checking every 30 s) before merging; a shard still missing or unfinished then is refused as ever")
	opts.Check.registerEvaluation(fl)
	opts.Check.Output.register(fl)
	return cmd
}

func mergeRun(opts *MergeOptions) error {
	if opts.Out == "" {
		return usageErrorf("merge needs -o DIR for the merged scan")
	}
	now := opts.factory.Now()
	opts.Out = expandDate(opts.Out, now)
	for i, d := range opts.Dirs {
		opts.Dirs[i] = expandDate(d, now)
	}
	opts.Check.expandDate(now)
	if opts.Wait > 0 {
		waitForShards(opts.IO, opts.Dirs, opts.Wait, 30*time.Second)
	}
	lock, err := lockDir(opts.Out)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	res, err := scan.Merge(opts.Out, opts.Dirs, scan.MergeOptions{AllowPartial: opts.AllowPartial, Now: opts.factory.Now})
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	partial := res.Manifest.Partial()
	if partial != "" {
		fmt.Fprintf(opts.IO.ErrOut, "closeout: %s\n", partial)
	}
	if !opts.Check.Output.Quiet {
		fmt.Fprintf(opts.IO.ErrOut, "closeout: merged %d accounts from %d shards\n", res.Accounts, len(res.Manifest.Merged))
	}
	opts.Check.partial = partial
	return evaluateScanDirs(opts.Check, opts.Out, opts.Out)
}

// waitForShards waits, up to wait, until every directory holds a finished
// scan (its manifest says so), saying what it waits for now and then. The
// merge that follows judges what it finds either way.
func waitForShards(io *IOStreams, dirs []string, wait, every time.Duration) {
	deadline := time.Now().Add(wait)
	for {
		var pending []string
		for _, d := range dirs {
			if m, err := scan.ReadManifest(d); err != nil || m.Finished == nil {
				pending = append(pending, d)
			}
		}
		if len(pending) == 0 || time.Now().Add(every).After(deadline) {
			return
		}
		fmt.Fprintf(io.ErrOut, "closeout: waiting for %d shards to finish: %s\n", len(pending), strings.Join(pending, ", "))
		time.Sleep(every)
	}
}
