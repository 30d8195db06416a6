package safehttp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Class is what a failed request calls for, decided once, here, for every
// read either collector makes.
type Class int

const (
	// Final failures are not retried: the request was refused (400, 401,
	// 403, 404, ...) or cannot be made (a redirect to another origin, a
	// body over its cap).
	Final Class = iota
	// Transient failures are retried after a wait: a dropped or reset
	// connection, an EOF, a timeout, a TLS failure, a body cut short, a
	// 502, 503 or 504.
	Transient
	// Throttled is a 429: retried on the service's Retry-After, and the
	// budget it was charged to slows down.
	Throttled
)

func (c Class) String() string {
	switch c {
	case Transient:
		return "transient"
	case Throttled:
		return "throttled"
	}
	return "final"
}

// Classify says what a failure calls for: status is the HTTP status of an
// answer (0 when there was none), err what went wrong.
func Classify(status int, err error) Class {
	switch status {
	case http.StatusTooManyRequests:
		return Throttled
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return Transient
	}
	if status >= 400 || err == nil {
		return Final
	}
	if errors.Is(err, ErrBodyTooLarge) || strings.Contains(err.Error(), "refusing a redirect") || strings.Contains(err.Error(), "refusing a next link") {
		return Final
	}
	if errors.Is(err, context.Canceled) {
		return Final // the caller's, not the service's
	}
	var netErr net.Error
	var tlsErr *tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &certErr):
		return Final // a certificate that does not verify will not next time
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE), errors.As(err, &netErr), errors.As(err, &tlsErr):
		return Transient
	}
	s := err.Error()
	for _, sign := range []string{"EOF", "connection reset", "connection refused", "broken pipe", "unexpected end of JSON",
		"not complete JSON", "timeout", "TLS handshake", "server closed", "http2: ", "no such host"} {
		if strings.Contains(s, sign) {
			return Transient
		}
	}
	return Final
}

// Outage thresholds: this many transient failures in a row, with no
// answer between them, is an outage.
const outageAfter = 8

// Service is one service's health over a run (Graph, the Exchange admin
// API), shared by every request sent to it. A run of transient failures
// with no answer between them is an outage: while it lasts, requests do
// not fail, they wait, and one at a time probes the service, with a
// back-off from 1 s to 30 s, until it answers again. A request in flight
// during an outage is read again after it, not given up on.
type Service struct {
	Name string

	mu        sync.Mutex
	reached   bool // the service has answered this run
	failures  int  // transient failures since the last answer
	down      bool
	since     time.Time
	probing   bool
	backoff   time.Duration
	nextProbe time.Time
	back      chan struct{} // closed when the service answers again
	outages   int
	downtime  time.Duration
}

// NewService tracks a service's health.
func NewService(name string) *Service { return &Service{Name: name} }

// Outages is how many outages the run saw, and how long they lasted.
func (s *Service) Outages() (int, time.Duration) {
	if s == nil {
		return 0, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.downtime
	if s.down {
		d += time.Since(s.since)
	}
	return s.outages, d
}

// reachedOnce reports whether the service has answered this run.
func (s *Service) reachedOnce() bool {
	if s == nil {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reached
}

// Down reports whether the service is in an outage.
func (s *Service) Down() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

// await returns when a request may be sent: at once while the service is
// up; during an outage, when it is this request's turn to probe or the
// service answers again. probe says the caller is the probe.
func (s *Service) await(ctx context.Context) (probe bool, err error) {
	if s == nil {
		return false, nil
	}
	for {
		s.mu.Lock()
		if !s.down {
			s.mu.Unlock()
			return false, nil
		}
		now := time.Now()
		if !s.probing && !now.Before(s.nextProbe) {
			s.probing = true
			s.mu.Unlock()
			return true, nil
		}
		wait := time.Until(s.nextProbe)
		if s.probing || wait <= 0 {
			wait = s.backoff
		}
		back := s.back
		s.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-back:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		}
		t.Stop()
	}
}

// answered records that the service answered (any HTTP answer, refusals
// included: a service that refuses is up).
func (s *Service) answered(probe bool) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = 0
	s.reached = true
	if probe {
		s.probing = false
	}
	if s.down {
		s.down = false
		s.downtime += time.Since(s.since)
		close(s.back)
	}
}

