package fake

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Fault makes requests whose path (after /v1.0) matches Path misbehave.
type Fault struct {
	Path       string        // regular expression over the request path
	Status     int           // answer with this status and a Graph error (0: answer normally)
	Code       string        // the Graph error code
	Message    string        // the Graph error message
	RetryAfter int           // Retry-After seconds, with Status 429 or 503
	Times      int           // misbehave this many times, then answer normally (0: always)
	Latency    time.Duration // wait before answering
	Truncate   bool          // send half of the real body, then close
	Drop       bool          // close the connection without answering
	Pad        int           // answer normally, with this many bytes of blanks after the JSON
	// Share, when set, makes only that share of the matching requests
	// misbehave (0.05: one in twenty), spread evenly.
	Share float64
	// From and Until, when set, bound when the fault is on: an outage.
	From, Until time.Time
}

type faultState struct {
	Fault
	re   *regexp.Regexp
	used int
	seen int // matching requests, for Share
}

// AddFault switches a fault on.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f, re: regexp.MustCompile(f.Path)})
}

// ClearFaults switches every fault off.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Section paths, for faults aimed at one snapshot section.
var SectionPaths = map[string]string{
	"user":                        `^/users/[^/]+$`,
	"authMethods":                 `/authentication/methods$`,
	"registration":                `^/reports/authenticationMethods/userRegistrationDetails(/|$)`,
	"roles":                       `/transitiveMemberOf/|^/roleManagement/directory/(roleEligibilityScheduleInstances|roleAssignments)$`,
	"risk":                        `^/identityProtection/riskyUsers(/|$)`,
	"oauthGrants":                 `oauth2PermissionGrants$`,
	"appRoleAssignments":          `/appRoleAssignments$`,
	"appCredentials":              `/ownedObjects/|^/(applications|servicePrincipals)/[^/]+$`,
	"devices":                     `^/devices$`,
	"mailbox.inboxRules":          `/messageRules$`,
	"mailbox.autoReply":           `/mailboxSettings$`,
	"mailbox.calendar":            `/calendar/calendarPermissions$`,
	"signIns":                     `^/auditLogs/signIns$`,
	"audits":                      `^/auditLogs/directoryAudits$`,
	"tenant":                      `^/organization$`,
	"securityDefaults":            `^/policies/identitySecurityDefaultsEnforcementPolicy$`,
	"conditionalAccess":           `^/identity/conditionalAccess/policies$`,
	"authorizationPolicy":         `^/policies/authorizationPolicy$`,
	"authenticationMethodsPolicy": `^/policies/authenticationMethodsPolicy$`,
	// Exchange admin API requests, by cmdlet.
	"exchange":                         `^/adminapi/`,
	"exchange.Get-Mailbox":             `^/adminapi/Get-Mailbox$`,
	"exchange.Get-CASMailbox":          `^/adminapi/Get-CASMailbox$`,
	"exchange.Get-InboxRule":           `^/adminapi/Get-InboxRule$`,
	"exchange.Get-MailboxPermission":   `^/adminapi/Get-MailboxPermission$`,
	"exchange.Get-RecipientPermission": `^/adminapi/Get-RecipientPermission$`,
	"exchange.Get-Recipient":           `^/adminapi/Get-Recipient$`,
	"exchange.Get-AcceptedDomain":      `^/adminapi/Get-AcceptedDomain$`,
	"mailbox.restricted":               `^/adminapi/Get-BlockedSenderAddress$`,
	"mailbox.audit":                    `^/adminapi/Get-MailboxAuditBypassAssociation$`,
	"connectors":                       `^/adminapi/Get-(In|Out)boundConnector$`,
}

// Forbidden is the 403 Graph answers when the app lacks a permission.
func Forbidden(section string) Fault {
	return Fault{Path: SectionPaths[section], Status: http.StatusForbidden, Code: "Authorization_RequestDenied",
		Message: "Insufficient privileges to complete the operation."}
}

// Unlicensed is the 403 Graph answers when the tenant lacks Entra ID P1/P2.
func Unlicensed(section string) Fault {
	return Fault{Path: SectionPaths[section], Status: http.StatusForbidden, Code: "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
		Message: "Neither tenant is B2C or tenant doesn't have premium license"}
}

func (s *Server) fault(path string) *faultState {
	return s.findFault(path, func(*faultState) bool { return true })
}

// connectionFault is the first live fault that drops or truncates requests
// to path, counted as used.
func (s *Server) connectionFault(path string) *faultState {
	return s.findFault(path, func(f *faultState) bool { return f.Drop || f.Truncate })
}

func (s *Server) findFault(path string, kind func(*faultState) bool) *faultState {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if !kind(f) || !f.re.MatchString(path) || (f.Times > 0 && f.used >= f.Times) {
			continue
		}
		if now := time.Now(); (!f.From.IsZero() && now.Before(f.From)) || (!f.Until.IsZero() && !now.Before(f.Until)) {
			continue
		}
		if f.Share > 0 {
			f.seen++
			if int(float64(f.seen)*f.Share) == int(float64(f.seen-1)*f.Share) {
				continue
			}
		}
		f.used++
		return f
	}
	return nil
}

