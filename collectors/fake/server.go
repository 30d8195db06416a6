package fake

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// graphBase is what @odata.context links name, as Graph writes them.
const graphBase = "https://graph.microsoft.com/v1.0"

// Server serves a Tenant over HTTP.
type Server struct {
	tenant *Tenant
	// Token, when set, is the only bearer token accepted.
	Token string
	// PageSize is the page size when a request sets no $top (Graph's
	// default varies by endpoint; 100 is common).
	PageSize int
	// Enums is how Graph answers spell enum values (default: as documented).
	Enums EnumSpelling
	// Latency is added to every request from outside (a $batch counts once,
	// as it does against Microsoft): the network round trip.
	Latency time.Duration

	mu       sync.Mutex
	faults   []*faultState
	requests []Request
	throttle *throttleState

	http *httptest.Server
}

// Request is one request the server answered, for tests.
type Request struct {
	Method        string
	Path          string
	Query         url.Values
	Authorization string
	Status        int
	// InBatch marks a request that was a step of a $batch.
	InBatch bool
	// Params are an Exchange cmdlet's parameters.
	Params map[string]any
}

// batchStepHeader marks the requests batch() replays through ServeHTTP.
const batchStepHeader = "X-Fake-Batch-Step"

// New returns a server for the tenant; call Start or use Handler.
func New(t *Tenant) *Server {
	return &Server{tenant: t, PageSize: 100}
}

// Start serves on a loopback port until Close.
func (s *Server) Start() string {
	s.http = httptest.NewServer(s)
	return s.http.URL
}

// URL is the base URL of a started server.
func (s *Server) URL() string { return s.http.URL }

// Close stops a started server.
func (s *Server) Close() {
	if s.http != nil {
		s.http.Close()
	}
}

// Requests returns the requests answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ServeHTTP answers one Graph request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/v1.0")
	var cmd *cmdletInput
	if strings.HasPrefix(r.URL.Path, "/adminapi/") {
		// Exchange requests are told apart by cmdlet: faults and the
		// request log see /adminapi/<Cmdlet>.
		var err error
		if cmd, err = readCmdlet(r); err != nil {
			writeError(w, http.StatusBadRequest, "BadRequest", err.Error())
			return
		}
		path = "/adminapi/" + cmd.CmdletInput.CmdletName
	}
	inBatch := r.Header.Get(batchStepHeader) != ""
	if s.Latency > 0 && !inBatch {
		select {
		case <-time.After(s.Latency):
		case <-r.Context().Done():
			return
		}
	}
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	defer func() {
		req := Request{Method: r.Method, Path: path, Query: r.URL.Query(), Authorization: r.Header.Get("Authorization"), Status: rec.status, InBatch: inBatch}
		if cmd != nil {
			req.Params = cmd.CmdletInput.Parameters
		}
		s.mu.Lock()
		s.requests = append(s.requests, req)
		s.mu.Unlock()
	}()
	if s.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.Token {
		writeError(rec, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty or invalid.")
		return
	}
	var fault *faultState
	if inBatch {
		// A broken connection cannot happen to one step: batch() broke the
		// whole batch for it already.
		fault = s.findFault(path, func(f *faultState) bool { return !f.Drop && !f.Truncate })
	} else {
		fault = s.fault(path)
	}
	if fault != nil {
		if fault.apply(rec, r, s) {
			return
		}
	}
	status, retry := s.throttled(path, r.URL.Query(), rec.Header())
	if status != 0 {
		if retry > 0 {
			rec.Header().Set("Retry-After", strconv.Itoa(retry))
		}
		writeError(rec, status, "TooManyRequests", "Too many requests.")
		return
	}
	defer s.release(path)
	if cmd != nil {
		s.invokeCommand(rec, r, cmd)
		return
	}
	s.route(rec, r, path)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

// Hijack lets a fault drop the connection.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("connection cannot be hijacked")
	}
	return h.Hijack()
}

