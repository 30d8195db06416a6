package lint

import (
	"regexp"
	"strings"

	"github.com/closeout-dev/closeout/policies"

	"github.com/open-policy-agent/opa/v1/ast"
)

// metadataLine is the line of key ("title", "custom.severity", "custom")
// in the METADATA block of src, or fallback when it is not written there
// (a missing key is reported at the block, or at custom:).
func metadataLine(src []byte, ann *ast.Annotations, key string, fallback int) int {
	if ann == nil || ann.Location == nil {
		return fallback
	}
	lines := strings.Split(string(src), "\n")
	first := ann.Location.Row // the # METADATA line
	parent, child, nested := key, "", false
	if p, c, ok := strings.Cut(key, "."); ok {
		parent, child, nested = p, c, true
	}
	if key == "" {
		return first
	}
	at := 0
	for i := first; i < len(lines); i++ { // lines[i] is line i+1
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "#") {
			break
		}
		body := strings.TrimPrefix(l, "#")
		indented := strings.HasPrefix(body, "  ") || strings.HasPrefix(body, "\t")
		name, _, hasColon := strings.Cut(strings.TrimSpace(body), ":")
		if !hasColon {
			continue
		}
		switch {
		case !indented && name == parent:
			at = i + 1
			if !nested {
				return at
			}
		case !indented && at > 0 && nested:
			return at // past the parent's block: the key is not written
		case indented && at > 0 && nested && name == child:
			return i + 1
		}
	}
	if at > 0 {
		return at
	}
	return first
}

var idPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$`)

// metadata is the rules metadata, id-pattern and id-unique for one policy
// package: every problem of its METADATA at its key's line. ids holds the
// ids seen so far. It says whether the metadata is sound enough for the
// rules that read it.
func metadata(pkg, name string, ann *ast.Annotations, src []byte, ids map[string]string, line int, add report) (*policies.Policy, bool) {
	p, problems := policies.ReadMetadata(pkg, name, ann)
	problems = append(problems, policies.UnknownMetadataKeys(ann)...)
	for _, pr := range problems {
		add("metadata", name, metadataLine(src, ann, pr.Key, line), "%s", pr.Msg)
	}
	if p != nil && p.ID != "" {
		if !idPattern.MatchString(p.ID) {
			add("id-pattern", name, metadataLine(src, ann, "custom.id", line), "policy id %q is not upper-case words joined by dashes (such as ACME-001)", p.ID)
		}
		if other, dup := ids[p.ID]; dup {
			add("id-unique", name, metadataLine(src, ann, "custom.id", line), "policy id %s is already used by %s", p.ID, other)
		}
		ids[p.ID] = name
	}
	return p, p != nil && len(problems) == 0
}
