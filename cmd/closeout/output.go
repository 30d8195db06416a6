package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/closeout-dev/closeout/internal/safefile"
	"github.com/closeout-dev/closeout/reports"
	"github.com/closeout-dev/closeout/results"
	"github.com/spf13/pflag"
)

// outputFlags are the report outputs every evaluating command takes.
type outputFlags struct {
	Format   string
	Outputs  []string
	Redact   bool
	OpenOnly bool
	// Quiet keeps the verdict line off stderr when no report on stdout
	// carries it.
	Quiet bool
	// SARIFCategory is the SARIF run's automationDetails.id.
	SARIFCategory string

	flags *pflag.FlagSet
	outs  []output
	// noShort leaves -o to the command (scan's -o is its directory).
	noShort bool
	// scan is a command over a whole tenant (scan, merge): the summary on
	// the terminal, what passed left out, -q for errors only.
	scan bool
	// listFiles names the files written after a report on stdout.
	listFiles bool
}

func (o *outputFlags) register(fl *pflag.FlagSet) {
	o.flags = fl
	format := "table"
	if o.scan {
		format = "summary"
	}
	fl.StringVarP(&o.Format, "format", "f", format, "report `format` on stdout: "+reports.FormatNames())
	short := "o"
	if o.noShort {
		short = ""
	}
	fl.StringArrayVarP(&o.Outputs, "output", short, nil, "write a report to a file: `[FORMAT=]PATH` (repeatable; without FORMAT= the extension says: "+extensionList()+"; mode 0600; - is stdout)")
	fl.StringVar(&o.SARIFCategory, "sarif-category", "", "SARIF automationDetails.id, so two uploads to code scanning from one job do not replace each other (e.g. closeout/tenant-a)")
	if o.scan {
		fl.BoolVarP(&o.Quiet, "quiet", "q", false, "print errors only: no summary, no progress, no statistics (results.json and the reports asked for are written)")
		fl.BoolVar(&o.OpenOnly, "open-only", true, "leave what passed out of the human formats (table, checklist, markdown, html): an account with nothing open is counted, not listed; --open-only=false lists everything")
		o.listFiles = true
	} else {
		fl.BoolVarP(&o.Quiet, "quiet", "q", false, "print no verdict line on stderr when the reports go to files or stdout carries data")
		fl.BoolVar(&o.OpenOnly, "open-only", false, "leave what passed out of the human formats (table, checklist, markdown, html)")
	}
	fl.BoolVar(&o.Redact, "redact", false, "replace UPNs, emails, display names, IPs and phone numbers with pseudonyms in every output")
}

// output is one report destination.
type output struct {
	format string
	path   string // "-" for stdout
}

// outputs turns the flags into destinations: --format to stdout unless
// --output names files, then each file in its format.
func (o *outputFlags) outputs() ([]output, error) {
	if len(o.Outputs) == 0 {
		o.Outputs = []string{"-"}
	}
	var outs []output
	stdout := 0
	seen := map[string]string{}
	for _, spec := range o.Outputs {
		out := output{format: o.Format, path: spec}
		if name, path, ok := strings.Cut(spec, "="); ok && !strings.ContainsAny(name, `/\.`) {
			if !isFormat(name) {
				return nil, usageErrorf("--output %s: unknown format %q (want one of %s)", spec, name, reports.FormatNames())
			}
			out = output{format: name, path: path}
		} else if spec != "-" && (o.flags == nil || !o.flags.Changed("format")) {
			// -o report.html writes HTML: the extension says the format
			// unless --format or FORMAT= does.
			format, ok := formatForPath(spec, o.Format)
			if !ok {
				return nil, usageErrorf("--output %s: cannot tell the format from the extension; use one of %s, or FORMAT=PATH (formats: %s)", spec, extensionList(), reports.FormatNames())
			}
			out.format = format
		}
		if _, err := reports.New(out.format, io.Discard, reports.Options{}); err != nil {
			return nil, usageErrorf("--format: %v", err)
		}
		if out.path == "" {
			return nil, usageErrorf("--output %q: no path", spec)
		}
		if out.path == "-" {
			stdout++
		} else {
			key, err := filepath.Abs(out.path)
			if err != nil {
				key = filepath.Clean(out.path)
			}
			if other, dup := seen[key]; dup {
				return nil, usageErrorf("--output %s: the same file as --output %s; each report needs its own path", spec, other)
			}
			seen[key] = spec
		}
		outs = append(outs, out)
	}
	if stdout > 1 {
		return nil, usageErrorf("--output: only one report can go to stdout")
	}
	return outs, nil
}