var (
	reUser             = regexp.MustCompile(`^/users/([^/]+)$`)
	reUserMethods      = regexp.MustCompile(`^/users/([^/]+)/authentication/methods$`)
	reUserRules        = regexp.MustCompile(`^/users/([^/]+)/mailFolders/inbox/messageRules$`)
	reUserMailbox      = regexp.MustCompile(`^/users/([^/]+)/mailboxSettings$`)
	reUserFolder       = regexp.MustCompile(`^/users/([^/]+)/mailFolders/([^/]+)$`)
	reUserCalendar     = regexp.MustCompile(`^/users/([^/]+)/calendar/calendarPermissions$`)
	reUserAppRoles     = regexp.MustCompile(`^/users/([^/]+)/appRoleAssignments$`)
	reUserGrants       = regexp.MustCompile(`^/users/([^/]+)/oauth2PermissionGrants$`)
	reUserRoles        = regexp.MustCompile(`^/users/([^/]+)/transitiveMemberOf/(microsoft\.)?graph\.directoryRole$`)
	reServicePrin      = regexp.MustCompile(`^/servicePrincipals/([^/]+)$`)
	reRiskyUser        = regexp.MustCompile(`^/identityProtection/riskyUsers/([^/]+)$`)
	reRegistration     = regexp.MustCompile(`^/reports/authenticationMethods/userRegistrationDetails/([^/]+)$`)
	reSignInFilter     = regexp.MustCompile(`^userId eq '([^']+)' and createdDateTime ge (\S+)$`)
	reAuditFilter      = regexp.MustCompile(`^targetResources/any\(t:\s*t/id eq '([^']+)'\) and activityDateTime ge (\S+)$`)
	reAuditByFilter    = regexp.MustCompile(`^initiatedBy/user/id eq '([^']+)' and activityDateTime ge (\S+)$`)
	reAuditSinceFilter = regexp.MustCompile(`^activityDateTime ge (\S+)$`)
	rePrincipalFilter  = regexp.MustCompile(`^principalId eq '([^']+)'$`)
	reConsentFilter    = regexp.MustCompile(`^consentType eq '(\w+)'$`)
	reClientFilter     = regexp.MustCompile(`^clientId eq '([^']+)' and consentType eq '(\w+)'$`)
	reDevice           = regexp.MustCompile(`^/devices/([^/]+)$`)
	reRoleMembers      = regexp.MustCompile(`^/directoryRoles/([^/]+)/members$`)
	reGroupMembers     = regexp.MustCompile(`^/groups/([^/]+)/transitiveMembers/microsoft\.graph\.user$`)
	reOwnedObjects     = regexp.MustCompile(`^/users/([^/]+)/ownedObjects/microsoft\.graph\.(application|servicePrincipal)$`)
	reApplication      = regexp.MustCompile(`^/applications/([^/]+)$`)
	reIDFilter         = regexp.MustCompile(`^id eq '([^']+)'$`)
)

