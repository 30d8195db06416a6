package graph

import (
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Usage is what Graph said of one answer against the identity and access
// budget: the resource units it charged (x-ms-resource-unit), the share
// of the limit spent, sent from 0.8 on (x-ms-throttle-limit-percentage),
// and on a refusal which limit refused it (x-ms-throttle-scope). Zero
// where the header was not sent.
type Usage struct {
	Path          string // the path read, after the service root
	ResourceUnits int
	LimitShare    float64
	Scope         string
}

// usageFrom reads the usage headers, treating them as hostile: a value
// that does not parse, or is out of any sane range, is left out.
func usageFrom(path string, get func(string) string) (Usage, bool) {
	u := Usage{Path: path}
	if n, err := strconv.Atoi(strings.TrimSpace(get("x-ms-resource-unit"))); err == nil && n > 0 && n <= 1000 {
		u.ResourceUnits = n
	}
	if f, err := strconv.ParseFloat(strings.TrimSpace(get("x-ms-throttle-limit-percentage")), 64); err == nil && !math.IsNaN(f) && f > 0 && f <= 10 {
		u.LimitShare = f
	}
	if s := strings.TrimSpace(get("x-ms-throttle-scope")); s != "" {
		u.Scope = s[:min(len(s), 200)]
	}
	return u, u.ResourceUnits > 0 || u.LimitShare > 0 || u.Scope != ""
}

// usageTransport tells on of the usage each answer reports.
type usageTransport struct {
	next http.RoundTripper
	on   func(Usage)
	base string // the service root's path, /v1.0, cut from the paths told
}

func (t usageTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		if u, ok := usageFrom(strings.TrimPrefix(req.URL.Path, t.base), resp.Header.Get); ok {
			t.on(u)
		}
	}
	return resp, err
}
