package snapshot

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// lineAt is the 1-based line of byte offset off in data.
func lineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// lineOfPath finds the line on which the value at path starts. It is only
// called to explain an error, so it re-reads the document rather than keeping
// offsets for every value of every snapshot.
func lineOfPath(data []byte, path []string) int {
	dec := json.NewDecoder(bytes.NewReader(data))
	off, ok := seek(dec, path)
	if !ok {
		return 1
	}
	// InputOffset is just past the previous token; step over the separator
	// and blanks to the value itself.
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
			continue
		}
		break
	}
	return lineAt(data, int(off))
}

// seek advances dec to the value at path and returns its offset.
func seek(dec *json.Decoder, path []string) (int64, bool) {
	if len(path) == 0 {
		return dec.InputOffset(), true
	}
	tok, err := dec.Token()
	if err != nil {
		return 0, false
	}
	delim, isDelim := tok.(json.Delim)
	switch {
	case isDelim && delim == '{':
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return 0, false
			}
			if key == path[0] {
				return seek(dec, path[1:])
			}
			if !skip(dec) {
				return 0, false
			}
		}
	case isDelim && delim == '[':
		want, err := strconv.Atoi(path[0])
		if err != nil {
			return 0, false
		}
		for i := 0; dec.More(); i++ {
			if i == want {
				return seek(dec, path[1:])
			}
			if !skip(dec) {
				return 0, false
			}
		}
	}
	return 0, false
}

// skip reads past one whole value.
func skip(dec *json.Decoder) bool {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return true
		}
	}
}

// nestingDepth returns the deepest nesting of objects and arrays in data and
// the offset where maxDepth was first exceeded (-1 if it never was). It runs
// before decoding so that a hostile document cannot make the decoder recurse.
func nestingDepth(data []byte, maxDepth int) (int, int) {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for i, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > deepest {
				deepest = depth
			}
			if depth > maxDepth {
				return deepest, i
			}
		case '}', ']':
			depth--
		}
	}
	return deepest, -1
}
