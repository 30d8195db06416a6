// Command closeout checks that a compromised Microsoft 365 / Entra ID account
// was fully remediated, and scans a tenant for exposed accounts.
package main

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

func main() {
	tuneGC()
	os.Exit(Run(os.Args[1:], SystemStreams()))
}

// tuneGC collects less often than Go's default: evaluating a policy set
// allocates short-lived values by the million over a small live heap (the
// compiled policies, the accounts in flight), and a profile of check gave a
// quarter of its time to the collector. A soft limit keeps the heap in
// bounds when it does grow: 1 GiB, or 3/4 of the container's memory limit
// when that is lower (a pod limited to 512 MiB must not be killed for a
// heap the collector would have reclaimed). GOGC and GOMEMLIMIT, when set,
// win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		limit := int64(1 << 30)
		if c := cgroupMemoryLimit(); c > 0 && c/4*3 < limit {
			limit = c / 4 * 3
		}
		debug.SetMemoryLimit(limit)
	}
}

// cgroupMemoryLimit is the memory limit of the cgroup closeout runs in
// (v2, else v1), or 0 when there is none or it cannot be read.
func cgroupMemoryLimit() int64 {
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
		if err == nil && n > 0 && n < 1<<50 { // "max", or v1's huge "no limit"
			return n
		}
	}
	return 0
}
