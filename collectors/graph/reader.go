package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"

	"github.com/closeout-dev/closeout/snapshot"
)

// Reader reads Graph's JSON for a tenant-wide scan: lists page by page,
// and per-account reads in $batch. Its pages and answers go through the
// same mappings as one account's collection (UserFromGraph, RiskFromGraph,
// AuthMethodFromGraph, ...), so the two never disagree on what the same
// data means.
type Reader struct {
	raw *rawGraph
	// Spend, when set, is called before each HTTP request with the paths
	// of the Graph reads it carries: the scan's throttle budgets decide
	// when it may go.
	Spend func(ctx context.Context, paths []string) error
}

// NewReader builds a Reader.
func NewReader(opts ClientOptions) (*Reader, error) {
	c, _, err := newCollector(Options{ClientOptions: opts})
	if err != nil {
		return nil, err
	}
	r := &Reader{raw: c.raw}
	c.raw.pace = func(ctx context.Context, paths []string) error { return r.spend(ctx, paths...) }
	return r, nil
}

func (r *Reader) spend(ctx context.Context, paths ...string) error {
	if r.Spend == nil {
		return nil
	}
	return r.Spend(ctx, paths)
}

// Pages reads a collection under the service root ("/users?$select=..."),
// handing each item to each as its page arrives: nothing is held but the
// page being read.
func (r *Reader) Pages(ctx context.Context, path string, each func(json.RawMessage) error) error {
	next := path
	for pages := 0; next != ""; pages++ {
		if pages > 100000 {
			return errors.New("more than 100000 pages; stopping")
		}
		if err := r.spend(ctx, stepPath(next)); err != nil {
			return err
		}
		body, err := r.raw.get(ctx, next)
		if err != nil {
			return err
		}
		var p page
		if err := json.Unmarshal(body, &p); err != nil {
			return fmt.Errorf("page %d of %s is not a collection: %w", pages+1, stepPath(path), err)
		}
		for _, item := range p.Value {
			if err := each(item); err != nil {
				return err
			}
		}
		next = p.NextLink
	}
	return nil
}

// Step is one read of a $batch; Answer its body or error.
type (
	Step   = step
	Answer = answer
)

// Batch sends the reads as $batch requests (20 at most each), the SDK's
// missing retry of throttled steps included.
func (r *Reader) Batch(ctx context.Context, steps []Step) map[string]Answer {
	paths := make([]string, len(steps))
	for i, s := range steps {
		paths[i] = stepPath(s.URL)
	}
	if err := r.spend(ctx, paths...); err != nil {
		out := map[string]Answer{}
		for _, s := range steps {
			out[s.ID] = Answer{Err: err}
		}
		return out
	}
	return r.raw.batch(ctx, steps)
}

// Items decodes a collection answer, following its next links.
func (r *Reader) Items(ctx context.Context, body json.RawMessage) ([]json.RawMessage, error) {
	return r.raw.collection(ctx, body)
}

// AccountReads are the per-account Graph reads a scan needs for the
// sections asked for: the ones no tenant-wide list gives.
func AccountReads(userID string, sections map[string]bool) []Step {
	user := "/users/" + url.PathEscape(userID)
	var steps []Step
	if sections["authMethods"] {
		steps = append(steps, Step{ID: userID + "|authMethods", URL: user + "/authentication/methods"})
	}
	if sections["mailbox.permissions"] {
		steps = append(steps, Step{ID: userID + "|calendar", URL: user + "/calendar/calendarPermissions?$select=emailAddress,role"})
	}
	return steps
}

// AuthMethodFromGraph maps one authentication method.
func AuthMethodFromGraph(raw json.RawMessage) (snapshot.AuthMethod, error) {
	var m graphAuthMethod
	if err := json.Unmarshal(raw, &m); err != nil {
		return snapshot.AuthMethod{}, err
	}
	am := snapshot.AuthMethod{ID: m.ID, Type: methodType(m.ODataType), DisplayName: m.DisplayName, CreatedDateTime: utc(m.CreatedDateTime),
		PhoneNumber: m.PhoneNumber, EmailAddress: m.EmailAddress, IsUsable: m.IsUsable}
	if am.CreatedDateTime == nil {
		am.CreatedDateTime = utc(m.CreationDateTime)
	}
	phoneType, err := enum("authMethods.phoneType", m.PhoneType)
	if err != nil {
		return am, err
	}
	am.PhoneType = phoneType
	return am, nil
}

// CalendarPermissionFromGraph maps one calendar permission; nil for the
// organisation-wide and anonymous defaults, which name no one.
func CalendarPermissionFromGraph(raw json.RawMessage) (*snapshot.Permission, error) {
	var p struct {
		EmailAddress *struct {
			Address *string `json:"address"`
		} `json:"emailAddress"`
		Role *string `json:"role"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	if p.EmailAddress == nil || p.EmailAddress.Address == nil || *p.EmailAddress.Address == "" {
		return nil, nil
	}
	role, err := enum("mailbox.permissions.role", p.Role)
	if err != nil {
		return nil, err
	}
	if role == nil {
		return nil, &ValueError{Field: "mailbox.permissions.role", Value: "(missing)"}
	}
	return &snapshot.Permission{Trustee: *p.EmailAddress.Address, AccessRights: []string{"Calendar:" + *role}}, nil
}

// ServicePrincipalFromGraph maps the app behind a grant onto it.
func ServicePrincipalFromGraph(raw json.RawMessage, g *snapshot.OAuthGrant) error {
	var sp graphServicePrincipal
	if err := json.Unmarshal(raw, &sp); err != nil {
		return err
	}
	g.AppID, g.AppDisplayName, g.PublisherTenantID = sp.AppID, sp.DisplayName, sp.AppOwnerOrganizationID
	g.VerifiedPublisher = nil
	if vp := sp.VerifiedPublisher; vp != nil && vp.DisplayName != nil && *vp.DisplayName != "" {
		g.VerifiedPublisher = vp.DisplayName
	}
	return nil
}

// Get reads one object or page under the service root.
func (r *Reader) Get(ctx context.Context, path string) (json.RawMessage, error) {
	if err := r.spend(ctx, stepPath(path)); err != nil {
		return nil, err
	}
	return r.raw.get(ctx, path)
}

// Count reads a collection's size ("/users/$count"), an advanced query
// Graph answers with eventual consistency: good for a progress estimate.
func (r *Reader) Count(ctx context.Context, path string) (int, error) {
	if err := r.spend(ctx, stepPath(path)); err != nil {
		return 0, err
	}
	body, err := r.raw.send(ctx, abs.GET, path, nil, "ConsistencyLevel", "eventual")
	if err != nil {
		return 0, err
	}
	var n int
	if _, err := fmt.Sscan(strings.TrimSpace(string(body)), &n); err != nil {
		return 0, fmt.Errorf("%s: not a count: %w", path, err)
	}
	return n, nil
}

// Outages is how many outages of Graph the reader waited out, and for how
// long in all.
func (r *Reader) Outages() (int, time.Duration) { return r.raw.svc.Outages() }

// Fatal wraps an error that stops a collection, with what to fix.
func Fatal(what string, err error) error { return fatal(what, err) }

// Describe is a read's HTTP status, Graph error code and message.
func Describe(err error) (int, string, string) { return describe(err) }

// CoverageFor is the coverage entry of a section whose read failed.
func CoverageFor(section string, err error) snapshot.CoverageItem { return coverageFor(section, err) }
