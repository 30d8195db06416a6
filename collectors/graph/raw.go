package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"

	"github.com/closeout-dev/closeout/collectors/safehttp"
)

// rawGraph reads Graph's JSON as Microsoft sent it, through the SDK's
// request adapter (authentication, the retry handler, the body cap,
// telemetry). closeout maps the JSON itself (see enums.go): the SDK's
// models would turn a value they do not know into a silent nil.
type rawGraph struct {
	adapter    abs.RequestAdapter
	base       *url.URL // the service root, …/v1.0
	maxRetries int
	sleep      func(context.Context, time.Duration) error
	delay      func(retryAfter string, retry int) time.Duration
	// svc is Graph's health over the run: an outage is waited out.
	svc *safehttp.Service
	// debug receives a line per $batch step: its request and status.
	debug io.Writer
	// onThrottle is told of each read Graph throttled, whole or a $batch
	// step, with its Retry-After.
	onThrottle func(path string, retryAfter time.Duration)
	// onUsage is told what each step's answer said of its cost.
	onUsage func(Usage)
	// pace, when set, is called before each retry with the paths of the
	// reads it sends again (the first try is the caller's to pace): a
	// scan's budgets.
	pace func(ctx context.Context, paths []string) error
}

// rawAnswer is an answer as Graph sent it: closeout's response handler
// takes it from the SDK's pipeline whole (status, headers, body), so that
// an error is read by closeout, whatever its body holds (an OData error,
// {}, HTML, nothing), never by a model that assumes Graph's shape.
type rawAnswer struct {
	status int
	header http.Header
	body   []byte
}

// A rawAnswer travels through the SDK as a Parsable it never parses.
func (*rawAnswer) Serialize(absser.SerializationWriter) error                     { return nil }
func (*rawAnswer) GetFieldDeserializers() map[string]func(absser.ParseNode) error { return nil }

