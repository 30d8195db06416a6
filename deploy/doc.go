// Package deploy holds closeout's deployment files (Kubernetes manifests,
// a scheduled GitHub Actions workflow) and the tests that validate them.
package deploy
