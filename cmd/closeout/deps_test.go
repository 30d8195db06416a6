package main

import (
	"os/exec"
	"strings"
	"testing"
)

// closeout builds only what runs: the Graph request adapter comes from
// msgraph-sdk-go-core; the SDK's root and typed packages (most of a
// five-minute cold build, none of it used) are not linked, and only the
// Graph collector talks to Graph's libraries.
func TestBuildsOnlyWhatRuns(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	core := false
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		if strings.HasPrefix(pkg, "github.com/microsoftgraph/msgraph-sdk-go/") || pkg == "github.com/microsoftgraph/msgraph-sdk-go" {
			if pkg != "github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors" {
				t.Errorf("closeout links %s: build the adapter from msgraph-sdk-go-core", pkg)
			}
		}
		if strings.HasPrefix(pkg, "github.com/microsoftgraph/msgraph-sdk-go-core") {
			core = true
		}
		if !strings.HasPrefix(pkg, "github.com/closeout-dev/closeout/") || strings.HasPrefix(pkg, "github.com/closeout-dev/closeout/collectors/graph") {
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if strings.HasPrefix(imp, "github.com/microsoftgraph/") || strings.HasPrefix(imp, "github.com/microsoft/kiota") {
				t.Errorf("%s imports %s: Graph stays inside collectors/graph", pkg, imp)
			}
		}
	}
	if !core {
		t.Error("closeout does not link msgraph-sdk-go-core: the real Graph client must be the one talking to Graph")
	}
}