// apply misbehaves; it reports whether it answered the request.
func (f *faultState) apply(w http.ResponseWriter, r *http.Request, s *Server) bool {
	if f.Latency > 0 {
		select {
		case <-time.After(f.Latency):
		case <-r.Context().Done():
			return true
		}
	}
	switch {
	case f.Drop:
		if h, ok := w.(http.Hijacker); ok {
			if conn, _, err := h.Hijack(); err == nil {
				conn.Close()
			}
		}
		return true
	case f.Truncate:
		rec := &bufferWriter{header: http.Header{}}
		s.route(rec, r, strings.TrimPrefix(r.URL.Path, "/v1.0"))
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(rec.body)))
		w.WriteHeader(rec.status)
		w.Write(rec.body[:len(rec.body)/2])
		if h, ok := w.(http.Hijacker); ok {
			if conn, _, err := h.Hijack(); err == nil {
				conn.Close()
			}
		}
		return true
	case f.Pad > 0:
		rec := &bufferWriter{header: http.Header{}}
		s.route(rec, r, strings.TrimPrefix(r.URL.Path, "/v1.0"))
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.status)
		w.Write(rec.body)
		blanks := []byte(strings.Repeat(" ", 64<<10))
		for left := f.Pad; left > 0; left -= len(blanks) {
			if _, err := w.Write(blanks[:min(left, len(blanks))]); err != nil {
				break
			}
		}
		return true
	case f.Status != 0:
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
		writeError(w, f.Status, f.Code, f.Message)
		return true
	}
	return false
}

type bufferWriter struct {
	header http.Header
	status int
	body   []byte
}

func (b *bufferWriter) Header() http.Header  { return b.header }
func (b *bufferWriter) WriteHeader(code int) { b.status = code }
func (b *bufferWriter) Write(p []byte) (int, error) {
	b.body = append(b.body, p...)
	return len(p), nil
}

// Throttle is Microsoft's throttling, scaled down for tests: identity and
// access resource units per 10 seconds (user objects and
// oauth2PermissionGrants cost 2, one less with $select, other reads 1; a
// $batch is charged by its steps), Outlook's concurrent requests per
// mailbox, the reports endpoints' requests per 10 seconds and Identity
// Protection's. Zero switches a limit off.
type Throttle struct {
	IdentityUnitsPer10s int
	MailboxConcurrency  int
	ReportsPer10s       int
	// ProtectionPer10s is Identity Protection's own budget of requests,
	// refused with a 429 that carries no Retry-After, as Microsoft's does.
	ProtectionPer10s int
	// ExchangePer10s is the Exchange admin API's budget of cmdlets (its
	// own, apart from Graph's identity units).
	ExchangePer10s int
	// Window is the budget window; 10 s unless set (tests shorten it).
	Window time.Duration
}

type throttleState struct {
	Throttle
	windowStart time.Time
	units       int
	reports     int
	protection  int
	exchange    int
	charged     int // identity units charged since the model was switched on
	inFlight    map[string]int
}

// fakeAppID is the application x-ms-throttle-scope names.
const fakeAppID = "0c1d2e3f-0000-4000-8000-00000000c105"

// IdentityUnitsCharged is what the throttle model has charged to the
// identity budget since it was switched on.
func (s *Server) IdentityUnitsCharged() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.throttle == nil {
		return 0
	}
	return s.throttle.charged
}

// SetThrottle switches the throttle model on (a zero Throttle: off).
func (s *Server) SetThrottle(t Throttle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.Window == 0 {
		t.Window = 10 * time.Second
	}
	s.throttle = &throttleState{Throttle: t, inFlight: map[string]int{}}
}

var reUserObject = regexp.MustCompile(`^/users(/[^/]+)?$`)

var reMailbox = regexp.MustCompile(`^/users/([^/]+)/(mailFolders|mailboxSettings|calendar)`)

