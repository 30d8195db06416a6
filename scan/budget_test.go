package scan

import (
	"context"
	"testing"
	"time"
)

// virtualClock runs a budget in simulated time: sleeping advances it.
type virtualClock struct{ t time.Time }

func (c *virtualClock) now() time.Time { return c.t }
func (c *virtualClock) sleep(_ context.Context, d time.Duration) error {
	if d > 0 {
		c.t = c.t.Add(d)
	}
	return nil
}

func virtualBudget(units int, window time.Duration) (*budget, *virtualClock) {
	clock := &virtualClock{t: time.Unix(1_000_000, 0)}
	b := newBudget("exchange", units, window)
	b.now, b.sleep = clock.now, clock.sleep
	b.retune(clock.now())
	return b, clock
}

// fixedWindows is a service's budget: limit units per window, counted in
// fixed windows; past it, a 429 whose Retry-After is the window's end.
type fixedWindows struct {
	limit  int
	window time.Duration
	start  time.Time
	used   int
}

func (f *fixedWindows) accept(now time.Time) (bool, time.Duration) {
	if now.Sub(f.start) >= f.window {
		f.start = now.Truncate(f.window)
		f.used = 0
	}
	if f.used >= f.limit {
		return false, f.start.Add(f.window).Sub(now)
	}
	f.used++
	return true, 0
}

// A budget the scan was not told (told 1,000 cmdlets per 10 s; the service
// allows 250, 600 or 2,000): the pace learns it within a few windows, the
// service refuses few requests, and the work done comes close to what the
// budget in force allows; a documented budget (told 4,000, in force 2,000)
// alike.
func TestBudgetLearnsAnUntoldBudget(t *testing.T) {
	for _, tc := range []struct {
		told, real int
		probe      bool
	}{{1000, 250, true}, {1000, 600, true}, {1000, 2000, true}, {4000, 2000, false}} {
		b, clock := virtualBudget(tc.told, 10*time.Second)
		if tc.probe {
			b.probing()
		}
		svc := &fixedWindows{limit: tc.real, window: 10 * time.Second, start: clock.now().Truncate(10 * time.Second)}
		start := clock.now()
		accepted, refused := 0, 0
		for clock.now().Sub(start) < 10*time.Minute {
			if err := b.spend(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			clock.t = clock.t.Add(time.Millisecond) // the request's round trip
			if ok, retry := svc.accept(clock.now()); ok {
				accepted++
			} else {
				refused++
				b.throttle(retry)
			}
		}
		windows := float64(10*time.Minute) / float64(10*time.Second)
		share := float64(accepted) / (windows * float64(tc.real))
		u := b.use()
		t.Logf("told %d, in force %d per 10 s: %.1f%% of the budget in force used, %d refused of %d (%.2f%%), learned %.1f/s, pace %.1f/s",
			tc.told, tc.real, 100*share, refused, accepted+refused, 100*float64(refused)/float64(accepted+refused), u.Learned, u.Pace)
		if share < 0.85 {
			t.Errorf("told %d, in force %d: used %.0f%% of the budget in force", tc.told, tc.real, 100*share)
		}
		if float64(refused) > 0.02*float64(accepted+refused) {
			t.Errorf("told %d, in force %d: %d of %d refused", tc.told, tc.real, refused, accepted+refused)
		}
		if real := float64(tc.real) / 10; u.Learned < 0.8*real || u.Learned > 1.2*real {
			t.Errorf("told %d, in force %d: learned %.1f/s", tc.told, tc.real, u.Learned)
		}
	}
}

// A refusal pauses the budget until the Retry-After, and however many
// refusals arrive in one window the pace is cut once.
func TestBudgetPausesAndCutsOncePerWindow(t *testing.T) {
	b, clock := virtualBudget(1000, 10*time.Second)
	for range 100 {
		b.spend(context.Background(), 1)
	}
	before := b.units
	b.throttle(3 * time.Second)
	after := b.units
	for range 5 {
		b.throttle(time.Second)
	}
	if b.units != after || after >= before || b.throttled.Load() != 6 {
		t.Fatalf("units %v → %v → %v after 6 refusals in a window (%d counted); want one cut", before, after, b.units, b.throttled.Load())
	}
	paused := clock.now()
	b.spend(context.Background(), 1)
	if waited := clock.now().Sub(paused); waited < 3*time.Second {
		t.Errorf("spent %v after a Retry-After of 3 s", waited)
	}
	clock.t = clock.t.Add(11 * time.Second)
	b.throttle(time.Second)
	if b.units >= after {
		t.Errorf("a refusal a window later did not cut: %v", b.units)
	}
}

// Without refusals the pace grows back: near the measured limit for about
// two windows, then above it, never past the budget told.
func TestBudgetGrowsBack(t *testing.T) {
	b, clock := virtualBudget(1000, 10*time.Second)
	for range 300 {
		b.spend(context.Background(), 1)
	}
	b.throttle(time.Second)
	cut := b.units
	at := func(windows float64) float64 {
		return b.unitsAt(clock.now().Add(time.Duration(windows * float64(10*time.Second))))
	}
	if at(1) <= cut || at(2) < b.wmax*0.99 || at(2) > b.wmax*1.01 || at(5) <= b.wmax*1.1 || at(100) != 1000 {
		t.Errorf("from %.0f (limit %.0f): %.0f, %.0f, %.0f, %.0f after 1, 2, 5, 100 windows", cut, b.wmax, at(1), at(2), at(5), at(100))
	}
}

// An answer saying 80% of the limit is spent eases the pace to 90%, once a
// tenth of a window however many say so; one at the limit counts as a
// refusal (a pause and a cut).
func TestBudgetEasesNearTheLimit(t *testing.T) {
	b, clock := virtualBudget(1000, 10*time.Second)
	pace := b.units
	b.near(0.5)
	if b.units != pace || b.nearLimit.Load() != 0 {
		t.Fatalf("below 80%%: %v units, %d near-limit answers; want %v and 0", b.units, b.nearLimit.Load(), pace)
	}
	b.near(0.85)
	b.near(0.95) // within the same tenth of a window: counted, not applied
	if b.units != pace*0.9 || b.nearLimit.Load() != 2 {
		t.Fatalf("after two near-limit answers at once: %v units, %d counted; want %v and 2", b.units, b.nearLimit.Load(), pace*0.9)
	}
	clock.t = clock.t.Add(11 * time.Second)
	b.near(1.0)
	if !b.pausedUntil.After(clock.now()) {
		t.Error("an answer at the limit did not pause the budget")
	}
}

// A pace a previous scan learned is where the next starts, below what it
// was told, and the curve probes above it.
func TestBudgetStartsAtALearnedPace(t *testing.T) {
	b, clock := virtualBudget(1000, 10*time.Second)
	b.startAt(25)
	if b.units < 245 || b.units > 255 {
		t.Fatalf("started at %v units per window, want about 250", b.units)
	}
	if later := b.unitsAt(clock.now().Add(40 * time.Second)); later <= 250 {
		t.Errorf("four windows on: %v, want above 250", later)
	}
	b.startAt(500) // above what it was told: the told budget stands
	if b2, _ := virtualBudget(100, 10*time.Second); b2.units != 100 {
		t.Errorf("told 100: %v", b2.units)
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
