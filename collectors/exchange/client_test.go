package exchange

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

type testCred struct{}

func (testCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "secret-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// tokenTrap counts requests and whether any carried the token.
type tokenTrap struct {
	*httptest.Server
	hits, withToken atomic.Int32
}

func newTrap(t *testing.T) *tokenTrap {
	trap := &tokenTrap{}
	trap.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		trap.hits.Add(1)
		if strings.Contains(r.Header.Get("Authorization"), "secret-token") {
			trap.withToken.Add(1)
		}
		w.Write([]byte(`{"value": []}`))
	}))
	t.Cleanup(trap.Close)
	return trap
}

func newTestClient(t *testing.T, url string, opts Options) *Client {
	t.Helper()
	opts.ExchangeURL, opts.Credential = url, testCred{}
	c, err := NewClient("tenant", opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A redirect to another origin (here another port) is not followed: the
// token would go with it.
func TestRedirectNeverCarriesTheToken(t *testing.T) {
	trap := newTrap(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, trap.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	_, _, err := newTestClient(t, srv.URL, Options{}).Invoke(context.Background(), "a@contoso.com", "Get-Mailbox", nil)
	if err == nil || !strings.Contains(err.Error(), "refusing a redirect") {
		t.Errorf("err = %v, want a refused redirect", err)
	}
	if trap.hits.Load() != 0 || trap.withToken.Load() != 0 {
		t.Errorf("the other origin got %d requests, %d with the token", trap.hits.Load(), trap.withToken.Load())
	}
}

// A next link to another origin is refused the same way.
func TestNextLinkStaysOnOrigin(t *testing.T) {
	trap := newTrap(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"value": [{"Name": "x"}], "@odata.nextLink": %q}`, trap.URL+"/page2")
	}))
	defer srv.Close()
	_, _, err := newTestClient(t, srv.URL, Options{}).Invoke(context.Background(), "a@contoso.com", "Get-Mailbox", nil)
	if err == nil || !strings.Contains(err.Error(), "next link to another origin") {
		t.Errorf("err = %v", err)
	}
	if trap.hits.Load() != 0 {
		t.Errorf("the other origin got %d requests", trap.hits.Load())
	}
}

// A body over the cap fails the cmdlet at once, with no retry and without
// reading the rest.
func TestBodyOverTheCap(t *testing.T) {
	var hits atomic.Int32
	for _, chunked := range []bool{false, true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			if chunked {
				w.(http.Flusher).Flush()
			}
			w.Write([]byte(`{"value": [{"Name": "` + strings.Repeat("x", 2<<20) + `"}]}`))
		}))
		hits.Store(0)
		_, _, err := newTestClient(t, srv.URL, Options{MaxBody: 1 << 20}).Invoke(context.Background(), "a@contoso.com", "Get-Mailbox", nil)
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), "size limit") {
			t.Errorf("chunked %v: err = %v", chunked, err)
		}
		if hits.Load() != 1 {
			t.Errorf("chunked %v: %d requests, want 1", chunked, hits.Load())
		}
	}
}

// --request-timeout bounds each try of a request; the caller's deadline
// (--timeout) bounds the tries and the waits between them.
func TestRequestTimeoutBoundsEachTry(t *testing.T) {
	var hits atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	c := newTestClient(t, slow.URL, Options{MaxRetries: 5, RequestTimeout: 200 * time.Millisecond})
	_, _, err := c.Invoke(context.Background(), "a@contoso.com", "Get-Mailbox", nil)
	if err == nil || !strings.Contains(err.Error(), "no answer within --request-timeout 200ms") {
		t.Errorf("err = %v", err)
	}

	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer unavailable.Close()
	hits.Store(0)
	c = newTestClient(t, unavailable.URL, Options{MaxRetries: 5, RequestTimeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, _, err = c.Invoke(ctx, "a@contoso.com", "Get-Mailbox", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the deadline", err)
	}
	// Six tries, a second apart, would need five seconds.
	if n := hits.Load(); n >= 6 {
		t.Errorf("%d tries: the deadline did not bound the retries", n)
	}
}

func TestURLWithCredentialsRefused(t *testing.T) {
	_, err := NewClient("tenant", Options{ExchangeURL: "http://user:hunter2@127.0.0.1:1", Credential: testCred{}})
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "user name or password") {
		t.Errorf("err = %v", err)
	}
}
