// Package docs holds closeout's reference documents. reference.md is
// generated from the snapshot schemas, the snapshot package's Go
// documentation, the checklist, the statuses and the exit codes, and a
// test keeps it current: make docs (UPDATE_GOLDEN=1 go test ./docs)
// rewrites it.
package docs
