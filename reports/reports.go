// Package reports renders closeout.results/v1 documents. Every format is a
// Reporter that receives the document as a stream (meta, then each subject,
// then the summary), so a tenant of any size renders in bounded memory.
package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/closeout-dev/closeout/results"
)

// Reporter renders one results document.
type Reporter interface {
	Begin(meta results.Meta) error
	Subject(s *results.Subject) error
	End(sum results.Summary) error
}

// Options tune rendering.
type Options struct {
	// Color enables ANSI colours (a terminal, NO_COLOR unset).
	Color bool
}

// Format describes one output format, for --format help and validation.
type Format struct {
	Name        string
	Description string
	new         func(w io.Writer, opts Options) Reporter
}

// Formats lists every output format.
var Formats = []Format{
	{"table", "human-readable checklist per account, coloured on a terminal", newTable},
	{"json", "closeout.results/v1 JSON: every finding with evidence, digests and summary", newJSON},
}

// FormatNames is the list of format names, for help text.
func FormatNames() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = f.Name
	}
	return strings.Join(names, "|")
}

// New returns the reporter for format, writing to w.
func New(format string, w io.Writer, opts Options) (Reporter, error) {
	for _, f := range Formats {
		if f.Name == format {
			return f.new(w, opts), nil
		}
	}
	return nil, fmt.Errorf("unknown format %q (want one of %s)", format, FormatNames())
}
