package snapshot

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/internal/inputfile"
	"github.com/closeout-dev/closeout/internal/suggest"
	"go.yaml.in/yaml/v3"
)

// AttestationSteps are the human steps of a close-out, as the attestation
// file and incident.attestations name them.
var AttestationSteps = []string{"userNotified", "rootCauseIdentified", "activityReviewed", "devicesScanned", "incidentDocumented"}

// Attestations is an attestation file: who did each human step, and when.
type Attestations struct {
	Incident string
	Steps    map[string]Attestation
}

// LoadAttestations reads an attestation file, YAML or JSON. Every problem is
// reported with its line: an unknown or misspelt key, a step without by or
// at, a time that is not RFC 3339.
func LoadAttestations(path string) (*Attestations, error) {
	raw, err := inputfile.Read(path, inputfile.MaxBytes)
	if err != nil {
		return nil, &Error{File: path, Reason: err.Error()}
	}
	return ParseAttestations(raw, path)
}

// ParseAttestations parses an attestation file's bytes; file names it in errors.
func ParseAttestations(raw []byte, file string) (*Attestations, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		line, reason := inputfile.YAMLError(err)
		return nil, &Error{File: file, Line: line, Reason: "not YAML or JSON: " + reason}
	}
	out := &Attestations{Steps: map[string]Attestation{}}
	if len(root.Content) == 0 {
		return out, nil // an untouched template: nothing attested yet
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: doc.Line, Reason: "expected a mapping of steps (userNotified: {by: ..., at: ...})"}
	}
	var errs []error
	bad := func(n *yaml.Node, format string, args ...any) {
		errs = append(errs, &Error{File: file, Line: n.Line, Reason: fmt.Sprintf(format, args...)})
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		key, value := doc.Content[i], doc.Content[i+1]
		switch {
		case key.Value == "incident":
			id, ok := inputfile.Scalar(value)
			if !ok {
				bad(value, "incident: expected the incident id")
				continue
			}
			out.Incident = id
		case isStep(key.Value):
			if a, ok := parseStep(key.Value, value, bad); ok {
				out.Steps[key.Value] = a
			}
		default:
			reason := fmt.Sprintf("unknown key %q", key.Value)
			if near := suggest.Nearest(key.Value, append([]string{"incident"}, AttestationSteps...)); near != "" {
				reason += fmt.Sprintf("; did you mean %q?", near)
			} else {
				reason += "; the steps are " + strings.Join(AttestationSteps, ", ")
			}
			bad(key, "%s", reason)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func isStep(name string) bool {
	for _, s := range AttestationSteps {
		if s == name {
			return true
		}
	}
	return false
}

func parseStep(step string, n *yaml.Node, bad func(*yaml.Node, string, ...any)) (Attestation, bool) {
	var a Attestation
	if n.Kind != yaml.MappingNode {
		bad(n, "%s: expected by, at and an optional note", step)
		return a, false
	}
	ok := true
	var hasBy, hasAt bool
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		text, isScalar := inputfile.Scalar(value)
		if !isScalar && (key.Value == "by" || key.Value == "at" || key.Value == "note") {
			bad(value, "%s.%s: expected a plain value, not a list or a mapping", step, key.Value)
			ok = false
			continue
		}
		switch key.Value {
		case "by":
			a.By = strings.TrimSpace(text)
			hasBy = a.By != ""
		case "at":
			t, err := time.Parse(time.RFC3339, strings.TrimSpace(text))
			if err != nil {
				bad(value, "%s.at %q is not an RFC 3339 time such as 2026-11-22T15:00:00Z", step, text)
				ok = false
				continue
			}
			a.At, hasAt = t.UTC(), true
		case "note":
			a.Note = text
		default:
			reason := fmt.Sprintf("%s: unknown key %q", step, key.Value)
			if near := suggest.Nearest(key.Value, []string{"by", "at", "note"}); near != "" {
				reason += fmt.Sprintf("; did you mean %q?", near)
			}
			bad(key, "%s", reason)
			ok = false
		}
	}
	if !hasBy {
		bad(n, "%s: no by: who did it", step)
		ok = false
	}
	if !hasAt && ok {
		bad(n, "%s: no at: when it was done", step)
		ok = false
	}
	return a, ok
}

// AttestationTemplate is a commented attestation file for an incident.
func AttestationTemplate(incidentID string) string {
	var b strings.Builder
	b.WriteString("# closeout attestations: the human steps of closing a compromised-account incident.\n")
	b.WriteString("# Uncomment each step when it is done and say who did it (by) and when (at, RFC 3339 UTC).\n")
	b.WriteString("# closeout verify --attestations <this file> counts a step as done only with both.\n")
	if incidentID != "" {
		fmt.Fprintf(&b, "incident: %s\n", incidentID)
	}
	help := map[string]string{
		"userNotified":        "The user was told what happened and what was changed, and debriefed (not by email to the compromised mailbox).",
		"rootCauseIdentified": "How the account was taken is known: phishing, password reuse, a stolen token, consent phishing, ...",
		"activityReviewed":    "The window's sign-ins, mailbox audit and file activity were reviewed for what the attacker saw, sent or took.",
		"devicesScanned":      "The user's devices were scanned or rebuilt.",
		"incidentDocumented":  "The incident is written up: timeline, findings, actions, closeout's report attached.",
	}
	for _, step := range AttestationSteps {
		fmt.Fprintf(&b, "\n# %s\n# %s:\n#   by: you@contoso.com\n#   at: 2026-11-22T15:00:00Z\n#   note: \"\"\n", help[step], step)
	}
	return b.String()
}
