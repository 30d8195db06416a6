package scan

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/closeout-dev/closeout/collectors/safehttp"
)

// budget is one of Microsoft's throttling budgets (Graph's identity
// resource units, Identity Protection's requests, the reports', Exchange's
// cmdlets), shared by every goroutine that spends it. It starts at the
// budget it was told (or the pace a previous scan of the tenant learned)
// and learns the budget actually in force from the service's answers, the
// way the AWS SDKs' adaptive retry mode and TCP CUBIC do:
//
//   - A throttled answer pauses the whole budget until the service's
//     Retry-After: nothing more is sent into a window already spent.
//   - It lowers the pace once per window, not once per answer (answers
//     already in flight were sent at the old pace): to 90% of what the
//     service let through in the window before it refused, a measure of
//     the budget in force.
//   - Without throttling the pace grows back along a cubic curve: flat
//     near that measure for about two windows, then probing above it,
//     faster the longer nothing is refused, never past the ceiling.
//   - A budget Microsoft documents (Graph's) has the budget told as its
//     ceiling. One it does not (Exchange's) may be larger than the guess it
//     was told: until the service first refuses, its pace doubles every
//     half window from the first spend (TCP's slow start), up to 64 times
//     what it was told.
//
// A token bucket lets through its burst and its rate over any stretch of
// time, so the rate is what is left of a window's units after the burst (a
// twentieth of them): no window of Microsoft's sees more than the pace
// allows.
type budget struct {
	name    string
	limiter *rate.Limiter
	told    float64 // units per window the scan was told: where it starts
	ceiling float64 // units per window the pace never passes
	probe   bool    // may pass what it was told, until the service refuses
	window  time.Duration
	// now and sleep are the clock (a virtual one in tests).
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	mu          sync.Mutex
	pausedUntil time.Time
	lastCut     time.Time
	lastEase    time.Time
	// wmax is the units per window the service let through before it last
	// refused (0: it never refused); k how many windows after the cut the
	// cubic curve reaches it.
	wmax, k float64
	units   float64         // the units per window the pace is set to
	started time.Time       // the first spend, where slow start counts from
	recent  [buckets]bucket // units sent, by a twentieth of a window
	refusal [buckets]bucket // requests the service refused, likewise
	learned bool            // wmax was measured this run (not only carried from a previous one)

	throttled atomic.Int64
	nearLimit atomic.Int64 // answers saying 80% or more of the limit is spent
	spent     atomic.Int64 // units spent
	reported  atomic.Int64 // units the service said it charged
}

// buckets divide a window for the count of what was sent in the last one.
const buckets = 20

type bucket struct {
	epoch int64
	units int64
}

// Budget is what a scan spent of one budget: the rate it was told, the
// rate it learned the service allows (0 when the service never refused),
// and the pace it ended at.
type Budget struct {
	Name      string
	Spent     int
	PerSecond float64 // the budget the scan was told
	Learned   float64 // units per second the service let through before it refused
	Pace      float64 // units per second the pace ended at
	Throttled int     // answers the service throttled (429) anyway
	NearLimit int     // answers saying 80% or more of the limit was spent
	Reported  int     // units the service said it charged, where it said
}

// InForce is the budget the scan ran under: what it learned the service
// allows, else what it was told.
func (b Budget) InForce() float64 {
	if b.Learned > 0 && b.Learned < b.PerSecond {
		return b.Learned
	}
	return b.PerSecond
}

// Floor is the least time the budget in force needs for what was spent:
// no scan can be faster than its binding budget's floor.
func (b Budget) Floor() time.Duration {
	return time.Duration(float64(b.Spent) / b.InForce() * float64(time.Second))
}

func (b *budget) use() Budget {
	b.mu.Lock()
	learned := 0.0
	if b.wmax > 0 && b.learned {
		learned = b.wmax / b.window.Seconds()
	}
	pace := b.unitsAt(b.now()) / b.window.Seconds()
	b.mu.Unlock()
	return Budget{Name: b.name, Spent: int(b.spent.Load()), PerSecond: b.told / b.window.Seconds(), Learned: learned, Pace: pace,
		Throttled: int(b.throttled.Load()), NearLimit: int(b.nearLimit.Load()), Reported: int(b.reported.Load())}
}

