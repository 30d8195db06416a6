// Package sarifout writes a go-sarif report as code scanning reads it.
package sarifout

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// Write writes rep as indented JSON without go-sarif's empty defaults.
func Write(w io.Writer, rep *sarif.Report) error {
	var buf bytes.Buffer
	if err := rep.Write(&buf); err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		return err
	}
	out, err := json.MarshalIndent(prune(v), "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(out, '\n'))
	return err
}

// prune drops what go-sarif fills in by default but says nothing: empty
// arrays and objects, and the -1 "not set" placeholders (indices, ids,
// byte and character offsets, rank), which code scanning rejects.
func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			val = prune(val)
			switch p := val.(type) {
			case []any:
				if len(p) == 0 {
					delete(x, k)
					continue
				}
			case map[string]any:
				if len(p) == 0 {
					delete(x, k)
					continue
				}
			case float64:
				if p == -1 {
					delete(x, k)
					continue
				}
			}
			x[k] = val
		}
		return x
	case []any:
		for i := range x {
			x[i] = prune(x[i])
		}
		return x
	}
	return v
}