// failed records a transient failure; enough in a row start an outage.
func (s *Service) failed(probe bool) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if probe {
		s.probing = false
	}
	s.failures++
	switch {
	case s.down && probe:
		// Only a failed probe backs off: requests that were in flight when
		// the outage began fail too, and say nothing new.
		s.backoff = min(2*s.backoff, 30*time.Second)
		s.nextProbe = time.Now().Add(jittered(s.backoff))
	case s.down:
	case s.failures >= outageAfter && s.reached:
		s.down, s.since, s.outages = true, time.Now(), s.outages+1
		s.backoff = time.Second
		s.nextProbe = time.Now().Add(jittered(s.backoff))
		s.back = make(chan struct{})
	}
}

func jittered(d time.Duration) time.Duration {
	return d + time.Duration(float64(d)*0.2*rand.Float64())
}

// Attempt is one try of a request: the HTTP status of its answer (0 when
// there was none), its Retry-After, and its error.
type Attempt struct {
	Status     int
	RetryAfter string
	Err        error
}

// Policy says how often a request is tried. An outage does not count
// against the attempts: a request waits it out.
type Policy struct {
	// Attempts bounds the tries of a request that keeps failing while the
	// service answers others (0: 6).
	Attempts int
	// OnThrottle, when set, is told of each 429 and its Retry-After.
	OnThrottle func(retryAfter time.Duration)
	// Sleep waits between tries (Sleep by default).
	Sleep func(context.Context, time.Duration) error
	// Delay is the wait before a retry (RetryDelay by default; tests
	// shorten it).
	Delay func(retryAfter string, retry int) time.Duration
}

// Do sends a request through try until it succeeds, fails finally, runs
// out of attempts or ctx ends. A transient failure or a 429 is tried again
// after Retry-After, or a capped exponential back-off with jitter; while
// svc is in an outage the request waits for it. Do returns the last try's
// error.
func Do(ctx context.Context, svc *Service, p Policy, try func() Attempt) error {
	attempts := p.Attempts
	if attempts <= 0 {
		attempts = 6
	}
	sleep := p.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	delayOf := p.Delay
	if delayOf == nil {
		delayOf = RetryDelay
	}
	var last Attempt
	for n := 0; ; {
		probe, err := svc.await(ctx)
		if err != nil {
			return contextError(ctx, last.Err)
		}
		last = try()
		class := Classify(last.Status, last.Err)
		switch {
		case last.Err == nil:
			svc.answered(probe)
			return nil
		case class == Final:
			if last.Status != 0 {
				svc.answered(probe)
			} else if probe {
				svc.failed(probe)
			}
			return last.Err
		case class == Throttled:
			svc.answered(probe) // a throttled service is up
			delay := delayOf(last.RetryAfter, n)
			if p.OnThrottle != nil {
				p.OnThrottle(RetryDelay(last.RetryAfter, n)) // what the service asked, whatever the retry waits
			}
			n++
			if n >= attempts {
				return last.Err
			}
			if err := sleep(ctx, delay); err != nil {
				return contextError(ctx, last.Err)
			}
		default: // transient
			svc.failed(probe)
			if svc.Down() {
				continue // wait the outage out; not an attempt
			}
			n++
			// A service never reached this run gets one more try, not
			// five: an endpoint that cannot be reached at all is a
			// configuration to fix, said at once.
			if n >= attempts || (last.Status == 0 && !svc.reachedOnce() && n >= 2) {
				return last.Err
			}
			if err := sleep(ctx, delayOf(last.RetryAfter, n-1)); err != nil {
				return contextError(ctx, last.Err)
			}
		}
	}
}

// contextError is what a request that ctx ended says: the context's cause,
// beside the last failure, so that a caller tells "time ran out" from a
// failure of the service.
func contextError(ctx context.Context, last error) error {
	cause := context.Cause(ctx)
	if last == nil {
		return cause
	}
	return fmt.Errorf("%w (last try: %v)", cause, last)
}
