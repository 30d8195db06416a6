// Package graph collects an account's identity and mailbox-rule state from
// Microsoft Graph through the Graph SDK's request adapter (msgraph-sdk-go-core
// and kiota: authentication, retries, telemetry), section by section, into a
// closeout.snapshot/v1. A section Graph refuses is recorded
// in coverage (forbidden, unlicensed, notFound, error), never dropped and
// never mistaken for an empty one.
package graph

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	auth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"

	"github.com/closeout-dev/closeout/collectors/safehttp"
)

// Cloud is a Microsoft national cloud: its Graph endpoint.
type Cloud struct {
	Name     string
	GraphURL string
}

// Clouds are the national clouds closeout knows.
var Clouds = map[string]Cloud{
	"global":   {"global", "https://graph.microsoft.com"},
	"usgov":    {"usgov", "https://graph.microsoft.us"},
	"usgovdod": {"usgovdod", "https://dod-graph.microsoft.us"},
	"china":    {"china", "https://microsoftgraph.chinacloudapi.cn"},
}

// StaticToken is a bearer token given on the command line or in
// CLOSEOUT_TOKEN. It never appears in any output: String hides it.
type StaticToken string

// GetToken implements azcore.TokenCredential.
func (t StaticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func (t StaticToken) String() string   { return "[token]" }
func (t StaticToken) GoString() string { return "[token]" }

// ClientOptions say how to reach Graph.
type ClientOptions struct {
	Cloud    string // global (default), usgov, usgovdod, china
	GraphURL string // overrides the cloud's endpoint (the fake tenant)
	// Credential authenticates requests (azidentity, or StaticToken).
	Credential azcore.TokenCredential
	// MaxRetries bounds the retries of a read that keeps failing on a
	// transient fault (a dropped connection, an EOF, a timeout, 502, 503,
	// 504) or a 429 while Graph answers others; Retry-After is honoured,
	// else capped exponential back-off with jitter. An outage (nothing but
	// faults) is waited out, not counted.
	MaxRetries int
	// RequestTimeout bounds one HTTP request (one try).
	RequestTimeout time.Duration
	// RetryDelay is the wait before a retry (safehttp.RetryDelay by
	// default; tests shorten it).
	RetryDelay func(retryAfter string, retry int) time.Duration
	// MaxBody caps one response body (0: safehttp.DefaultMaxBody).
	MaxBody int64
	// OnThrottle, when set, is told of every answer Graph throttled (429),
	// whole requests and $batch steps alike, with the path that was read
	// and how long the service asked to wait, so that a caller pacing its
	// requests can pause and slow down.
	OnThrottle func(path string, retryAfter time.Duration)
	// OnUsage, when set, is told what each answer said of its cost and of
	// the budget left (x-ms-resource-unit, x-ms-throttle-limit-percentage,
	// x-ms-throttle-scope), whole requests and $batch steps alike.
	OnUsage func(Usage)
	// Debug, when set, receives one line per request: method, URL, status.
	// Headers (and so the token) are never written.
	Debug io.Writer
}

// NewAdapter builds the Graph request adapter for the options: the one the
// SDK's service client would wrap (msgraph-sdk-go-core's, with kiota's
// middleware), without the SDK's typed request builders and models, which
// closeout does not use (it maps Graph's JSON itself) and which are most of a
// cold build. It returns the adapter and the service root (without /v1.0).
func NewAdapter(opts ClientOptions) (abs.RequestAdapter, string, error) {
	cloud, ok := Clouds[strings.ToLower(opts.Cloud)]
	if opts.Cloud == "" {
		cloud, ok = Clouds["global"], true
	}
	if !ok {
		return nil, "", fmt.Errorf("unknown cloud %q (want global, usgov, usgovdod or china)", opts.Cloud)
	}
	root := cloud.GraphURL
	if opts.GraphURL != "" {
		root = opts.GraphURL
	}
	u, err := safehttp.ServiceRoot(root, "/v1.0", "/beta")
	if err != nil {
		return nil, "", fmt.Errorf("graph URL: %w", err)
	}
	base := u.String()
	if opts.Credential == nil {
		return nil, "", fmt.Errorf("no credential")
	}
	scope := cloud.GraphURL + "/.default"
	hosts := []string{u.Hostname()}
	provider, err := auth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(credential{opts.Credential}, []string{scope}, hosts)
	if err != nil {
		return nil, "", err
	}
	// Request bodies are not compressed: the only ones closeout sends are
	// $batch requests of a few KiB. Retries are closeout's own (rawGraph,
	// through safehttp.Do, with every other read): the SDK's retry handler
	// is kept in the chain but never retries, so that one policy decides.
	kiotaMW, err := khttp.GetDefaultMiddlewaresWithOptions(khttp.NewCompressionOptionsReference(false), &khttp.RetryHandlerOptions{
		ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return false },
	})
	if err != nil {
		return nil, "", err
	}
	clientOpts := msgraphcore.GraphClientOptions{GraphServiceVersion: "v1.0", GraphServiceLibraryVersion: "closeout"}
	middleware := append([]khttp.Middleware{
		msgraphcore.NewGraphTelemetryHandler(&clientOpts),
		khttp.NewUrlReplaceHandler(true, msgraphcore.ReplacementPairs),
	}, kiotaMW...)
	if opts.Debug != nil {
		middleware = append(middleware, debugHandler{w: opts.Debug})
	}
	httpClient := khttp.GetDefaultClient(middleware...)
	// Every body is capped: a hostile or broken endpoint cannot grow the
	// process with one answer. The section that asked gets an error.
	maxBody := opts.MaxBody
	if maxBody <= 0 {
		maxBody = safehttp.DefaultMaxBody
	}
	httpClient.Transport = safehttp.LimitBodies(httpClient.Transport, maxBody)
	if opts.OnUsage != nil {
		httpClient.Transport = usageTransport{next: httpClient.Transport, on: opts.OnUsage, base: strings.TrimSuffix(u.Path, "/") + "/v1.0"}
	}
	httpClient.Timeout = opts.RequestTimeout
	if httpClient.Timeout == 0 {
		httpClient.Timeout = 100 * time.Second
	}
	// Answers are read as bytes; only error bodies are parsed by kiota, as
	// JSON (OData errors), so JSON is the one parse node factory, held by
	// this adapter rather than registered process-wide.
	parsers := absser.NewParseNodeFactoryRegistry()
	parsers.ContentTypeAssociatedFactories["application/json"] = jsonserialization.NewJsonParseNodeFactory()
	adapter, err := msgraphcore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(provider, clientOpts, parsers, absser.NewSerializationWriterFactoryRegistry(), httpClient)
	if err != nil {
		return nil, "", err
	}
	adapter.SetBaseUrl(base + "/v1.0")
	return adapter, base, nil
}

// credential marks a failure to get a token, so that it is reported as
// "no credential", never as "Graph could not be reached".
type credential struct{ azcore.TokenCredential }

func (c credential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := c.TokenCredential.GetToken(ctx, opts)
	if err != nil {
		return tok, &CredentialError{Err: err}
	}
	return tok, nil
}

// CredentialError is a token that could not be had.
type CredentialError struct{ Err error }

func (e *CredentialError) Error() string { return "no token could be had: " + oneLine(e.Err) }
func (e *CredentialError) Unwrap() error { return e.Err }

// debugHandler logs each request's method, URL and status, never headers.
type debugHandler struct{ w io.Writer }

func (d debugHandler) Intercept(pipeline khttp.Pipeline, index int, req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := pipeline.Next(req, index)
	status := "error: " + fmt.Sprint(err)
	if err == nil {
		status = resp.Status
	}
	fmt.Fprintf(d.w, "graph: %s %s -> %s (%s)\n", req.Method, req.URL.Redacted(), status, time.Since(start).Round(time.Millisecond))
	return resp, err
}
