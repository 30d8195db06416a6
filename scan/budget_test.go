package scan

import (
	"testing"
	"time"
)

// An answer saying 80% of the limit is spent eases the pace to 90% (70%
// at the limit), once a tenth of a window however many say so, never
// below a tenth of the documented rate.
func TestBudgetEasesNearTheLimit(t *testing.T) {
	b := newBudget("identity", 1000, 10*time.Second) // 95/s paced, the burst of 50 aside
	pace := b.limiter.Limit()
	b.near(0.5)
	if got := b.limiter.Limit(); got != pace || b.nearLimit.Load() != 0 {
		t.Fatalf("below 80%%: limit %v, %d near-limit answers; want %v and 0", got, b.nearLimit.Load(), pace)
	}
	b.near(0.85)
	b.near(0.95) // within the same tenth of a window: counted, not applied
	if got := b.limiter.Limit(); got != pace*0.9 || b.nearLimit.Load() != 2 {
		t.Fatalf("after two near-limit answers at once: limit %v, %d counted; want %v and 2", got, b.nearLimit.Load(), pace*0.9)
	}
	for range 40 {
		b.lastEase = time.Time{}
		b.near(1.2)
	}
	if got := b.limiter.Limit(); got != pace/10 {
		t.Errorf("at the limit, over and over: %v, want the floor of %v", got, pace/10)
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

// Paced alone, a budget never lets a window of Microsoft's see more than
// the window's units, wherever the window starts: the burst comes out of
// the rate, not on top of it.
func TestBudgetNeverOverrunsAWindow(t *testing.T) {
	for _, units := range []int{10, 1000, 3500} {
		b := newBudget("x", units, 10*time.Second)
		start := time.Unix(0, 0)
		var admitted []time.Time
		for ms := range 60_000 { // a minute, a request offered every millisecond
			at := start.Add(time.Duration(ms) * time.Millisecond)
			if b.limiter.AllowN(at, 1) {
				admitted = append(admitted, at)
			}
		}
		most, j := 0, 0
		for i := range admitted { // the busiest 10 s window ending at each admission
			for admitted[i].Sub(admitted[j]) >= 10*time.Second {
				j++
			}
			most = max(most, i-j+1)
		}
		if most > units || most < units*9/10 {
			t.Errorf("%d units per 10 s: the busiest window saw %d", units, most)
		}
		if got := b.use().PerSecond; got != float64(units)/10 {
			t.Errorf("%d units per 10 s: documented rate %v, want %v", units, got, float64(units)/10)
		}
	}
}