func (s *Server) route(w http.ResponseWriter, r *http.Request, path string) {
	base := graphBase
	if path == "/$batch" && r.Method == http.MethodPost {
		s.batch(w, r)
		return
	}
	if r.Method != http.MethodGet {
		if !strings.HasPrefix(path, "/users") && !strings.HasPrefix(path, "/organization") {
			notFound(w) // no such endpoint (a base URL with a path too many)
			return
		}
		writeError(w, http.StatusMethodNotAllowed, "Request_BadRequest", "This fake tenant is read-only.")
		return
	}
	t := s.tenant
	userFor := func(re *regexp.Regexp) (map[string]any, bool) {
		m := re.FindStringSubmatch(path)
		if m == nil {
			return nil, false
		}
		key, _ := url.PathUnescape(m[1])
		u := t.user(key)
		if u == nil {
			writeError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", key))
			return nil, true
		}
		return u, true
	}
	switch {
	case path == "/policies/identitySecurityDefaultsEnforcementPolicy" && t.SecurityDefaults != nil:
		s.object(w, r, base+"/$metadata#policies/identitySecurityDefaultsEnforcementPolicy/$entity", t.SecurityDefaults)
	case path == "/identity/conditionalAccess/policies":
		s.list(w, r, base+"/$metadata#identity/conditionalAccess/policies", t.ConditionalAccessPolicies)
	case path == "/policies/authorizationPolicy" && t.AuthorizationPolicy != nil:
		s.object(w, r, base+"/$metadata#policies/authorizationPolicy/$entity", t.AuthorizationPolicy)
	case path == "/policies/authenticationMethodsPolicy" && t.AuthenticationMethodsPolicy != nil:
		s.object(w, r, base+"/$metadata#policies/authenticationMethodsPolicy/$entity", t.AuthenticationMethodsPolicy)
	case path == "/organization":
		s.list(w, r, base+"/$metadata#organization", t.Organization)
	// The tenant-wide lists a scan reads once.
	case path == "/users/$count":
		if r.Header.Get("ConsistencyLevel") != "eventual" {
			writeError(w, http.StatusBadRequest, "Request_BadRequest", "$count requires the ConsistencyLevel header set to eventual.")
			return
		}
		n := len(t.Users)
		switch f := r.URL.Query().Get("$filter"); f {
		case "":
		case "userType eq 'Member'":
			n = 0
			for _, u := range t.Users {
				if u["userType"] != "Guest" {
					n++
				}
			}
		default:
			badFilter(w, f)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, n)
	case path == "/users":
		if f := r.URL.Query().Get("$filter"); f != "" {
			badFilter(w, f)
			return
		}
		s.list(w, r, base+"/$metadata#users", t.Users)
	case path == "/reports/authenticationMethods/userRegistrationDetails":
		s.list(w, r, base+"/$metadata#reports/authenticationMethods/userRegistrationDetails", t.RegistrationDetails)
	case path == "/identityProtection/riskyUsers":
		items := t.RiskyUsers
		if f := r.URL.Query().Get("$filter"); f != "" {
			m := reIDFilter.FindStringSubmatch(f)
			if m == nil {
				badFilter(w, f)
				return
			}
			items = nil
			if u := findByID(t.RiskyUsers, m[1]); u != nil {
				items = []map[string]any{u}
			}
		}
		s.list(w, r, base+"/$metadata#identityProtection/riskyUsers", items)
	case reOwnedObjects.MatchString(path):
		m := reOwnedObjects.FindStringSubmatch(path)
		u, _ := userFor(reOwnedObjects)
		if u == nil {
			return
		}
		pool, odataType := t.Applications, "#microsoft.graph.application"
		if m[2] == "servicePrincipal" {
			pool, odataType = t.ServicePrincipals, "#microsoft.graph.servicePrincipal"
		}
		owned := []map[string]any{}
		for _, oid := range t.OwnedObjects[id(u)] {
			if o := findByID(pool, oid); o != nil {
				owned = append(owned, withType(o, odataType))
			}
		}
		s.list(w, r, base+"/$metadata#directoryObjects/microsoft.graph."+m[2], owned)
	case path == "/directoryRoles":
		s.list(w, r, base+"/$metadata#directoryRoles", t.DirectoryRoles)
	case reGroupMembers.MatchString(path):
		group, ok := t.Groups[reGroupMembers.FindStringSubmatch(path)[1]]
		if !ok {
			notFound(w)
			return
		}
		members := []map[string]any{}
		for _, uid := range group {
			members = append(members, map[string]any{"@odata.type": "#microsoft.graph.user", "id": uid})
		}
		s.list(w, r, base+"/$metadata#users", members)
	case reRoleMembers.MatchString(path):
		role := reRoleMembers.FindStringSubmatch(path)[1]
		members := []map[string]any{}
		for _, uid := range t.RoleMembers[role] {
			members = append(members, map[string]any{"@odata.type": "#microsoft.graph.user", "id": uid})
		}
		s.list(w, r, base+"/$metadata#directoryObjects", members)
	case reUser.MatchString(path):
		if u, ok := userFor(reUser); u != nil {
			s.object(w, r, base+"/$metadata#users/$entity", u)
		} else if !ok {
			notFound(w)
		}
	case s.userCollection(w, r, path, userFor):
	case reUserMailbox.MatchString(path):
		if u, _ := userFor(reUserMailbox); u != nil {
			settings := t.resources(id(u)).MailboxSettings
			if settings == nil {
				writeError(w, http.StatusNotFound, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
				return
			}
			s.object(w, r, base+"/$metadata#users('"+id(u)+"')/mailboxSettings", settings)
		}
	case reUserFolder.MatchString(path):
		if u, _ := userFor(reUserFolder); u != nil {
			folder := findByID(t.resources(id(u)).MailFolders, reUserFolder.FindStringSubmatch(path)[2])
			if folder == nil {
				writeError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
				return
			}
			s.object(w, r, base+"/$metadata#users('"+id(u)+"')/mailFolders/$entity", folder)
		}
	case reUserGrants.MatchString(path):
		if u, _ := userFor(reUserGrants); u != nil {
			var grants []map[string]any
			for _, g := range t.OAuth2PermissionGrants {
				if g["principalId"] == id(u) {
					grants = append(grants, g)
				}
			}
			s.list(w, r, base+"/$metadata#oauth2PermissionGrants", grants)
		}
	case reUserRoles.MatchString(path):
		if u, _ := userFor(reUserRoles); u != nil {
			var roles []map[string]any
			for _, role := range t.DirectoryRoles {
				for _, member := range t.RoleMembers[id(role)] {
					if member == id(u) {
						roles = append(roles, withType(role, "#microsoft.graph.directoryRole"))
					}
				}
			}
			s.list(w, r, base+"/$metadata#directoryObjects/microsoft.graph.directoryRole", roles)
		}
	case path == "/roleManagement/directory/roleEligibilityScheduleInstances" || path == "/roleManagement/directory/roleAssignments":
		filter := r.URL.Query().Get("$filter")
		principal := ""
		if m := rePrincipalFilter.FindStringSubmatch(filter); m != nil {
			principal = m[1]
		} else if filter != "" {
			badFilter(w, filter)
			return
		}
		all := t.RoleEligibilities
		if path == "/roleManagement/directory/roleAssignments" {
			all = t.RoleAssignments
		}
		items := []map[string]any{}
		for _, e := range all {
			if principal == "" || e["principalId"] == principal {
				items = append(items, e)
			}
		}
		s.list(w, r, base+"/$metadata#"+strings.TrimPrefix(path, "/"), items)
	case path == "/oauth2PermissionGrants":
		filter := r.URL.Query().Get("$filter")
		client, consent := "", ""
		if m := reConsentFilter.FindStringSubmatch(filter); m != nil {
			consent = m[1]
		} else if m := reClientFilter.FindStringSubmatch(filter); m != nil {
			client, consent = m[1], m[2]
		} else if filter != "" {
			badFilter(w, filter)
			return
		}
		var grants []map[string]any
		for _, g := range t.OAuth2PermissionGrants {
			if (consent == "" || g["consentType"] == consent) && (client == "" || g["clientId"] == client) {
				grants = append(grants, g)
			}
		}
		s.list(w, r, base+"/$metadata#oauth2PermissionGrants", grants)
	case s.entityByID(w, r, path):
	case path == "/devices":
		devices := make([]map[string]any, 0, len(t.Devices))
		expand := r.URL.Query().Get("$expand")
		for _, d := range t.Devices {
			d = copyMap(d)
			if strings.HasPrefix(expand, "registeredOwners") {
				owners := []any{}
				for _, uid := range t.DeviceOwners[id(d)] {
					owners = append(owners, map[string]any{"@odata.type": "#microsoft.graph.user", "id": uid})
				}
				d["registeredOwners"] = owners
			}
			devices = append(devices, d)
		}
		s.list(w, r, base+"/$metadata#devices", devices)
	case path == "/auditLogs/signIns":
		filter := r.URL.Query().Get("$filter")
		m := reSignInFilter.FindStringSubmatch(filter)
		if m == nil {
			badFilter(w, filter)
			return
		}
		s.list(w, r, base+"/$metadata#auditLogs/signIns", since(t.SignIns, "userId", m[1], "createdDateTime", m[2]))
	case path == "/auditLogs/directoryAudits":
		filter := r.URL.Query().Get("$filter")
		var match func(audit map[string]any, id string) bool
		m := reAuditFilter.FindStringSubmatch(filter)
		if m != nil {
			match = auditTargets
		} else if m = reAuditByFilter.FindStringSubmatch(filter); m != nil {
			match = auditInitiatedBy
		} else if m = reAuditSinceFilter.FindStringSubmatch(filter); m != nil {
			m = []string{m[0], "", m[1]} // the whole tenant's, since
			match = func(map[string]any, string) bool { return true }
		} else {
			badFilter(w, filter)
			return
		}
		var audits []map[string]any
		for _, a := range since(t.DirectoryAudits, "", "", "activityDateTime", m[2]) {
			if match(a, m[1]) {
				audits = append(audits, a)
			}
		}
		s.list(w, r, base+"/$metadata#auditLogs/directoryAudits", audits)
	default:
		notFound(w)
	}
}

// userCollection answers the routes that list one of a user's collections;
// it reports whether the path was one of them.
func (s *Server) userCollection(w http.ResponseWriter, r *http.Request, path string, userFor func(*regexp.Regexp) (map[string]any, bool)) bool {
	for _, c := range []struct {
		re      *regexp.Regexp
		context string
		items   func(*UserResources) []map[string]any
	}{
		{reUserMethods, "authentication/methods", func(u *UserResources) []map[string]any { return u.AuthenticationMethods }},
		{reUserRules, "mailFolders('inbox')/messageRules", func(u *UserResources) []map[string]any { return u.MessageRules }},
		{reUserCalendar, "calendar/calendarPermissions", func(u *UserResources) []map[string]any { return u.CalendarPermissions }},
		{reUserAppRoles, "appRoleAssignments", func(u *UserResources) []map[string]any { return u.AppRoleAssignments }},
	} {
		if !c.re.MatchString(path) {
			continue
		}
		if u, _ := userFor(c.re); u != nil {
			s.list(w, r, graphBase+"/$metadata#users('"+id(u)+"')/"+c.context, c.items(s.tenant.resources(id(u))))
		}
		return true
	}
	return false
}

// entityByID answers the routes that read one object by id from a
// tenant-wide collection; it reports whether the path was one of them.
func (s *Server) entityByID(w http.ResponseWriter, r *http.Request, path string) bool {
	t := s.tenant
	for _, e := range []struct {
		re      *regexp.Regexp
		items   []map[string]any
		context string
	}{
		{reServicePrin, t.ServicePrincipals, "servicePrincipals/$entity"},
		{reApplication, t.Applications, "applications/$entity"},
		{reRiskyUser, t.RiskyUsers, "identityProtection/riskyUsers/$entity"},
		{reRegistration, t.RegistrationDetails, "reports/authenticationMethods/userRegistrationDetails/$entity"},
		{reDevice, t.Devices, "devices/$entity"},
	} {
		m := e.re.FindStringSubmatch(path)
		if m == nil {
			continue
		}
		if obj := findByID(e.items, m[1]); obj != nil {
			s.object(w, r, graphBase+"/$metadata#"+e.context, obj)
		} else {
			notFound(w)
		}
		return true
	}
	return false
}

// auditTargets holds for an audit entry about the object id.
func auditTargets(audit map[string]any, id string) bool {
	targets, _ := audit["targetResources"].([]any)
	for _, tr := range targets {
		if trm, ok := tr.(map[string]any); ok && trm["id"] == id {
			return true
		}
	}
	return false
}

// auditInitiatedBy holds for an audit entry the user id initiated.
func auditInitiatedBy(audit map[string]any, id string) bool {
	by, _ := audit["initiatedBy"].(map[string]any)
	user, _ := by["user"].(map[string]any)
	return user != nil && user["id"] == id
}

func id(obj map[string]any) string { v, _ := obj["id"].(string); return v }

func withType(obj map[string]any, odataType string) map[string]any {
	c := copyMap(obj)
	c["@odata.type"] = odataType
	return c
}

func copyMap(m map[string]any) map[string]any {
	c := make(map[string]any, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

// since keeps items whose key equals want (when key is set) and whose time
// field is at or after from, newest first as Graph returns sign-ins.
func since(items []map[string]any, key, want, timeField, from string) []map[string]any {
	cutoff, err := time.Parse(time.RFC3339, from)
	if err != nil {
		return nil
	}
	var out []map[string]any
	for _, it := range items {
		if key != "" && it[key] != want {
			continue
		}
		ts, err := time.Parse(time.RFC3339, fmt.Sprint(it[timeField]))
		if err != nil || ts.Before(cutoff) {
			continue
		}
		out = append(out, it)
	}
	sort.SliceStable(out, func(i, j int) bool { return fmt.Sprint(out[i][timeField]) > fmt.Sprint(out[j][timeField]) })
	return out
}

// list answers one page of a collection, with @odata.nextLink to the next.
func (s *Server) list(w http.ResponseWriter, r *http.Request, context string, items []map[string]any) {
	q := r.URL.Query()
	size := s.PageSize
	if top, err := strconv.Atoi(q.Get("$top")); err == nil && top > 0 {
		size = top
	}
	skip, _ := strconv.Atoi(q.Get("$skiptoken"))
	end := min(skip+size, len(items))
	page := []any{}
	fields := selected(q)
	for _, it := range items[min(skip, len(items)):end] {
		page = append(page, project(it, fields))
	}
	body := map[string]any{"@odata.context": context, "value": respell(page, s.Enums)}
	if end < len(items) {
		body["@odata.nextLink"] = nextLink(r, end)
	}
	writeJSON(w, http.StatusOK, body)
}

// nextLink is the request's own URL with the skip token of the next page.
func nextLink(r *http.Request, skip int) string {
	next := *r.URL
	q := next.Query()
	q.Set("$skiptoken", strconv.Itoa(skip))
	next.RawQuery = q.Encode()
	next.Scheme, next.Host = "http", r.Host
	return next.String()
}

func (s *Server) object(w http.ResponseWriter, r *http.Request, context string, obj map[string]any) {
	out := respell(project(obj, selected(r.URL.Query())), s.Enums).(map[string]any)
	out["@odata.context"] = context
	writeJSON(w, http.StatusOK, out)
}

// selected lists the properties $select keeps; $expand-ed navigation
// properties are returned whatever $select says, as Graph does.
func selected(q url.Values) []string {
	sel := q.Get("$select")
	if sel == "" {
		return nil
	}
	fields := strings.Split(sel, ",")
	for _, e := range strings.Split(q.Get("$expand"), ",") {
		if name, _, _ := strings.Cut(e, "("); name != "" {
			fields = append(fields, name)
		}
	}
	return fields
}

// project keeps the $select-ed properties (and @odata.type and id).
func project(obj map[string]any, fields []string) map[string]any {
	if fields == nil {
		return copyMap(obj)
	}
	out := map[string]any{}
	for _, f := range append(fields, "@odata.type", "id") {
		if v, ok := obj[strings.TrimSpace(f)]; ok {
			out[strings.TrimSpace(f)] = v
		}
	}
	return out
}

// batch answers a JSON $batch request (gzip bodies accepted, as the SDK's
// default middleware sends them) by running each step through the server.
func (s *Server) batch(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			writeError(w, http.StatusBadRequest, "BadRequest", "Invalid gzip body.")
			return
		}
		body = gz
	}
	var req struct {
		Requests []struct {
			ID     string `json:"id"`
			Method string `json:"method"`
			URL    string `json:"url"`
		} `json:"requests"`
	}
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "Invalid batch payload.")
		return
	}
	if len(req.Requests) > 20 {
		writeError(w, http.StatusBadRequest, "BadRequest", "The number of batch requests exceeds 20.")
		return
	}
	// A broken connection cannot happen to one step: it breaks the batch.
	for _, step := range req.Requests {
		path, _, _ := strings.Cut("/"+strings.TrimPrefix(step.URL, "/"), "?")
		if f := s.connectionFault(path); f != nil {
			f.apply(w, r, s)
			return
		}
	}
	var responses []map[string]any
	for _, step := range req.Requests {
		inner := httptest.NewRequest(step.Method, "/v1.0/"+strings.TrimPrefix(step.URL, "/"), nil)
		inner.Host = r.Host
		inner.Header.Set("Authorization", r.Header.Get("Authorization"))
		inner.Header.Set(batchStepHeader, "1")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, inner)
		var stepBody any
		json.Unmarshal(rec.Body.Bytes(), &stepBody)
		headers := map[string]string{"Content-Type": "application/json"}
		for _, h := range []string{"Retry-After", "x-ms-resource-unit", "x-ms-throttle-limit-percentage", "x-ms-throttle-scope"} {
			if v := rec.Header().Get(h); v != "" {
				headers[h] = v
			}
		}
		responses = append(responses, map[string]any{"id": step.ID, "status": rec.Code, "headers": headers, "body": stepBody})
	}
	writeJSON(w, http.StatusOK, map[string]any{"responses": responses})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// writeError answers in Graph's error shape.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code":    code,
		"message": message,
		"innerError": map[string]any{
			"date":              "2026-11-23T10:00:00",
			"request-id":        "00000000-0000-4000-8000-000000000001",
			"client-request-id": "00000000-0000-4000-8000-000000000002",
		},
	}})
}

func notFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "Request_ResourceNotFound", "Resource not found.")
}

func badFilter(w http.ResponseWriter, filter string) {
	writeError(w, http.StatusBadRequest, "Request_UnsupportedQuery", fmt.Sprintf("Invalid filter clause: %q is not supported by the fake tenant.", filter))
}