// keepAnswer is the response handler: it reads the whole (capped) body.
func keepAnswer(response any, _ abs.ErrorMappings) (any, error) {
	resp, ok := response.(*http.Response)
	if !ok || resp == nil {
		return nil, errors.New("no answer")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &rawAnswer{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// resolve turns a path relative to the service root ("/users/x") or an
// absolute next link into a URL, refusing another origin.
func (g *rawGraph) resolve(ref string) (*url.URL, error) {
	if strings.HasPrefix(ref, "/") {
		u := *g.base
		path, query, _ := strings.Cut(ref, "?")
		u.Path = strings.TrimSuffix(g.base.Path, "/") + path
		u.RawPath = ""
		u.RawQuery = query
		return &u, nil
	}
	u, err := url.Parse(ref)
	if err != nil {
		return nil, err
	}
	if !safehttp.SameOrigin(g.base, u) {
		return nil, fmt.Errorf("refusing a next link to another origin (%s); the token stays with %s", safehttp.Redacted(u), safehttp.Redacted(g.base))
	}
	return u, nil
}

func (g *rawGraph) send(ctx context.Context, method abs.HttpMethod, ref string, body []byte, headers ...string) ([]byte, error) {
	return g.sendCharged(ctx, method, ref, body, []string{stepPath(ref)}, headers...)
}

// sendCharged is send, with the paths a retry is charged as (a $batch's
// steps).
func (g *rawGraph) sendCharged(ctx context.Context, method abs.HttpMethod, ref string, body []byte, charged []string, headers ...string) ([]byte, error) {
	u, err := g.resolve(ref)
	if err != nil {
		return nil, err
	}
	var out []byte
	tries := 0
	policy := safehttp.Policy{Attempts: g.maxRetries + 1, Sleep: g.sleep, Delay: g.delay, OnThrottle: func(d time.Duration) {
		if g.onThrottle != nil {
			g.onThrottle(u.Path, d)
		}
	}}
	err = safehttp.Do(ctx, g.svc, policy, func() safehttp.Attempt {
		if tries++; tries > 1 && g.pace != nil {
			if err := g.pace(ctx, charged); err != nil {
				return safehttp.Attempt{Err: err}
			}
		}
		ri := abs.NewRequestInformation()
		ri.Method = method
		ri.SetUri(*u)
		ri.Headers.TryAdd("Accept", "application/json")
		for i := 0; i+1 < len(headers); i += 2 {
			ri.Headers.TryAdd(headers[i], headers[i+1])
		}
		if body != nil {
			ri.SetStreamContentAndContentType(body, "application/json")
		}
		handler := abs.NewRequestHandlerOption()
		handler.SetResponseHandler(keepAnswer)
		ri.AddRequestOptions([]abs.RequestOption{handler})
		got, err := g.adapter.SendPrimitive(ctx, ri, "[]byte", nil)
		if err != nil {
			return safehttp.Attempt{Err: err}
		}
		a, ok := got.(*rawAnswer)
		if !ok {
			return safehttp.Attempt{Err: errors.New("the SDK returned no answer")}
		}
		if a.status >= 400 {
			return safehttp.Attempt{Status: a.status, RetryAfter: a.header.Get("Retry-After"), Err: graphErrorOf(a.status, a.body)}
		}
		out = a.body
		return safehttp.Attempt{}
	})
	if err != nil {
		return nil, &requestError{Method: string(methodName(method)), URL: safehttp.Redacted(u), Err: err}
	}
	return out, nil
}

func methodName(m abs.HttpMethod) string {
	if m == abs.POST {
		return http.MethodPost
	}
	return http.MethodGet
}

// requestError keeps the request behind an error, so a 404 on the first
// read can say which URL it was (an endpoint given with /v1.0 twice).
type requestError struct {
	Method, URL string
	Err         error
}

func (e *requestError) Error() string { return e.Err.Error() }
func (e *requestError) Unwrap() error { return e.Err }

// get reads one object or one page.
func (g *rawGraph) get(ctx context.Context, ref string) ([]byte, error) {
	return g.send(ctx, abs.GET, ref, nil)
}

// page is one page of a collection.
type page struct {
	Value    []json.RawMessage `json:"value"`
	NextLink string            `json:"@odata.nextLink"`
}

// collection decodes a first page and follows every @odata.nextLink; a
// page that fails fails the whole collection, so none is dropped silently.
func (g *rawGraph) collection(ctx context.Context, first []byte) ([]json.RawMessage, error) {
	var items []json.RawMessage
	body := first
	for pages := 0; ; pages++ {
		var p page
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, fmt.Errorf("page %d is not a collection: %w", pages+1, err)
		}
		if p.Value == nil {
			return nil, fmt.Errorf("page %d has no value array", pages+1)
		}
		items = append(items, p.Value...)
		if p.NextLink == "" {
			return items, nil
		}
		if pages >= 10000 {
			return nil, errors.New("more than 10000 pages; stopping")
		}
		var err error
		if body, err = g.get(ctx, p.NextLink); err != nil {
			return nil, err
		}
	}
}

// step is one request of a $batch, by its path under the service root.
type step struct {
	ID  string
	URL string
}

// answer is one step's response: a body, or an error with Graph's status,
// code and message.
type answer struct {
	Body json.RawMessage
	Err  error
}

// graphError is an answer Graph refused, whole or a $batch step: its
// status, and the code and message of its OData error (the first bytes of
// the body when it holds none).
type graphError struct {
	Status  int
	Code    string
	Message string
}

func (e *graphError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// maxBatch is Graph's limit of requests in one $batch.
const maxBatch = 20

// batch sends steps as $batch requests of at most 20, concurrently, and
// returns each step's answer by id. A step throttled or unavailable inside
// a batch (429, 503, 504) is not retried by the SDK: it is sent again, on
// its own Retry-After, up to maxRetries times. A batch that fails as a
// whole fails each of its steps.
func (g *rawGraph) batch(ctx context.Context, steps []step) map[string]answer {
	out := make(map[string]answer, len(steps))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for start := 0; start < len(steps); start += maxBatch {
		chunk := steps[start:min(start+maxBatch, len(steps))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := g.batchChunk(ctx, chunk)
			mu.Lock()
			for id, a := range got {
				out[id] = a
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

type batchResponse struct {
	Responses []struct {
		ID      string            `json:"id"`
		Status  int               `json:"status"`
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	} `json:"responses"`
}

func (g *rawGraph) batchChunk(ctx context.Context, steps []step) map[string]answer {
	out := make(map[string]answer, len(steps))
	pending := steps
	for attempt := 0; len(pending) > 0; attempt++ {
		type item struct {
			ID     string `json:"id"`
			Method string `json:"method"`
			URL    string `json:"url"`
		}
		req := struct {
			Requests []item `json:"requests"`
		}{}
		for _, s := range pending {
			req.Requests = append(req.Requests, item{ID: s.ID, Method: http.MethodGet, URL: s.URL})
		}
		body, _ := json.Marshal(req)
		paths := make([]string, len(pending))
		for i, s := range pending {
			paths[i] = stepPath(s.URL)
		}
		if attempt > 0 && g.pace != nil {
			if err := g.pace(ctx, paths); err != nil {
				for _, s := range pending {
					out[s.ID] = answer{Err: err}
				}
				return out
			}
		}
		raw, err := g.sendCharged(ctx, abs.POST, "/$batch", body, paths)
		if err != nil && ctx.Err() == nil && brokenConnection(err) && len(pending) > 1 {
			// Broken on every try while Graph answers other requests: each
			// step goes on its own, so that one step that breaks
			// connections does not take the others with it.
			for id, a := range g.individually(ctx, pending) {
				out[id] = a
			}
			return out
		}
		var resp batchResponse
		if err == nil {
			if jerr := json.Unmarshal(raw, &resp); jerr != nil {
				err = fmt.Errorf("the $batch answer is not complete JSON: %w", jerr)
			}
		}
		if err != nil {
			for _, s := range pending {
				out[s.ID] = answer{Err: err}
			}
			return out
		}
		byID := map[string]step{}
		for _, s := range pending {
			byID[s.ID] = s
		}
		var retry []step
		var wait time.Duration
		for _, r := range resp.Responses {
			s, ok := byID[r.ID]
			if !ok {
				continue
			}
			delete(byID, r.ID)
			if g.onUsage != nil {
				if u, ok := usageFrom(stepPath(s.URL), func(name string) string { return headerValue(r.Headers, name) }); ok {
					g.onUsage(u)
				}
			}
			if g.debug != nil {
				fmt.Fprintf(g.debug, "graph:   $batch step GET %s -> %d\n", stepPath(s.URL), r.Status)
			}
			class := safehttp.Classify(r.Status, nil)
			switch {
			case r.Status >= 200 && r.Status < 300:
				out[r.ID] = answer{Body: r.Body}
			case class != safehttp.Final && attempt < g.maxRetries:
				// A step throttled or unavailable inside a batch is not
				// retried by Graph: it goes in the next batch, after its
				// Retry-After (the envelope waits out an outage).
				retry = append(retry, s)
				retryAfter := headerValue(r.Headers, "Retry-After")
				wait = max(wait, g.delay(retryAfter, attempt))
				if g.onThrottle != nil && class == safehttp.Throttled {
					g.onThrottle(stepPath(s.URL), safehttp.RetryDelay(retryAfter, attempt))
				}
			default:
				out[r.ID] = answer{Err: graphErrorOf(r.Status, r.Body)}
			}
		}
		for id := range byID {
			out[id] = answer{Err: fmt.Errorf("the $batch answer has no response for step %s", id)}
		}
		if len(retry) > 0 {
			if err := g.sleep(ctx, wait); err != nil {
				for _, s := range retry {
					out[s.ID] = answer{Err: err}
				}
				return out
			}
		}
		pending = retry
	}
	return out
}

// individually reads steps as plain requests, four at a time (Outlook's
// limit per mailbox), each with send's retries.
func (g *rawGraph) individually(ctx context.Context, steps []step) map[string]answer {
	out := make(map[string]answer, len(steps))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, s := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			body, err := g.get(ctx, s.URL)
			mu.Lock()
			out[s.ID] = answer{Body: body, Err: err}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// stepPath is a step's path without its query (a filter names the user).
func stepPath(u string) string {
	path, _, _ := strings.Cut(u, "?")
	return path
}

// brokenConnection holds for a dropped connection, a truncated body or
// another transient fault with no answer.
func brokenConnection(err error) bool {
	status, _, _ := describe(err)
	return status == 0 && safehttp.Classify(0, err) == safehttp.Transient
}

func headerValue(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func graphErrorOf(status int, body []byte) error {
	code, msg := safehttp.ErrorBody(body)
	if msg == "" {
		msg = "(no body)"
	}
	return &graphError{Status: status, Code: code, Message: msg}
}
