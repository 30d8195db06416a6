// Package exchange collects what only Exchange Online knows about a
// mailbox (forwarding, client protocols, FullAccess/SendAs/SendOnBehalf,
// hidden inbox rules) through the admin REST API that the
// ExchangeOnlineManagement v3 module uses: POST .../adminapi/beta/{tenant}/
// InvokeCommand with a cmdlet and its parameters. Read-only cmdlets only.
package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/closeout-dev/closeout/collectors/safehttp"
)

// Endpoints are Exchange Online's admin API hosts per national cloud.
var Endpoints = map[string]string{
	"global":   "https://outlook.office365.com",
	"usgov":    "https://outlook.office365.us",
	"usgovdod": "https://webmail.apps.mil",
	"china":    "https://partner.outlook.cn",
}

// Options say how to reach Exchange Online.
type Options struct {
	Cloud       string
	ExchangeURL string // overrides the cloud's endpoint (the fake tenant)
	Credential  azcore.TokenCredential
	// MaxRetries bounds the retries of a cmdlet that keeps failing on a
	// transient fault or a 429 while Exchange answers others (every cmdlet
	// closeout runs is a read-only Get-*); an outage is waited out.
	MaxRetries int
	// RequestTimeout bounds one request (one try of one page).
	RequestTimeout time.Duration
	// RetryDelay is the wait before a retry (safehttp.RetryDelay by
	// default; tests shorten it).
	RetryDelay func(retryAfter string, retry int) time.Duration
	// MaxBody caps one response body (0: safehttp.DefaultMaxBody).
	MaxBody int64
	// Debug receives one line per request: cmdlet, status; never headers.
	Debug io.Writer
	// OnThrottle, when set, is told of each answer Exchange throttled (429)
	// and how long it asked to wait.
	OnThrottle func(retryAfter time.Duration)
	// Pace, when set, is called before every try of every request (each
	// page of each cmdlet, each retry): a scan's Exchange budget.
	Pace func(context.Context) error
}

// Client runs cmdlets for one tenant.
type Client struct {
	base     string
	baseURL  *neturl.URL
	scope    string
	tenantID string
	opts     Options
	http     *http.Client
	svc      *safehttp.Service
}

// NewClient returns a client for the tenant.
func NewClient(tenantID string, opts Options) (*Client, error) {
	cloud := strings.ToLower(opts.Cloud)
	if cloud == "" {
		cloud = "global"
	}
	endpoint, ok := Endpoints[cloud]
	if !ok {
		return nil, fmt.Errorf("unknown cloud %q", opts.Cloud)
	}
	root := endpoint
	if opts.ExchangeURL != "" {
		root = opts.ExchangeURL
	}
	// The Graph service root may be given for both (the fake tenant serves
	// both): its /v1.0 is not Exchange's.
	baseURL, err := safehttp.ServiceRoot(root, "/v1.0", "/beta", "/adminapi/beta")
	if err != nil {
		return nil, fmt.Errorf("exchange URL: %w", err)
	}
	base := baseURL.String()
	if opts.Credential == nil {
		return nil, errors.New("no credential")
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 5
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 100 * time.Second
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = safehttp.DefaultMaxBody
	}
	// Redirects and next links stay on the endpoint's origin: the bearer
	// token is set on every request and must never reach another one.
	httpClient := &http.Client{
		Transport:     safehttp.LimitBodies(nil, opts.MaxBody),
		CheckRedirect: safehttp.CheckRedirect,
	}
	return &Client{base: base, baseURL: baseURL, scope: endpoint + "/.default", tenantID: tenantID, opts: opts, http: httpClient,
		svc: safehttp.NewService("Exchange Online")}, nil
}

// Error is a refused or failed cmdlet.
type Error struct {
	Cmdlet  string
	Status  int
	Code    string
	Message string
	// cause is the transport failure behind a cmdlet that got no answer,
	// for safehttp.Classify.
	cause error
}

func (e *Error) Unwrap() error { return e.cause }

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("%s: %s", e.Cmdlet, e.Message)
	}
	return fmt.Sprintf("%s: HTTP %d %s: %s", e.Cmdlet, e.Status, e.Code, e.Message)
}

const paginationExpired = "Expired or Invalid pagination request"

// Invoke runs a cmdlet and returns every object it output, following
// @odata.nextLink. When Exchange refuses to page, it runs the cmdlet again
// with -ResultSize Unlimited. Warnings Exchange attaches are returned too.
func (c *Client) Invoke(ctx context.Context, anchor, cmdlet string, params map[string]any) ([]map[string]any, []string, error) {
	out, warnings, err := c.invoke(ctx, anchor, cmdlet, params)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusBadRequest && strings.Contains(e.Message, paginationExpired) {
		unlimited := map[string]any{"ResultSize": "Unlimited"}
		for k, v := range params {
			unlimited[k] = v
		}
		out, warnings, err = c.invoke(ctx, anchor, cmdlet, unlimited)
		warnings = append(warnings, "paging was refused; read with -ResultSize Unlimited")
	}
	return out, warnings, err
}

