package collectors

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/collectors/exchange"
	"github.com/closeout-dev/closeout/collectors/graph"
	"github.com/closeout-dev/closeout/snapshot"
)

// No answer crashes closeout: whatever status and body a server (Graph,
// the Exchange admin API, a proxy or gateway in between) answers every
// request with, one account's collection ends with an error or a snapshot
// whose sections say what went wrong, never a panic. The seeds are answers
// seen from proxies and gateways; make fuzz runs more.
func FuzzAnyAnswer(f *testing.F) {
	for _, seed := range []struct {
		status int
		body   string
	}{
		{404, `{}`}, {404, ``}, {200, `{}`}, {200, ``}, {200, `[]`}, {200, `null`}, {500, `<html><body>Bad gateway</body></html>`},
		{401, `{"error":null}`}, {403, `{"error":{"code":null,"message":null}}`}, {400, `{"error":"text"}`}, {200, `{"value":null}`},
		{200, `{"value":[null,1,"x",{}]}`}, {200, `{"responses":[{"id":"tenant","status":200,"body":null}]}`},
		{200, `{"responses":[{"id":"user","status":404}]}`}, {502, `{"error":{"code":"BadGateway"}}`}, {200, `{"value":[{"id":{}}]}`},
		{204, ``}, {301, ``}, {200, `{"responses":[{"id":"tenant","status":200,"body":{"value":[{"id":"t","verifiedDomains":[{"name":"x"}]}]}},{"id":"user","status":200,"body":{"id":"u","userPrincipalName":"u@x"}}]}`},
	} {
		f.Add(seed.status, []byte(seed.body))
	}
	quick := func(string, int) time.Duration { return time.Millisecond }
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			status = 200 + (status%400+400)%400
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write(body)
		}))
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		client := graph.ClientOptions{GraphURL: srv.URL, Credential: graph.StaticToken(token), MaxRetries: 1, RetryDelay: quick, RequestTimeout: 2 * time.Second}
		incident := &snapshot.Incident{ID: "INC-1", WindowStart: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}
		snap, err := Account(ctx, graph.Options{ClientOptions: client, User: "bob@contoso.com", Incident: incident, Version: "fuzz"},
			&exchange.Options{ExchangeURL: srv.URL, Credential: graph.StaticToken(token), MaxRetries: 1, RetryDelay: quick, RequestTimeout: 2 * time.Second})
		if err == nil && snap == nil {
			t.Fatal("no snapshot and no error")
		}
		if err != nil {
			_ = err.Error()
		}
		// The tenant-wide readers, as a scan calls them.
		r, err := graph.NewReader(client)
		if err != nil {
			t.Fatal(err)
		}
		_ = r.Pages(ctx, "/users?$select=id", func(json.RawMessage) error { return nil })
		for _, a := range r.Batch(ctx, []graph.Step{{ID: "1", URL: "/users/x"}}) {
			if a.Err != nil {
				_ = a.Err.Error()
			}
		}
		ex, err := exchange.NewClient("tenant", exchange.Options{ExchangeURL: srv.URL, Credential: graph.StaticToken(token), MaxRetries: 1, RetryDelay: quick})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := ex.Invoke(ctx, "UPN:bob@contoso.com", "Get-Mailbox", nil); err != nil {
			_ = err.Error()
		}
	})
}
