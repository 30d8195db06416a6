// Package safehttp holds what both collectors need to treat a server's
// answers as hostile: a cap on response bodies, redirects and next links
// that never carry a token to another origin, and bounded waits between
// retries.
package safehttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxBody caps one response body. The largest legitimate page
// (1,000 sign-ins, 999 users with $select) is a few MiB.
const DefaultMaxBody = 64 << 20

// ErrBodyTooLarge is returned by a body that went over its cap.
var ErrBodyTooLarge = errors.New("response body over the size limit")

// LimitBodies wraps next so that no response body can be read past max
// bytes: a body announced larger fails at once, one that turns out larger
// fails the read that crosses the cap. Either way the caller sees an error,
// never a truncated answer that parses.
func LimitBodies(next http.RoundTripper, max int64) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &limitTransport{next: next, max: max}
}

type limitTransport struct {
	next http.RoundTripper
	max  int64
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, t.tooLarge(req, resp.ContentLength)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max, err: t.tooLarge(req, -1)}
	return resp, nil
}

func (t *limitTransport) tooLarge(req *http.Request, announced int64) error {
	size := "more than"
	if announced >= 0 {
		size = fmt.Sprintf("%d bytes, over", announced)
	}
	return fmt.Errorf("%s %s: %w (%s the %d MiB limit)", req.Method, Redacted(req.URL), ErrBodyTooLarge, size, t.max>>20)
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
	err  error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.err
	}
	// Read one byte past the cap to tell "exactly max" from "more".
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return 0, b.err
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// SameOrigin reports whether two URLs share scheme, host and port: the
// only place a bearer token may follow a redirect or a next link.
func SameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// CheckRedirect is an http.Client.CheckRedirect that follows a redirect
// only within the first request's origin, so a token set on the request is
// never sent to another scheme (https to http), host or port.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if !SameOrigin(via[0].URL, req.URL) {
		return fmt.Errorf("refusing a redirect from %s to %s: a token never leaves the origin it was sent to", Redacted(via[0].URL), Redacted(req.URL))
	}
	return nil
}

// Redacted is u without its user information and query, for messages and
// debug lines: neither may carry a credential into a log.
func Redacted(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.ForceQuery = false
	return c.String()
}

// ServiceRoot parses an endpoint flag into the service's root URL: without
// a trailing slash or any of the given version suffixes ("/v1.0",
// "/beta"), so https://graph.microsoft.com, …/v1.0 and …/v1.0/ all work.
// A URL with a user name or password is refused: credentials never travel
// in a URL, where logs keep them.
func ServiceRoot(raw string, suffixes ...string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s carries a user name or password; authenticate with a credential instead", Redacted(u))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s has a query or fragment; give the service root only", Redacted(u))
	}
	path := strings.TrimRight(u.Path, "/")
	for trimmed := true; trimmed; {
		trimmed = false
		for _, s := range suffixes {
			if len(path) >= len(s) && strings.EqualFold(path[len(path)-len(s):], s) {
				path = strings.TrimRight(path[:len(path)-len(s)], "/")
				trimmed = true
			}
		}
	}
	u.Path, u.RawPath = path, ""
	return u, nil
}

// Sleep waits d, or less if ctx ends first (its error then).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// MaxRetryDelay caps one wait between retries, whatever Retry-After says;
// the caller's deadline bounds the whole.
const MaxRetryDelay = 5 * time.Minute

// RetryDelay is how long to wait before retry number retry (0 for the
// first) of a throttled or unavailable request. A Retry-After of seconds
// or an HTTP date is honoured, with up to 250 ms of jitter so that workers
// throttled together do not come back together; without one, 1 s doubles
// per retry up to 30 s, with up to 25% jitter. Never more than
// MaxRetryDelay, never negative.
func RetryDelay(retryAfter string, retry int) time.Duration {
	retryAfter = strings.TrimSpace(retryAfter)
	jitter := time.Duration(rand.Int64N(int64(250 * time.Millisecond)))
	if s, err := strconv.ParseInt(retryAfter, 10, 64); err == nil && s >= 0 {
		return min(time.Duration(min(s, int64(MaxRetryDelay/time.Second)))*time.Second+jitter, MaxRetryDelay)
	}
	if t, err := http.ParseTime(retryAfter); err == nil {
		return min(max(time.Until(t), 0)+jitter, MaxRetryDelay)
	}
	d := min(time.Second<<min(max(retry, 0), 5), 30*time.Second)
	return d + time.Duration(rand.Int64N(int64(d)/4+1))
}

// ErrorBody reads the code and message of an error answer in the OData
// shape both Graph and the Exchange admin API use ({"error": {"code",
// "message"}}); without a message, the body itself stands in, cut to 200
// bytes.
func ErrorBody(body []byte) (code, message string) {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	json.Unmarshal(body, &e)
	message = e.Error.Message
	if message == "" {
		message = strings.TrimSpace(string(body))
		if len(message) > 200 {
			message = message[:200] + "…"
		}
	}
	return e.Error.Code, message
}
