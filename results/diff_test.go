package results

import (
	"slices"
	"sort"
	"testing"
)

func TestNaturalLess(t *testing.T) {
	got := []string{"c.jsonl:1034", "c.jsonl:105", "c.jsonl:1007", "c.jsonl:9", "b", "c.jsonl:0105x", "CO-MAIL-010", "CO-MAIL-002"}
	sort.SliceStable(got, func(i, j int) bool { return NaturalLess(got[i], got[j]) })
	want := []string{"CO-MAIL-002", "CO-MAIL-010", "b", "c.jsonl:9", "c.jsonl:105", "c.jsonl:0105x", "c.jsonl:1007", "c.jsonl:1034"}
	if !slices.Equal(got, want) {
		t.Errorf("natural order %v, want %v", got, want)
	}
}
