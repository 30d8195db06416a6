package safehttp

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestLimitBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := map[string]int{"/small": 100, "/exact": 1000, "/big": 5000}[r.URL.Path]
		if r.URL.Query().Get("chunked") != "" {
			w.(http.Flusher).Flush() // no Content-Length: the cap is found while reading
		}
		w.Write([]byte(strings.Repeat("x", n)))
	}))
	defer srv.Close()
	client := &http.Client{Transport: LimitBodies(nil, 1000)}
	for _, tc := range []struct {
		path    string
		wantErr bool
	}{
		{"/small", false}, {"/exact", false}, {"/big", true},
		{"/small?chunked=1", false}, {"/exact?chunked=1", false}, {"/big?chunked=1", true},
	} {
		resp, err := client.Get(srv.URL + tc.path)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if got := err != nil; got != tc.wantErr {
			t.Errorf("%s: err = %v, want error %v", tc.path, err, tc.wantErr)
		}
		if tc.wantErr && !errors.Is(err, ErrBodyTooLarge) {
			t.Errorf("%s: err = %v, want ErrBodyTooLarge", tc.path, err)
		}
	}
}

func TestCheckRedirect(t *testing.T) {
	u := func(s string) *url.URL { v, _ := url.Parse(s); return v }
	for _, tc := range []struct {
		from, to string
		ok       bool
	}{
		{"https://h/a", "https://h/b", true},
		{"https://h/a", "https://h:443/b", true},
		{"https://h/a", "http://h/b", false},
		{"https://h/a", "https://h:8443/b", false},
		{"https://h/a", "https://evil/b", false},
		{"http://127.0.0.1:1/a", "http://127.0.0.1:2/a", false},
	} {
		err := CheckRedirect(&http.Request{URL: u(tc.to)}, []*http.Request{{URL: u(tc.from)}})
		if (err == nil) != tc.ok {
			t.Errorf("%s -> %s: err = %v, want ok %v", tc.from, tc.to, err, tc.ok)
		}
	}
}

func TestRedacted(t *testing.T) {
	u, _ := url.Parse("https://user:s3cret@host/p?code=abc")
	if got := Redacted(u); strings.Contains(got, "s3cret") || strings.Contains(got, "abc") || got != "https://host/p" {
		t.Errorf("Redacted = %q", got)
	}
}

func TestServiceRoot(t *testing.T) {
	for _, raw := range []string{"http://h:8", "http://h:8/", "http://h:8/v1.0", "http://h:8/v1.0/", "http://h:8/V1.0//", "http://h:8/beta", "http://h:8/v1.0/v1.0"} {
		u, err := ServiceRoot(raw, "/v1.0", "/beta")
		if err != nil || u.String() != "http://h:8" {
			t.Errorf("ServiceRoot(%q) = %v, %v", raw, u, err)
		}
	}
	if u, _ := ServiceRoot("https://proxy.example/graph/v1.0", "/v1.0"); u.String() != "https://proxy.example/graph" {
		t.Errorf("a path prefix is kept: %v", u)
	}
	for _, bad := range []string{"graph.microsoft.com", "ftp://h", "http://u:p@h", "http://h/?x=1"} {
		if _, err := ServiceRoot(bad, "/v1.0"); err == nil {
			t.Errorf("ServiceRoot(%q) accepted", bad)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	within := func(name string, got, lo, hi time.Duration) {
		t.Helper()
		if got < lo || got > hi {
			t.Errorf("%s: %s, want between %s and %s", name, got, lo, hi)
		}
	}
	within("Retry-After: 7", RetryDelay("7", 3), 7*time.Second, 7250*time.Millisecond)
	within("Retry-After: 0", RetryDelay(" 0 ", 0), 0, 250*time.Millisecond)
	within("an HTTP date 20 s ahead", RetryDelay(time.Now().Add(20*time.Second).UTC().Format(http.TimeFormat), 0), 18*time.Second, 21*time.Second)
	within("an HTTP date in the past", RetryDelay("Mon, 02 Jan 2006 15:04:05 GMT", 0), 0, 250*time.Millisecond)
	within("a huge Retry-After", RetryDelay("99999999999999999", 0), MaxRetryDelay, MaxRetryDelay)
	within("a negative Retry-After backs off", RetryDelay("-5", 0), time.Second, 1250*time.Millisecond)
	within("first retry", RetryDelay("", 0), time.Second, 1250*time.Millisecond)
	within("third retry", RetryDelay("soon", 2), 4*time.Second, 5*time.Second)
	within("tenth retry", RetryDelay("", 10), 30*time.Second, 37500*time.Millisecond)
	within("a negative retry", RetryDelay("", -1), time.Second, 1250*time.Millisecond)
}
