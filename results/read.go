package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Decode reads a closeout.results/v1 document as a stream: meta is called
// once, before the first subject, then subject for each subject in order,
// so a document of any size is re-rendered in bounded memory. It returns
// the summary.
func Decode(r io.Reader, meta func(Meta) error, subject func(*Subject) error) (Summary, error) {
	var sum Summary
	incidents, tenants := 0, 0
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return sum, err
	}
	head := map[string]json.RawMessage{}
	metaSent := false
	sendMeta := func() error {
		if metaSent {
			return nil
		}
		metaSent = true
		raw, _ := json.Marshal(head)
		var m Meta
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("results header: %w", err)
		}
		if m.SchemaVersion != SchemaVersion {
			return fmt.Errorf("schemaVersion %q: this closeout reads %q", m.SchemaVersion, SchemaVersion)
		}
		return meta(m)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return sum, err
		}
		key, _ := tok.(string)
		switch key {
		case "subjects":
			if err := sendMeta(); err != nil {
				return sum, err
			}
			if err := expectDelim(dec, '['); err != nil {
				return sum, fmt.Errorf("subjects: %w", err)
			}
			for i := 0; dec.More(); i++ {
				var s Subject
				if err := dec.Decode(&s); err != nil {
					return sum, fmt.Errorf("subjects[%d]: %w", i, err)
				}
				switch s.Mode {
				case "incident":
					incidents++
				case "tenant":
					tenants++
				}
				if err := subject(&s); err != nil {
					return sum, err
				}
			}
			if err := expectDelim(dec, ']'); err != nil {
				return sum, err
			}
		case "summary":
			if err := dec.Decode(&sum); err != nil {
				return sum, fmt.Errorf("summary: %w", err)
			}
		default:
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return sum, fmt.Errorf("%s: %w", key, err)
			}
			head[key] = raw
		}
	}
	if err := sendMeta(); err != nil {
		return sum, err
	}
	if sum.ByStatus == nil {
		return sum, errors.New("no summary: the document is incomplete")
	}
	// What the subjects were decides the verdict's wording, whatever a
	// document from an older closeout says.
	sum.Incidents, sum.Tenants = incidents, tenants
	return sum, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, found %v", want, tok)
	}
	return nil
}
