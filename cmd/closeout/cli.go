package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/closeout-dev/closeout/internal/suggest"
	"github.com/closeout-dev/closeout/policies"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit codes, as in the README.
const (
	exitOK         = 0
	exitBlocking   = 1   // evaluated; a finding at or above --fail-on failed
	exitInput      = 2   // usage or input error
	exitCollection = 3   // collection failed before anything could be evaluated
	exitInterrupt  = 130 // stopped by a signal (SIGINT, SIGTERM); the message says how to resume
)

// exitError carries an exit code. A nil err means the command already said
// everything it had to say.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitInput, err: fmt.Errorf(format, args...)}
}

// version and commit are set at build time with -ldflags "-X main.version=…".
var (
	version = "0.1.0-dev"
	commit  = ""
)

// factory holds the dependencies commands share, built lazily.
type factory struct {
	IO      *IOStreams
	Now     func() time.Time
	Context context.Context
	// Policies loads and compiles the policy set.
	Policies func(ctx context.Context, opts policies.Options) (*policies.Set, error)
}

func newFactory(streams *IOStreams) *factory {
	return &factory{
		IO:       streams,
		Now:      func() time.Time { return time.Now().UTC() },
		Context:  context.Background(),
		Policies: policies.Load,
	}
}

func buildCommit() string {
	if commit != "" {
		return commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// Run runs closeout with args and returns the exit code. Only main exits.
func Run(args []string, streams *IOStreams) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := newFactory(streams)
	f.Context = ctx
	root := newRootCmd(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var ee *exitError
	if err != nil && ctx.Err() != nil && !(errors.As(err, &ee) && ee.code == exitInterrupt) {
		err = &exitError{code: exitInterrupt, err: fmt.Errorf("interrupted: %w", err)}
	}
	return exitCode(err, streams)
}

func newRootCmd(f *factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "closeout",
		Short: "Verify that a compromised Microsoft 365 account is fully remediated",
		Long: `closeout reads an account's security state from Microsoft Graph and Exchange
Online into a snapshot, evaluates it against the compromised-account hardening
checklist with Rego policies, and reports what is done, what is still open and
exactly what to do about it. It never changes anything in the tenant.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: exitInput, err: withFlagSuggestion(c, err)}
	})
	root.AddCommand(newCmdVerify(f, nil), newCmdAttest(f), newCmdEvidence(f), newCmdCollect(f, nil), newCmdCheck(f, nil), newCmdScan(f, nil), newCmdMerge(f, nil), newCmdDiff(f, nil), newCmdHistory(f, nil), newCmdReport(f, nil), newCmdRedact(f, nil), newCmdPolicy(f), newCmdPermissions(f, nil), newCmdVersion(f, nil))
	return root
}

// withFlagSuggestion adds the nearest flag to an unknown-flag error, as
// cobra already does for unknown commands.
func withFlagSuggestion(c *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return err
	}
	var names []string
	c.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	c.InheritedFlags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	if near := suggest.Nearest(name, names); near != "" {
		return fmt.Errorf("%w (did you mean --%s?)", err, near)
	}
	return err
}

// exitCode maps an error to the exit code and prints it, once, on stderr.
func exitCode(err error, streams *IOStreams) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	code := exitInput
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	fmt.Fprintf(streams.ErrOut, "closeout: %v\n", err)
	return code
}
