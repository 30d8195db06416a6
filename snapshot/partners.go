package snapshot

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/internal/inputfile"
	"github.com/closeout-dev/closeout/internal/suggest"
	"go.yaml.in/yaml/v3"
)

// partnerKeys are the keys of one known connector.
var partnerKeys = []string{"name", "smartHosts", "justification", "approvedBy", "expires"}

// LoadPartners reads a known-partners file (--partners), YAML or JSON: the
// outbound connectors the operator vouches for, each by name with every
// smart host it may route to, who vouched and why, and optionally until
// when. Like a waiver, an entry nobody owns or justifies is refused, with
// its line.
//
//	connectors:
//	  - name: Fabrikam invoices
//	    smartHosts: [smtp.fabrikam.example]
//	    justification: invoice exchange with Fabrikam (contract 2024-117)
//	    approvedBy: ciso@contoso.com
//	    expires: 2027-06-30T00:00:00Z
func LoadPartners(path string) (*KnownPartners, error) {
	raw, err := inputfile.Read(path, inputfile.MaxBytes)
	if err != nil {
		return nil, &Error{File: path, Reason: err.Error()}
	}
	return ParsePartners(raw, path)
}

// ParsePartners parses a known-partners file's bytes; file names it in errors.
func ParsePartners(raw []byte, file string) (*KnownPartners, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		line, reason := inputfile.YAMLError(err)
		return nil, &Error{File: file, Line: line, Reason: "not YAML or JSON: " + reason}
	}
	out := &KnownPartners{Connectors: []KnownConnector{}}
	if len(root.Content) == 0 {
		return out, nil
	}
	var errs []error
	bad := func(n *yaml.Node, format string, args ...any) {
		errs = append(errs, &Error{File: file, Line: n.Line, Reason: fmt.Sprintf(format, args...)})
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: doc.Line, Reason: "expected a mapping with connectors: a list of known outbound connectors"}
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		key, value := doc.Content[i], doc.Content[i+1]
		if key.Value != "connectors" {
			reason := fmt.Sprintf("unknown key %q; the file lists connectors", key.Value)
			if near := suggest.Nearest(key.Value, []string{"connectors"}); near != "" {
				reason = fmt.Sprintf("unknown key %q; did you mean %q?", key.Value, near)
			}
			bad(key, "%s", reason)
			continue
		}
		if value.Kind != yaml.SequenceNode {
			bad(value, "connectors: expected a list of connectors (name, smartHosts, justification, approvedBy, expires)")
			continue
		}
		for _, n := range value.Content {
			if c, ok := parseKnownConnector(n, bad); ok {
				out.Connectors = append(out.Connectors, c)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func parseKnownConnector(n *yaml.Node, bad func(*yaml.Node, string, ...any)) (KnownConnector, bool) {
	var c KnownConnector
	if n.Kind != yaml.MappingNode {
		bad(n, "expected a connector: name, smartHosts, justification, approvedBy and an optional expires")
		return c, false
	}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		if key.Value == "smartHosts" {
			if value.Kind != yaml.SequenceNode {
				bad(value, "smartHosts: expected a list of host names or IP addresses")
				ok = false
				continue
			}
			for _, h := range value.Content {
				host, isScalar := inputfile.Scalar(h)
				if !isScalar || strings.TrimSpace(host) == "" {
					bad(h, "smartHosts: expected a host name or IP address")
					ok = false
					continue
				}
				c.SmartHosts = append(c.SmartHosts, strings.TrimSpace(host))
			}
			continue
		}
		text, isScalar := inputfile.Scalar(value)
		if !isScalar && slices.Contains(partnerKeys, key.Value) {
			bad(value, "%s: expected a plain value, not a list or a mapping", key.Value)
			ok = false
			continue
		}
		text = strings.TrimSpace(text)
		switch key.Value {
		case "name":
			c.Name = text
		case "justification":
			c.Justification = text
		case "approvedBy":
			c.ApprovedBy = text
		case "expires":
			t, err := time.Parse(time.RFC3339, text)
			if err != nil {
				bad(value, "expires %q is not an RFC 3339 time such as 2027-06-30T00:00:00Z", text)
				ok = false
				continue
			}
			t = t.UTC()
			c.Expires = &t
		default:
			reason := fmt.Sprintf("unknown key %q", key.Value)
			if near := suggest.Nearest(key.Value, partnerKeys); near != "" {
				reason += fmt.Sprintf("; did you mean %q?", near)
			} else {
				reason += "; a connector has " + strings.Join(partnerKeys, ", ")
			}
			bad(key, "%s", reason)
			ok = false
		}
	}
	for _, req := range []struct{ name, value, why string }{
		{"name", c.Name, "the connector's name, as Get-OutboundConnector gives it"},
		{"justification", c.Justification, "why mail goes there"},
		{"approvedBy", c.ApprovedBy, "who vouches for it"},
	} {
		if req.value == "" {
			bad(n, "no %s: %s", req.name, req.why)
			ok = false
		}
	}
	if len(c.SmartHosts) == 0 {
		bad(n, "no smartHosts: every host the connector may route to")
		ok = false
	}
	return c, ok
}