func (c *Client) invoke(ctx context.Context, anchor, cmdlet string, params map[string]any) ([]map[string]any, []string, error) {
	var out []map[string]any
	warnings, err := c.InvokeEach(ctx, anchor, cmdlet, params, func(row map[string]any) error {
		out = append(out, row)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, warnings, nil
}

// InvokeEach runs a cmdlet and hands each object it output to each, a page
// at a time, so a tenant-wide Get-Mailbox is never held whole.
func (c *Client) InvokeEach(ctx context.Context, anchor, cmdlet string, params map[string]any, each func(map[string]any) error) ([]string, error) {
	body, err := json.Marshal(map[string]any{"CmdletInput": map[string]any{"CmdletName": cmdlet, "Parameters": params}})
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("%s/adminapi/beta/%s/InvokeCommand", c.base, c.tenantID)
	var warnings []string
	for pages := 0; url != ""; pages++ {
		if pages > 100000 {
			return nil, &Error{Cmdlet: cmdlet, Message: "more than 100000 pages; stopping"}
		}
		var page struct {
			Value    []map[string]any `json:"value"`
			Next     string           `json:"@odata.nextLink"`
			Warnings []string         `json:"@adminapi.warnings"`
		}
		if err := c.post(ctx, url, anchor, cmdlet, body, &page); err != nil {
			return nil, err
		}
		for _, row := range page.Value {
			if err := each(row); err != nil {
				return nil, err
			}
		}
		warnings = append(warnings, page.Warnings...)
		url = page.Next
		if url != "" {
			next, err := neturl.Parse(url)
			if err != nil || !safehttp.SameOrigin(c.baseURL, next) {
				return nil, &Error{Cmdlet: cmdlet, Message: fmt.Sprintf("refusing a next link to another origin (%q); the token stays with %s", truncate(url, 80), safehttp.Redacted(c.baseURL))}
			}
		}
	}
	return warnings, nil
}

// Outages is how many outages of Exchange the client waited out, and for
// how long in all.
func (c *Client) Outages() (int, time.Duration) { return c.svc.Outages() }

// post sends one request through safehttp.Do: a transient fault (a broken
// connection, an EOF, a timeout, 502/503/504) or a 429 is tried again after
// Retry-After or a back-off with jitter, an outage is waited out, and each
// try has its own --request-timeout.
func (c *Client) post(ctx context.Context, url, anchor, cmdlet string, body []byte, into any) error {
	policy := safehttp.Policy{Attempts: c.opts.MaxRetries + 1, OnThrottle: c.opts.OnThrottle, Delay: c.opts.RetryDelay}
	err := safehttp.Do(ctx, c.svc, policy, func() safehttp.Attempt {
		if c.opts.Pace != nil {
			if err := c.opts.Pace(ctx); err != nil {
				return safehttp.Attempt{Err: err}
			}
		}
		return c.try(ctx, url, anchor, cmdlet, body, into)
	})
	var e *Error
	if err != nil && !errors.As(err, &e) {
		err = &Error{Cmdlet: cmdlet, Message: err.Error(), cause: err}
	} else if err != nil && errors.Is(err, context.DeadlineExceeded) && !errors.Is(e, context.DeadlineExceeded) {
		// The caller's deadline ended the retries: said so, beside the
		// last try's failure.
		err = &Error{Cmdlet: cmdlet, Message: err.Error(), cause: err}
	}
	return err
}

// try sends the request once, within --request-timeout.
func (c *Client) try(ctx context.Context, url, anchor, cmdlet string, body []byte, into any) safehttp.Attempt {
	ctx, cancel := context.WithTimeoutCause(ctx, c.opts.RequestTimeout, fmt.Errorf("no answer within --request-timeout %s", c.opts.RequestTimeout))
	defer cancel()
	token, err := c.opts.Credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}})
	if err != nil {
		return safehttp.Attempt{Status: http.StatusUnauthorized, Err: &Error{Cmdlet: cmdlet, Status: http.StatusUnauthorized, Message: "getting a token for Exchange Online: " + err.Error()}}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return safehttp.Attempt{Err: &Error{Cmdlet: cmdlet, Message: err.Error()}}
	}
	req.Header.Set("Authorization", "Bearer "+token.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-AnchorMailbox", anchor)
	req.Header.Set("X-CmdletName", cmdlet)
	req.Header.Set("Prefer", "odata.maxpagesize=1000")
	resp, err := c.http.Do(req)
	if err != nil {
		c.debug(cmdlet, "error")
		if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
			err = fmt.Errorf("%w: %v", cause, err)
		}
		return safehttp.Attempt{Err: &Error{Cmdlet: cmdlet, Message: err.Error(), cause: err}}
	}
	raw, readErr := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.debug(cmdlet, resp.Status)
	switch {
	case resp.StatusCode >= 400:
		return safehttp.Attempt{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After"), Err: apiError(cmdlet, resp.StatusCode, raw)}
	case readErr != nil:
		return safehttp.Attempt{Err: &Error{Cmdlet: cmdlet, Message: "reading the answer: " + readErr.Error(), cause: readErr}}
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return safehttp.Attempt{Err: &Error{Cmdlet: cmdlet, Message: "the answer is not complete JSON: " + err.Error(), cause: io.ErrUnexpectedEOF}}
	}
	return safehttp.Attempt{}
}

func (c *Client) debug(cmdlet, status string) {
	if c.opts.Debug != nil {
		fmt.Fprintf(c.opts.Debug, "exchange: POST %s/adminapi/beta/%s/InvokeCommand %s -> %s\n", safehttp.Redacted(c.baseURL), c.tenantID, cmdlet, status)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func apiError(cmdlet string, status int, raw []byte) error {
	code, msg := safehttp.ErrorBody(raw)
	return &Error{Cmdlet: cmdlet, Status: status, Code: code, Message: msg}
}