// newBudget paces units per window, never more (a budget Microsoft
// documents).
func newBudget(name string, units int, window time.Duration) *budget {
	b := &budget{name: name, told: float64(max(units, 1)), window: window, now: time.Now, sleep: safehttp.Sleep}
	b.ceiling = b.told
	b.limiter = rate.NewLimiter(0, 1)
	b.retune(b.now())
	return b
}

// resize sets the budget told (and the ceiling, unless it probes), before
// it is spent.
func (b *budget) resize(units int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.told = float64(max(units, 1))
	b.ceiling = b.told
	if b.probe {
		b.ceiling = 64 * b.told
	}
	b.retune(b.now())
}

// probing lets the pace pass what it was told, for a budget nobody
// documents: up to 64 times it.
func (b *budget) probing() *budget {
	b.probe, b.ceiling = true, 64*b.told
	return b
}

// startAt starts the pace at perSecond (a pace a previous scan of the
// tenant learned), below the budget told: as if the service had refused at
// that pace two windows ago, so the curve probes above it from now on.
func (b *budget) startAt(perSecond float64) {
	units := perSecond * b.window.Seconds()
	if units <= 0 || units >= b.ceiling {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.wmax, b.k = units, 2
	b.lastCut = now.Add(-2 * b.window)
	b.retune(now)
}

// cubic is how fast the pace grows back: from 90% of wmax it is back to
// wmax two windows after a cut.
func (b *budget) cubic() float64 { return 0.1 * b.wmax / 8 }

// unitsAt is the units per window the pace allows at now.
func (b *budget) unitsAt(now time.Time) float64 {
	if b.wmax == 0 {
		if !b.probe || b.started.IsZero() {
			return b.told
		}
		t := now.Sub(b.started).Seconds() / b.window.Seconds()
		return min(b.told*math.Pow(2, 2*t), b.ceiling)
	}
	t := now.Sub(b.lastCut).Seconds() / b.window.Seconds()
	u := b.wmax + b.cubic()*math.Pow(t-b.k, 3)
	return max(min(u, b.ceiling), 1)
}

// retune sets the limiter to the pace at now.
func (b *budget) retune(now time.Time) {
	units := b.unitsAt(now)
	if units == b.units {
		return
	}
	b.units = units
	burst := max(1, int(units/20))
	b.limiter.SetBurstAt(now, burst)
	b.limiter.SetLimitAt(now, rate.Limit(max(units-float64(burst), 1)/b.window.Seconds()))
}

// spend waits until n units may be spent: after any pause, at the pace.
// It fails only when ctx ends (never early because the wait would run past
// a deadline: a scan stopped by its deadline writes nothing half-read).
func (b *budget) spend(ctx context.Context, n int) error {
	if b == nil || n <= 0 {
		return nil
	}
	b.spent.Add(int64(n))
	for n > 0 {
		b.mu.Lock()
		now := b.now()
		if b.started.IsZero() {
			b.started = now
		}
		pause := b.pausedUntil.Sub(now)
		b.retune(now)
		chunk := min(n, b.limiter.Burst())
		b.mu.Unlock()
		if pause > 0 {
			if err := b.sleep(ctx, pause); err != nil {
				return err
			}
			continue
		}
		r := b.limiter.ReserveN(now, chunk)
		if err := b.sleep(ctx, r.DelayFrom(now)); err != nil {
			r.CancelAt(b.now())
			return err
		}
		// A refusal that came while this spend waited its turn pauses it
		// too: nothing is sent into a window the service says is spent,
		// and after the pause it takes its turn again (the spends that
		// waited do not all go at once).
		b.mu.Lock()
		paused := b.pausedUntil.After(b.now())
		b.mu.Unlock()
		if paused {
			continue
		}
		b.record(b.now(), int64(chunk))
		n -= chunk
	}
	return nil
}

// record counts units sent at now, for what the last window saw.
func (b *budget) record(now time.Time, units int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	add(&b.recent, b.window, now, units)
}

func add(ring *[buckets]bucket, window time.Duration, now time.Time, units int64) {
	epoch := now.UnixNano() / int64(window/buckets)
	slot := &ring[epoch%buckets]
	if slot.epoch != epoch {
		*slot = bucket{epoch: epoch}
	}
	slot.units += units
}

func sum(ring *[buckets]bucket, window time.Duration, now time.Time) int64 {
	epoch := now.UnixNano() / int64(window/buckets)
	var total int64
	for _, s := range ring {
		if s.epoch > epoch-buckets && s.epoch <= epoch {
			total += s.units
		}
	}
	return total
}

// lastWindow is what the service let through in the window before now:
// the units sent, less the requests it refused.
func (b *budget) lastWindow(now time.Time) float64 {
	return float64(max(sum(&b.recent, b.window, now)-sum(&b.refusal, b.window, now), 0))
}

// throttle records a throttled answer: the budget pauses until the
// service's Retry-After (a tenth of a window when it gave none, as
// Identity Protection does), and its pace is cut, once per window.
func (b *budget) throttle(retryAfter time.Duration) {
	if b == nil {
		return
	}
	b.throttled.Add(1)
	b.refused(retryAfter)
}

// refused pauses and cuts, for a 429 or an answer saying the limit is
// reached.
func (b *budget) refused(retryAfter time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	add(&b.refusal, b.window, now, 1)
	if retryAfter <= 0 {
		retryAfter = b.window / 10
	}
	if until := now.Add(retryAfter); until.After(b.pausedUntil) {
		b.pausedUntil = until
	}
	if !b.lastCut.IsZero() && now.Sub(b.lastCut) < b.window {
		return // answers in flight were sent at the old pace
	}
	current, sent := b.unitsAt(now), b.lastWindow(now)
	wmax := current * 0.7 / 0.9 // a window too young to measure: a plain cut
	if sent >= 20 {
		wmax = min(sent, current)
	}
	b.cut(now, wmax, 0.9*wmax)
}

// cut sets the curve: the service's limit is about wmax units per window,
// and the pace starts again at from.
func (b *budget) cut(now time.Time, wmax, from float64) {
	b.wmax = max(wmax, 1)
	b.learned = true
	b.lastCut = now
	b.k = math.Cbrt(max(b.wmax-from, 0) / b.cubic())
	b.retune(now)
}

// charged records what the service said a request cost. What it charged
// beyond what was paced for is owed: taken from the pace at once, so the
// next spends wait for it (the estimate is never allowed to run ahead of
// Microsoft's count).
func (b *budget) charged(units, paced int) {
	if b == nil || units <= 0 {
		return
	}
	b.reported.Add(int64(units))
	owed := units - paced
	if owed <= 0 {
		return
	}
	b.spent.Add(int64(owed))
	now := b.now()
	b.record(now, int64(owed))
	for owed > 0 {
		chunk := min(owed, b.limiter.Burst())
		b.limiter.ReserveN(now, chunk)
		owed -= chunk
	}
}

// near records an answer saying share of the limit is spent (sent from
// 0.8 on: another app, or another shard, is spending the same budget).
// What was sent in the last window over that share measures the limit;
// the pace eases to 90% of it, at most once a tenth of a window. At the
// limit (share 1) the answer counts as refused.
func (b *budget) near(share float64) {
	if b == nil || share < 0.8 {
		return
	}
	b.nearLimit.Add(1)
	if share >= 1 {
		b.refused(0)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if now.Sub(b.lastEase) < b.window/10 {
		return
	}
	b.lastEase = now
	current := b.unitsAt(now)
	limit := current
	if sent := b.lastWindow(now); sent >= 20 {
		limit = min(current, sent/share)
	}
	b.cut(now, limit, 0.9*limit)
}