// formatForPath is the format a file's extension names. .txt is the
// command's own text format (table, or verify's checklist).
func formatForPath(path, textFormat string) (string, bool) {
	lower := strings.ToLower(path)
	best, format := 0, ""
	for _, f := range reports.Formats {
		if ext := "." + f.Extension; strings.HasSuffix(lower, ext) && len(ext) > best {
			best, format = len(ext), f.Name
		}
	}
	for ext, name := range map[string]string{".htm": "html", ".markdown": "markdown", ".ndjson": "ocsf"} {
		if strings.HasSuffix(lower, ext) && len(ext) > best {
			best, format = len(ext), name
		}
	}
	if format == "table" && (textFormat == "table" || textFormat == "checklist") {
		format = textFormat
	}
	return format, format != ""
}

func extensionList() string {
	exts := make([]string, 0, len(reports.Formats))
	for _, f := range reports.Formats {
		exts = append(exts, "."+f.Extension+" "+f.Name)
	}
	return strings.Join(exts, ", ")
}

func isFormat(name string) bool {
	for _, f := range reports.Formats {
		if f.Name == name {
			return true
		}
	}
	return false
}

// openReports opens every destination and returns one reporter feeding
// them all, and a function that commits the files (or, on failure,
// removes them so no half-written report is left).
func openReports(io *IOStreams, flags *outputFlags) (reports.Reporter, func(ok bool) error, error) {
	outs, err := flags.outputs()
	if err != nil {
		return nil, nil, err
	}
	flags.outs = outs
	var reps []reports.Reporter
	var files []*safefile.Atomic
	finish := func(ok bool) error {
		var first error
		for _, f := range files {
			if err := f.Finish(ok); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	for _, out := range outs {
		w, color := io.Out, io.ColorEnabled()
		if out.path != "-" {
			f, err := createAtomic(out.path)
			if err != nil {
				finish(false)
				return nil, nil, &exitError{code: exitInput, err: fmt.Errorf("--output %s: %w", out.path, err)}
			}
			files = append(files, f)
			w, color = f, false
		}
		rep, _ := reports.New(out.format, w, reports.Options{Color: color, OpenOnly: flags.OpenOnly, SARIFCategory: flags.SARIFCategory})
		reps = append(reps, rep)
	}
	rep := reports.Multi(reps...)
	if flags.Redact {
		rep = reports.Redact(rep, reports.NewRedactor(nil))
	}
	return rep, finish, nil
}

// humanFormats carry the verdict themselves when they go to stdout.
var humanFormats = map[string]bool{"table": true, "checklist": true, "markdown": true, "summary": true}

// sayVerdict prints the verdict line on stderr unless a report on stdout
// already carries it, or --quiet: whoever ran the command sees the verdict
// even when every report went to a file.
func (o *outputFlags) sayVerdict(io *IOStreams, sum results.Summary) {
	if o.Quiet {
		return
	}
	var files []string
	onStdout := false
	for _, out := range o.outs {
		if out.path == "-" && humanFormats[out.format] {
			onStdout = true
		}
		if out.path != "-" {
			files = append(files, out.path)
		}
	}
	if onStdout {
		// The report on stdout said the verdict; a scan's summary does
		// not list where everything went.
		if o.listFiles && len(files) > 0 {
			fmt.Fprintf(io.ErrOut, "closeout: written: %s\n", strings.Join(files, ", "))
		}
		return
	}
	line := reports.VerdictLine(sum)
	if len(files) > 0 {
		line += "; reports in " + strings.Join(files, ", ")
	}
	fmt.Fprintf(io.ErrOut, "closeout: %s\n", line)
}

// createAtomic starts a report or output file the user named: written
// under a temporary name and renamed into place when complete; a device or
// FIFO there (/dev/stdout) is written in place; a link to a regular file is
// refused.
func createAtomic(path string) (*safefile.Atomic, error) { return safefile.CreateAtomic(path, true) }

// writeFileAtomic writes one file the user named as createAtomic does.
func writeFileAtomic(path string, write func(*os.File) error) error {
	return safefile.Write(path, true, write)
}

// writeOutput writes to the file the user named with -o (atomically, mode
// 0600), or to stdout when none was.
func writeOutput(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path != "" {
		return writeFileAtomic(path, func(f *os.File) error { return write(f) })
	}
	return write(stdout)
}
