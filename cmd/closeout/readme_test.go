package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// readmeCommands are the closeout command lines of the README's shell
// examples, in order, with their continuation lines joined.
func readmeCommands(t *testing.T) []string {
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []string
	fence := regexp.MustCompile("^```(\\w*)\\s*$")
	inShell, inBlock := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := fence.FindStringSubmatch(line); m != nil {
			if inBlock {
				inBlock, inShell = false, false
			} else {
				inBlock, inShell = true, m[1] == "sh" || m[1] == "console"
			}
			continue
		}
		if !inShell {
			continue
		}
		cmd := strings.TrimPrefix(line, "$ ")
		if !strings.HasPrefix(cmd, "closeout ") && !strings.Contains(cmd, "| closeout ") {
			continue
		}
		for strings.HasSuffix(cmd, "\\") && sc.Scan() {
			cmd = strings.TrimSuffix(cmd, "\\") + " " + strings.TrimSpace(sc.Text())
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}

// Every closeout command in the README runs as shown, in order, from a
// copy of the repository's layout, against a fake tenant named by
// CLOSEOUT_GRAPH_URL and CLOSEOUT_TOKEN as "Running the examples" sets
// them: each exits 0 or 1 (a verdict), never 2 (usage or input) or 3
// (collection). A doc that is tested cannot drift.
func TestREADMEExamples(t *testing.T) {
	cmds := readmeCommands(t)
	if len(cmds) < 15 {
		t.Fatalf("found %d closeout commands in the README", len(cmds))
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	fakeURL := regexp.MustCompile(`http://127\.0\.0\.1:180\d\d`)
	var script strings.Builder
	for _, dir := range []string{"testdata", "examples", "policies"} {
		fmt.Fprintf(&script, "symlink %s -> %s\n", dir, filepath.Join(repo, dir))
	}
	script.WriteString("env CLOSEOUT_GRAPH_URL=$GRAPH_URL\nenv CLOSEOUT_TOKEN=$FAKE_TOKEN\nenv GITHUB_STEP_SUMMARY=$WORK/summary.md\n")
	for _, cmd := range cmds {
		// The examples that name the fake tenant's address and token
		// name this test's.
		cmd = fakeURL.ReplaceAllString(cmd, "$$GRAPH_URL")
		cmd = strings.ReplaceAll(cmd, "--token demo", "--token $FAKE_TOKEN")
		fmt.Fprintf(&script, "# %s\nexec sh -c '%s; code=$?; [ $code -le 1 ] || { echo \"exit $code\" >&2; exit $code; }'\n", cmd, strings.ReplaceAll(cmd, "'", "''"))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "readme.txtar"), []byte(script.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, scriptParams(t, dir))
}
