package main

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the command's standard streams, injected so that commands
// run in-process in tests.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY is true when Out is a terminal: tables get colour.
	OutTTY bool
	// ErrTTY is true when ErrOut is a terminal: progress is a live line.
	ErrTTY bool
	// NoColor is set by NO_COLOR or TERM=dumb.
	NoColor bool
}

// ColorEnabled reports whether output to Out may carry ANSI colours.
func (s *IOStreams) ColorEnabled() bool { return s.OutTTY && !s.NoColor }

// SystemStreams are the process's stdin, stdout and stderr.
func SystemStreams() *IOStreams {
	_, noColor := os.LookupEnv("NO_COLOR")
	return &IOStreams{
		In:      os.Stdin,
		Out:     os.Stdout,
		ErrOut:  os.Stderr,
		OutTTY:  term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY:  term.IsTerminal(int(os.Stderr.Fd())),
		NoColor: noColor || os.Getenv("TERM") == "dumb",
	}
}

// TestStreams returns streams backed by buffers: stdin, stdout, stderr.
func TestStreams() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}
