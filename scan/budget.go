package scan

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// budget is one of Microsoft's throttling budgets (Graph's identity
// resource units, Identity Protection's requests, Exchange's cmdlets),
// shared by every goroutine that spends it. It paces to the documented
// rate, backs off when the service throttles anyway (the limit is shared
// with other apps' traffic, or smaller than documented), and recovers
// gradually.
type budget struct {
	name       string
	limiter    *rate.Limiter
	max        rate.Limit // the most the pace may be
	documented float64    // the budget's documented units per second

	window time.Duration

	mu        sync.Mutex
	successes int
	lastEase  time.Time // when a near-limit answer last slowed the pace
	throttled atomic.Int64
	nearLimit atomic.Int64 // answers saying 80% or more of the limit is spent
	spent     atomic.Int64 // units spent
	reported  atomic.Int64 // units the service said it charged
}

// Budget is what a scan spent of one budget, and its documented rate.
type Budget struct {
	Name      string
	Spent     int
	PerSecond float64
	Throttled int // answers the service throttled (429) anyway
	NearLimit int // answers saying 80% or more of the limit was spent
	Reported  int // units the service said it charged, where it said
}

// Floor is the least time the budget needs for what was spent: no scan
// can be faster than its binding budget's floor.
func (b Budget) Floor() time.Duration {
	return time.Duration(float64(b.Spent) / b.PerSecond * float64(time.Second))
}

func (b *budget) use() Budget {
	return Budget{Name: b.name, Spent: int(b.spent.Load()), PerSecond: b.documented, Throttled: int(b.throttled.Load()),
		NearLimit: int(b.nearLimit.Load()), Reported: int(b.reported.Load())}
}

// newBudget paces units per window; the burst is a twentieth of a window,
// so the budget is never spent in one go at the start of a window. A
// token bucket lets through its burst and its rate over any stretch of
// time, so the rate is what is left of the window's units after the
// burst: no window of Microsoft's can see more than its budget from the
// pace alone.
func newBudget(name string, units int, window time.Duration) *budget {
	burst := max(1, units/20)
	limit := rate.Limit(float64(max(units-burst, 1)) / window.Seconds())
	return &budget{name: name, limiter: rate.NewLimiter(limit, burst), max: limit,
		documented: float64(units) / window.Seconds(), window: window}
}

// spend waits until n units may be spent.
func (b *budget) spend(ctx context.Context, n int) error {
	if b == nil || n <= 0 {
		return nil
	}
	b.spent.Add(int64(n))
	for n > 0 {
		chunk := min(n, b.limiter.Burst())
		if err := b.limiter.WaitN(ctx, chunk); err != nil {
			return err
		}
		n -= chunk
	}
	b.mu.Lock()
	b.successes++
	// Recover by 5% every 50 paced spends after a back-off.
	if b.successes%50 == 0 && b.limiter.Limit() < b.max {
		b.limiter.SetLimit(min(b.max, b.limiter.Limit()*1.05))
	}
	b.mu.Unlock()
	return nil
}

// throttle records a 429 and slows down to 70%, never below a tenth.
func (b *budget) throttle() {
	if b == nil {
		return
	}
	b.throttled.Add(1)
	b.mu.Lock()
	b.limiter.SetLimit(max(b.max/10, b.limiter.Limit()*0.7))
	b.successes = 0
	b.mu.Unlock()
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
	now := time.Now()
	for owed > 0 {
		chunk := min(owed, b.limiter.Burst())
		b.limiter.ReserveN(now, chunk)
		owed -= chunk
	}
}

// near records an answer saying share of the limit is spent (sent from
// 0.8 on: another app, or another shard, is spending the same budget).
// The pace eases to 90%, or to 70% when the limit is reached, at most
// once a tenth of a window, never below a tenth of the documented rate.
func (b *budget) near(share float64) {
	if b == nil || share < 0.8 {
		return
	}
	b.nearLimit.Add(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if now.Sub(b.lastEase) < b.window/10 {
		return
	}
	b.lastEase = now
	factor := 0.9
	if share >= 1 {
		factor = 0.7
	}
	b.limiter.SetLimit(max(b.max/10, b.limiter.Limit()*rate.Limit(factor)))
	b.successes = 0
}
