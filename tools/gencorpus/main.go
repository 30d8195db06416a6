// Command gencorpus writes a corpus of N account snapshots for benchmarks and
// memory measurements, cycling through template snapshots and giving each
// account its own user principal name and id: JSON Lines on stdout, or with
// -dir one JSON file per account (for tools that read only whole files).
//
//	go run ./tools/gencorpus -n 100000 testdata/snapshots/*.json > corpus.jsonl
//	go run ./tools/gencorpus -n 1000 -dir out/corpus testdata/snapshots/*.json
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	n := flag.Int("n", 1000, "number of snapshots to write")
	dir := flag.String("dir", "", "write one file per snapshot into this directory instead of JSON Lines on stdout")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: gencorpus -n N TEMPLATE.json...")
		os.Exit(2)
	}
	var templates []map[string]any
	for _, path := range flag.Args() {
		raw, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gencorpus:", err)
			os.Exit(1)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			fmt.Fprintf(os.Stderr, "gencorpus: %s: %v\n", path, err)
			os.Exit(1)
		}
		templates = append(templates, doc)
	}
	if *dir != "" {
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "gencorpus:", err)
			os.Exit(1)
		}
	}
	w := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(w)
	for i := range *n {
		doc := templates[i%len(templates)]
		user := doc["user"].(map[string]any)
		user["userPrincipalName"] = fmt.Sprintf("user%06d@contoso.com", i)
		user["id"] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		if *dir != "" {
			raw, _ := json.Marshal(doc)
			if err := os.WriteFile(filepath.Join(*dir, fmt.Sprintf("account-%06d.json", i)), raw, 0o600); err != nil {
				fmt.Fprintln(os.Stderr, "gencorpus:", err)
				os.Exit(1)
			}
			continue
		}
		if err := enc.Encode(doc); err != nil {
			fmt.Fprintln(os.Stderr, "gencorpus:", err)
			os.Exit(1)
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
}
