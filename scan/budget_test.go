package scan

import (
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// An answer saying 80% of the limit is spent eases the pace to 90% (70%
// at the limit), once a tenth of a window however many say so, never
// below a tenth of the documented rate.
func TestBudgetEasesNearTheLimit(t *testing.T) {
	b := newBudget("identity", 1000, 10*time.Second) // 100/s
	b.near(0.5)
	if got := b.limiter.Limit(); got != 100 || b.nearLimit.Load() != 0 {
		t.Fatalf("below 80%%: limit %v, %d near-limit answers; want 100 and 0", got, b.nearLimit.Load())
	}
	b.near(0.85)
	b.near(0.95) // within the same tenth of a window: counted, not applied
	if got := b.limiter.Limit(); got != 90 || b.nearLimit.Load() != 2 {
		t.Fatalf("after two near-limit answers at once: limit %v, %d counted; want 90 and 2", got, b.nearLimit.Load())
	}
	for range 40 {
		b.lastEase = time.Time{}
		b.near(1.2)
	}
	if got := b.limiter.Limit(); got != rate.Limit(10) {
		t.Errorf("at the limit, over and over: %v, want the floor of 10/s", got)
	}
}

// What the service says it charged beyond what was paced is owed: the
// next spend waits for it.
func TestBudgetOwesWhatWasChargedBeyondThePace(t *testing.T) {
	b := newBudget("identity", 100, 10*time.Second) // 10/s, burst 5
	b.charged(1, 1)
	if b.reported.Load() != 1 || b.spent.Load() != 0 {
		t.Fatalf("a read charged as paced: reported %d, spent %d; want 1 and 0", b.reported.Load(), b.spent.Load())
	}
	b.charged(8, 1) // seven more than paced
	if b.reported.Load() != 9 || b.spent.Load() != 7 {
		t.Fatalf("a read charged 8, paced at 1: reported %d, spent %d; want 9 and 7", b.reported.Load(), b.spent.Load())
	}
	if tokens := b.limiter.Tokens(); tokens > -1 {
		t.Errorf("%.1f tokens left after owing 7 of a burst of 5: the debt was not taken from the pace", tokens)
	}
}