// throttled charges a request to the budgets and says whether it must be
// refused, with the Retry-After seconds. An identity read's answer says
// what it cost (x-ms-resource-unit) and, past 80% of the budget, how much
// of it is spent (x-ms-throttle-limit-percentage), as Microsoft's do; a
// refused one says which limit (x-ms-throttle-scope).
func (s *Server) throttled(path string, query url.Values, h http.Header) (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.throttle
	if t == nil || path == "/$batch" {
		return 0, 0 // a $batch is charged by its steps, each on its own
	}
	now := time.Now()
	if now.Sub(t.windowStart) >= t.Window {
		t.windowStart, t.units, t.reports, t.exchange, t.protection = now, 0, 0, 0, 0
	}
	retry := int((t.Window-now.Sub(t.windowStart))/time.Second) + 1
	if m := reMailbox.FindStringSubmatch(path); m != nil {
		if t.MailboxConcurrency > 0 && t.inFlight[m[1]] >= t.MailboxConcurrency {
			return http.StatusTooManyRequests, 1
		}
		t.inFlight[m[1]]++
		return 0, 0
	}
	if strings.HasPrefix(path, "/adminapi/") {
		if t.ExchangePer10s > 0 && t.exchange >= t.ExchangePer10s {
			return http.StatusTooManyRequests, retry
		}
		t.exchange++
		return 0, 0
	}
	if strings.HasPrefix(path, "/identityProtection/") {
		if t.ProtectionPer10s > 0 && t.protection >= t.ProtectionPer10s {
			return http.StatusTooManyRequests, 0
		}
		t.protection++
		return 0, 0
	}
	if strings.HasPrefix(path, "/auditLogs/") || strings.HasPrefix(path, "/reports/") {
		if t.ReportsPer10s > 0 && t.reports >= t.ReportsPer10s {
			return http.StatusTooManyRequests, retry
		}
		t.reports++
		return 0, 0
	}
	cost := 1
	if reUserObject.MatchString(path) || strings.Contains(path, "oauth2PermissionGrants") {
		cost = 2 // user objects and grants; what hangs off a user costs 1
		if query.Get("$select") != "" {
			cost-- // $select takes one off
		}
	}
	if t.IdentityUnitsPer10s > 0 && t.units+cost > t.IdentityUnitsPer10s {
		h.Set("x-ms-throttle-scope", "Tenant_Application/ReadWrite/"+fakeAppID+"/"+s.tenant.TenantID())
		return http.StatusTooManyRequests, retry
	}
	t.units += cost
	t.charged += cost
	h.Set("x-ms-resource-unit", strconv.Itoa(cost))
	if t.IdentityUnitsPer10s > 0 {
		if share := float64(t.units) / float64(t.IdentityUnitsPer10s); share >= 0.8 {
			h.Set("x-ms-throttle-limit-percentage", strconv.FormatFloat(share, 'f', 2, 64))
		}
	}
	return 0, 0
}

// release ends a mailbox request's hold on its concurrency slot.
func (s *Server) release(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.throttle == nil {
		return
	}
	if m := reMailbox.FindStringSubmatch(path); m != nil && s.throttle.inFlight[m[1]] > 0 {
		s.throttle.inFlight[m[1]]--
	}
}

// ParseFaults reads closeout-fake's -faults: a comma-separated list of
// 503=SHARE, reset=SHARE (dropped connections), truncate=SHARE (bodies cut
// short), storm=N (the next N requests answered 429 with Retry-After) and
// outage-graph=AFTER+FOR or outage-exchange=AFTER+FOR (every request to
// the service answered 503, from AFTER after now for FOR: 30s+60s).
func ParseFaults(spec string) ([]Fault, error) {
	var out []Fault
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		kind, value, ok := strings.Cut(part, "=")
		if service, isOutage := strings.CutPrefix(kind, "outage-"); isOutage && ok {
			f, err := Outage(service, value)
			if err != nil {
				return nil, fmt.Errorf("fault %q: %w", part, err)
			}
			out = append(out, f)
			continue
		}
		share, err := strconv.ParseFloat(value, 64)
		if !ok || err != nil || share <= 0 {
			return nil, fmt.Errorf("fault %q: want 503=SHARE, reset=SHARE, truncate=SHARE or storm=N", part)
		}
		switch kind {
		case "503":
			out = append(out, Fault{Path: ".", Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Message: "The service is temporarily unavailable.", Share: share})
		case "reset":
			out = append(out, Fault{Path: ".", Drop: true, Share: share})
		case "truncate":
			out = append(out, Fault{Path: ".", Truncate: true, Share: share})
		case "storm":
			out = append(out, Fault{Path: ".", Status: http.StatusTooManyRequests, Code: "TooManyRequests", Message: "Too many requests.", RetryAfter: 2, Times: int(share)})
		default:
			return nil, fmt.Errorf("fault %q: unknown kind %q", part, kind)
		}
	}
	return out, nil
}

// Outage is a service (graph or exchange) answering every request 503,
// from a while after now (spec AFTER+FOR, such as 30s+60s).
func Outage(service, spec string) (Fault, error) {
	after, length, ok := strings.Cut(spec, "+")
	a, err1 := time.ParseDuration(after)
	l, err2 := time.ParseDuration(length)
	if !ok || err1 != nil || err2 != nil || a < 0 || l <= 0 {
		return Fault{}, fmt.Errorf("want AFTER+FOR, such as 30s+60s")
	}
	path := map[string]string{"graph": `^/[^a]|^/a[^d]`, "exchange": `^/adminapi/`}[service]
	if path == "" {
		return Fault{}, fmt.Errorf("no service %q: graph or exchange", service)
	}
	from := time.Now().Add(a)
	return Fault{Path: path, Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable",
		Message: "The service is temporarily unavailable.", From: from, Until: from.Add(l)}, nil
}
