package results

import (
	"errors"
	"fmt"
	"github.com/closeout-dev/closeout/internal/suggest"
	"path"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/internal/inputfile"
	"go.yaml.in/yaml/v3"
)

// Waiver is an accepted exception: a policy that may fail for a subject,
// with who accepted it, why, and until when.
type Waiver struct {
	Policy        string    `json:"policy"`
	Subject       string    `json:"subject"` // an account, or a pattern such as *@contoso.com
	Justification string    `json:"justification"`
	ApprovedBy    string    `json:"approvedBy"`
	Expires       time.Time `json:"expires"`
	line          int
}

// Waivers is a waiver file.
type Waivers struct {
	File  string
	Items []Waiver
}

// LoadWaivers reads a waiver file (YAML or JSON): a list of waivers, each
// with policy, subject, justification, approvedBy and expires. A waiver
// without a justification, an approver or an expiry is refused with its
// line: an exception nobody owns, or one that never ends, is not one.
func LoadWaivers(file string) (*Waivers, error) {
	raw, err := inputfile.Read(file, inputfile.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return ParseWaivers(raw, file)
}

// ParseWaivers parses a waiver file's bytes; file names it in errors.
func ParseWaivers(raw []byte, file string) (*Waivers, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		line, reason := inputfile.YAMLError(err)
		if line > 0 {
			return nil, fmt.Errorf("%s:%d: not YAML or JSON: %s", file, line, reason)
		}
		return nil, fmt.Errorf("%s: not YAML or JSON: %s", file, reason)
	}
	w := &Waivers{File: file}
	if len(root.Content) == 0 {
		return w, nil
	}
	list := root.Content[0]
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: expected a list of waivers, each a mapping of policy, subject, justification, approvedBy and expires (see the README, Waivers)", file, list.Line)
	}
	var errs []error
	for _, n := range list.Content {
		var item struct{ Policy, Subject, Justification, ApprovedBy, Expires string }
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s:%d: %s", file, n.Line, fmt.Sprintf(format, args...)))
		}
		if n.Kind != yaml.MappingNode {
			bad("expected a waiver (policy, subject, justification, approvedBy, expires)")
			continue
		}
		fields := map[string]*string{"policy": &item.Policy, "subject": &item.Subject, "justification": &item.Justification,
			"approvedBy": &item.ApprovedBy, "expires": &item.Expires}
		malformed := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			field, known := fields[k.Value]
			switch {
			case !known:
				hint := ""
				if near := suggest.Nearest(k.Value, waiverKeys); near != "" {
					hint = fmt.Sprintf(" (did you mean %q?)", near)
				}
				errs = append(errs, fmt.Errorf("%s:%d: unknown key %q%s: a waiver has %s", file, k.Line, k.Value, hint, strings.Join(waiverKeys, ", ")))
				malformed = true
			case v.Kind != yaml.ScalarNode:
				errs = append(errs, fmt.Errorf("%s:%d: %s: expected a plain value, not a list or a mapping", file, v.Line, k.Value))
				malformed = true
			default:
				*field = v.Value
			}
		}
		if malformed {
			continue
		}
		expires, err := time.Parse(time.RFC3339, item.Expires)
		if err != nil {
			if d, derr := time.Parse("2006-01-02", item.Expires); derr == nil {
				expires, err = d, nil
			}
		}
		switch {
		case item.Policy == "" || item.Subject == "":
			bad("a waiver names a policy and a subject")
		case strings.TrimSpace(item.Justification) == "":
			bad("waiver of %s for %s has no justification", item.Policy, item.Subject)
		case strings.TrimSpace(item.ApprovedBy) == "":
			bad("waiver of %s for %s has no approvedBy", item.Policy, item.Subject)
		case err != nil:
			bad("waiver of %s for %s: expires %q is not a date (2027-01-31) or RFC 3339 time", item.Policy, item.Subject, item.Expires)
		default:
			w.Items = append(w.Items, Waiver{Policy: item.Policy, Subject: item.Subject, Justification: item.Justification,
				ApprovedBy: item.ApprovedBy, Expires: expires.UTC(), line: n.Line})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return w, nil
}

// waiverKeys are the keys of a waiver, in the order the README gives them.
var waiverKeys = []string{"policy", "subject", "justification", "approvedBy", "expires"}

// Unknown lists, as "file:line: …" warnings, the waivers that name a policy
// known reports is not in the evaluated set: they waive nothing, and a typo
// in an id should not pass unnoticed.
func (w *Waivers) Unknown(known func(id string) bool) []string {
	if w == nil {
		return nil
	}
	var out []string
	for _, wv := range w.Items {
		if !known(wv.Policy) {
			out = append(out, fmt.Sprintf("%s:%d: waiver names policy %s, which is not in the policy set; it waives nothing", w.File, wv.line, wv.Policy))
		}
	}
	return out
}

// Apply turns the failing and warning findings a live waiver covers into
// waived, keeping the original status and the waiver in the evidence. A
// waiver past its expiry at now is ignored, and the finding says so.
func (w *Waivers) Apply(s *Subject, now time.Time) {
	if w == nil {
		return
	}
	for i := range s.Findings {
		f := &s.Findings[i]
		if f.Status != Fail && f.Status != Warn {
			continue
		}
		for _, wv := range w.Items {
			if wv.Policy != f.PolicyID || !matchSubject(wv.Subject, s.Subject) {
				continue
			}
			where := fmt.Sprintf("%s:%d", w.File, wv.line)
			if now.After(wv.Expires) {
				f.Message += fmt.Sprintf(" (waiver at %s expired %s)", where, wv.Expires.Format("2006-01-02"))
				continue
			}
			if f.Evidence == nil {
				f.Evidence = map[string]any{}
			}
			f.Evidence["waiver"] = map[string]any{"source": where, "justification": wv.Justification,
				"approvedBy": wv.ApprovedBy, "expires": wv.Expires.Format(time.RFC3339), "status": string(f.Status)}
			f.Message = fmt.Sprintf("waived until %s by %s (%s): %s", wv.Expires.Format("2006-01-02"), wv.ApprovedBy, wv.Justification, f.Message)
			f.Status = Waived
			break
		}
	}
}

func matchSubject(pattern, subject string) bool {
	ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(subject))
	return err == nil && ok
}
