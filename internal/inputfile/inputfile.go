// Package inputfile reads the small YAML or JSON files a person writes for
// closeout (attestations, waivers): bounded in size, regular files only,
// with the line of a YAML error kept.
package inputfile

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxBytes bounds such a file: thousands of waivers fit in a fraction.
const MaxBytes = 8 << 20

// Read returns the contents of path, refusing anything that is not a
// regular file (a FIFO or a device would hang or never end) or is larger
// than max. Errors do not repeat the path: callers name the file.
func Read(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "open "+path+": "))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	if st.Size() > max {
		return nil, fmt.Errorf("file is %d MiB, over the %d MiB limit", st.Size()>>20, max>>20)
	}
	raw, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(raw)) > max {
		err = fmt.Errorf("file is over the %d MiB limit", max>>20)
	}
	return raw, err
}

var reYAMLLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// YAMLError splits a YAML parser error into the line it names (0 when it
// names none) and the reason without the "yaml: line N:" prefix.
func YAMLError(err error) (int, string) {
	msg := err.Error()
	if m := reYAMLLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return line, msg[len(m[0]):]
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

// Scalar is the plain value of n, following an alias to the value it
// names (never the anchor's name). ok is false for a mapping or a list.
func Scalar(n *yaml.Node) (string, bool) {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < 8; depth++ {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}
