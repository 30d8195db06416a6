package lint

import (
	"github.com/closeout-dev/closeout/policies"
)

// requiresRead reports a section the policy reads but does not require:
// when that section is not collected the policy judges it empty, and can
// pass, instead of being unknown.
func requiresRead(p *policies.Policy, file string, reads map[string]int, add report) {
	for _, s := range policies.Unrequired(p, reads) {
		add("requires", file, reads[s], "the policy reads the %s section but does not require it: when %s is not collected the policy sees it empty and can pass instead of being unknown (add it to requires)", s, s)
	}
}
