package reports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"github.com/closeout-dev/closeout/results"
)

// jsonReporter writes closeout.results/v1, one subject at a time.
type jsonReporter struct {
	w     *bufio.Writer
	count int
}

var _ Reporter = (*jsonReporter)(nil)

func newJSON(w io.Writer, _ Options) Reporter { return &jsonReporter{w: bufio.NewWriter(w)} }

func (r *jsonReporter) Begin(meta results.Meta) error {
	meta.SchemaVersion = results.SchemaVersion
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	// Reopen the object to stream the subjects into it.
	b = bytes.TrimSuffix(b, []byte("\n}"))
	r.w.Write(b)
	_, err = r.w.WriteString(",\n  \"subjects\": [")
	return err
}

func (r *jsonReporter) Subject(s *results.Subject) error {
	b, err := json.MarshalIndent(s, "    ", "  ")
	if err != nil {
		return err
	}
	if r.count > 0 {
		r.w.WriteByte(',')
	}
	r.count++
	r.w.WriteString("\n    ")
	_, err = r.w.Write(b)
	return err
}

func (r *jsonReporter) End(sum results.Summary) error {
	b, err := json.MarshalIndent(sum, "  ", "  ")
	if err != nil {
		return err
	}
	if r.count > 0 {
		r.w.WriteString("\n  ")
	}
	r.w.WriteString("],\n  \"summary\": ")
	r.w.Write(b)
	r.w.WriteString("\n}\n")
	return r.w.Flush()
}
