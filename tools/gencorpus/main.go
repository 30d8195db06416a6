// Command gencorpus writes a JSON Lines corpus of N account snapshots for
// benchmarks and memory measurements, cycling through template snapshots and
// giving each account its own user principal name and id.
//
//	go run ./tools/gencorpus -n 100000 testdata/snapshots/*.json > corpus.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
)

func main() {
	n := flag.Int("n", 1000, "number of snapshots to write")
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
	w := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(w)
	for i := range *n {
		doc := templates[i%len(templates)]
		user := doc["user"].(map[string]any)
		user["userPrincipalName"] = fmt.Sprintf("user%06d@contoso.com", i)
		user["id"] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
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
