package fake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// cmdletInput is the body of an Exchange admin API InvokeCommand request.
type cmdletInput struct {
	CmdletInput struct {
		CmdletName string         `json:"CmdletName"`
		Parameters map[string]any `json:"Parameters"`
	} `json:"CmdletInput"`
}

func readCmdlet(r *http.Request) (*cmdletInput, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var in cmdletInput
	if err := json.Unmarshal(body, &in); err != nil || in.CmdletInput.CmdletName == "" {
		return nil, fmt.Errorf("the request body is not a CmdletInput")
	}
	return &in, nil
}

// invokeCommand answers POST /adminapi/beta/{tenant}/InvokeCommand with the
// cmdlet's output as Exchange returns it: PascalCase properties, SMTP:
// prefixes, null where Exchange writes null.
func (s *Server) invokeCommand(w http.ResponseWriter, r *http.Request, in *cmdletInput) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 4 || parts[1] != "beta" || parts[3] != "InvokeCommand" || parts[2] != s.tenant.TenantID() {
		notFound(w)
		return
	}
	params := in.CmdletInput.Parameters
	name := in.CmdletInput.CmdletName
	if org, ok := s.tenant.ExchangeOrganization[name]; ok {
		if name == "Get-AdminAuditLogConfig" && s.tenant.Audit.Off {
			org = auditLogOff(org)
		}
		s.cmdletOutput(w, r, params, org)
		return
	}
	switch name {
	case "Get-AcceptedDomain":
		s.cmdletOutput(w, r, params, s.tenant.acceptedDomains())
		return
	case "Get-InboundConnector", "Get-OutboundConnector":
		s.cmdletOutput(w, r, params, nil) // none, unless the fixture has some
		return
	case "Get-Recipient":
		out, err := s.tenant.getRecipient(params)
		if err != nil {
			writeError(w, http.StatusBadRequest, "BadRequest", err.Error())
			return
		}
		s.cmdletOutput(w, r, params, out)
		return
	case "Get-BlockedSenderAddress":
		sender, _ := params["SenderAddress"].(string)
		var out []map[string]any
		for _, b := range s.tenant.BlockedSenders {
			if sender == "" || strings.EqualFold(fmt.Sprint(b["SenderAddress"]), sender) {
				out = append(out, b)
			}
		}
		s.cmdletOutput(w, r, params, out)
		return
	case "Get-MailboxAuditBypassAssociation":
		s.auditBypass(w, r, params)
		return
	case "Search-UnifiedAuditLog":
		out, err := s.tenant.Audit.search(params)
		if err != nil {
			writeError(w, http.StatusBadRequest, "BadRequest", "Search-UnifiedAuditLog: "+err.Error())
			return
		}
		s.cmdletOutput(w, r, params, out)
		return
	}
	identity, _ := params["Identity"].(string)
	if identity == "" {
		identity, _ = params["Mailbox"].(string)
	}
	if identity == "" && name == "Get-RecipientPermission" {
		// Every SendAs grant of the tenant, as a scan reads them, in pages.
		s.tenant.index()
		var out []map[string]any
		for _, upn := range s.tenant.upns {
			out = append(out, s.tenant.Exchange[upn].RecipientPermissions...)
		}
		s.cmdletOutput(w, r, params, out)
		return
	}
	if identity == "" && (in.CmdletInput.CmdletName == "Get-Mailbox" || in.CmdletInput.CmdletName == "Get-CASMailbox") {
		// Every mailbox of the tenant, as a scan reads them, in pages.
		s.tenant.index()
		out := make([]map[string]any, 0, len(s.tenant.upns))
		for _, upn := range s.tenant.upns {
			mb := s.tenant.Exchange[upn]
			if in.CmdletInput.CmdletName == "Get-Mailbox" {
				out = append(out, mb.Mailbox)
			} else {
				out = append(out, mb.CASMailbox)
			}
		}
		s.cmdletOutput(w, r, params, out)
		return
	}
	mb := s.tenant.mailbox(identity)
	if mb == nil {
		writeError(w, http.StatusNotFound, "ManagementObjectNotFoundException",
			fmt.Sprintf("The operation couldn't be performed because object '%s' couldn't be found on 'AM0PR01A001DC01.EURPRD01.PROD.OUTLOOK.COM'.", identity))
		return
	}
	var out []map[string]any
	switch in.CmdletInput.CmdletName {
	case "Get-Mailbox":
		out = []map[string]any{mb.Mailbox}
	case "Get-CASMailbox":
		out = []map[string]any{mb.CASMailbox}
	case "Get-InboxRule":
		includeHidden, _ := params["IncludeHidden"].(bool)
		for _, rule := range mb.InboxRules {
			if hidden, _ := rule["Hidden"].(bool); hidden && !includeHidden {
				continue
			}
			c := copyMap(rule)
			delete(c, "Hidden")
			out = append(out, c)
		}
	case "Get-MailboxPermission":
		out = mb.MailboxPermissions
	case "Get-RecipientPermission":
		out = mb.RecipientPermissions
	default:
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("The fake tenant does not run %s.", in.CmdletInput.CmdletName))
		return
	}
	s.cmdletOutput(w, r, params, out)
}

// cmdletOutput answers with a cmdlet's output, a page at a time.
func (s *Server) cmdletOutput(w http.ResponseWriter, r *http.Request, params map[string]any, out []map[string]any) {
	// ResultSize Unlimited returns everything at once; otherwise pages.
	size := s.PageSize
	if n, err := strconv.Atoi(strings.TrimPrefix(r.Header.Get("Prefer"), "odata.maxpagesize=")); err == nil && n > 0 && s.PageSize >= 100 {
		size = n // as Exchange does; a test that shrinks PageSize keeps it
	}
	if rs, _ := params["ResultSize"].(string); strings.EqualFold(rs, "Unlimited") {
		size = len(out) + 1
	}
	skip, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
	end := min(skip+size, len(out))
	page := make([]any, 0, end-min(skip, end))
	for _, it := range out[min(skip, end):end] {
		page = append(page, it)
	}
	body := map[string]any{
		"@odata.context":     fmt.Sprintf("https://outlook.office365.com/adminapi/beta/%s/$metadata#Collection(Exchange.GenericHashTable)", s.tenant.TenantID()),
		"@adminapi.warnings": []string{},
		"value":              page,
	}
	if end < len(out) {
		body["@odata.nextLink"] = nextLink(r, end)
	}
	writeJSON(w, http.StatusOK, body)
}

// acceptedDomains is Get-AcceptedDomain's output: the fixture's, else the
// organisation's verified domains, each Authoritative.
func (t *Tenant) acceptedDomains() []map[string]any {
	var out []map[string]any
	domains, _ := t.Organization[0]["verifiedDomains"].([]any)
	for _, d := range domains {
		dm, _ := d.(map[string]any)
		name, _ := dm["name"].(string)
		out = append(out, map[string]any{"Name": name, "DomainName": name, "DomainType": "Authoritative",
			"Default": dm["isDefault"], "MatchSubDomains": false})
	}
	return out
}

// auditBypass answers Get-MailboxAuditBypassAssociation: one mailbox's
// association by -Identity, or every account's.
func (s *Server) auditBypass(w http.ResponseWriter, r *http.Request, params map[string]any) {
	row := func(mb *ExchangeMailbox) map[string]any {
		return map[string]any{"Name": mb.Mailbox["Name"], "Identity": mb.Mailbox["Identity"], "Guid": mb.Mailbox["Guid"],
			"DistinguishedName": mb.Mailbox["DistinguishedName"], "AuditBypassEnabled": mb.AuditBypassEnabled}
	}
	s.tenant.index()
	if identity, _ := params["Identity"].(string); identity != "" {
		mb := s.tenant.mailbox(identity)
		if mb == nil {
			writeError(w, http.StatusNotFound, "ManagementObjectNotFoundException", fmt.Sprintf("The operation couldn't be performed because object '%s' couldn't be found.", identity))
			return
		}
		s.cmdletOutput(w, r, params, []map[string]any{row(mb)})
		return
	}
	out := make([]map[string]any, 0, len(s.tenant.upns))
	for _, upn := range s.tenant.upns {
		out = append(out, row(s.tenant.Exchange[upn]))
	}
	s.cmdletOutput(w, r, params, out)
}

// recipientRow is a mailbox as Get-Recipient writes it.
func recipientRow(m map[string]any) map[string]any {
	out := map[string]any{"RecipientType": "UserMailbox", "ExternalEmailAddress": nil}
	for _, k := range []string{"Name", "DisplayName", "Alias", "RecipientTypeDetails", "PrimarySmtpAddress", "EmailAddresses",
		"LegacyExchangeDN", "WindowsLiveID", "ExternalDirectoryObjectId", "Identity", "Guid"} {
		out[k] = m[k]
	}
	return out
}

// filterTerm is one `(Field -eq 'value')` of an OPATH filter.
var filterTerm = regexp.MustCompile(`^\(\s*(\w+)\s+-eq\s+'((?:[^']|'')*)'\s*\)$`)

// getRecipient answers Get-Recipient: every recipient, filtered by
// -Identity, -RecipientTypeDetails or an OPATH -Filter of `-eq` terms
// joined by -or (the only form closeout sends).
func (t *Tenant) getRecipient(params map[string]any) ([]map[string]any, error) {
	all, byKey := t.recipients()
	type term struct{ field, value string }
	var terms []term
	if f, _ := params["Filter"].(string); f != "" {
		for _, part := range strings.Split(f, " -or ") {
			m := filterTerm.FindStringSubmatch(strings.TrimSpace(part))
			if m == nil {
				return nil, fmt.Errorf("Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": \"Invalid filter syntax at %q.\"", part)
			}
			terms = append(terms, term{m[1], strings.ReplaceAll(m[2], "''", "'")})
		}
	}
	identity, _ := params["Identity"].(string)
	types := map[string]bool{}
	for _, v := range anyList(params["RecipientTypeDetails"]) {
		types[strings.ToLower(fmt.Sprint(v))] = true
	}
	// The recipients an identity or filter can match, from the index (a
	// tenant of 100,000 mailboxes answers at once), in their order.
	candidates := all
	indexed := true
	for _, tm := range terms {
		indexed = indexed && (tm.field == "EmailAddresses" || slices.Contains(identityFields, tm.field))
	}
	if indexed && (identity != "" || len(terms) > 0) {
		var at []int
		if identity != "" {
			at = append(at, byKey[recipientKey("", identity)]...)
		}
		for _, tm := range terms {
			at = append(at, byKey[recipientKey(tm.field, tm.value)]...)
		}
		slices.Sort(at)
		at = slices.Compact(at)
		candidates = make([]map[string]any, len(at))
		for i, n := range at {
			candidates[i] = all[n]
		}
	}
	var out []map[string]any
	for _, rec := range candidates {
		if len(types) > 0 && !types[strings.ToLower(fmt.Sprint(rec["RecipientTypeDetails"]))] {
			continue
		}
		if identity != "" && !answersTo(rec, "", identity) {
			continue
		}
		if len(terms) > 0 {
			hit := false
			for _, tm := range terms {
				hit = hit || answersTo(rec, tm.field, tm.value)
			}
			if !hit {
				continue
			}
		}
		out = append(out, rec)
	}
	return out, nil
}

// identityFields are the fields a recipient answers to by -Identity.
var identityFields = []string{"Name", "DisplayName", "Alias", "PrimarySmtpAddress", "LegacyExchangeDN", "WindowsLiveID", "Identity", "Guid", "ExternalDirectoryObjectId"}

func recipientKey(field, value string) string { return field + "\x00" + strings.ToLower(value) }

// recipients are every recipient Get-Recipient knows (mailboxes, then the
// others), with an index from field and value (or "" and any identity) to
// their positions, built once.
func (t *Tenant) recipients() ([]map[string]any, map[string][]int) {
	t.index()
	t.recipientsOnce.Do(func() {
		all := make([]map[string]any, 0, len(t.upns)+len(t.Recipients))
		for _, upn := range t.upns {
			all = append(all, recipientRow(t.Exchange[upn].Mailbox))
		}
		all = append(all, t.Recipients...)
		byKey := map[string][]int{}
		add := func(k string, i int) {
			if n := byKey[k]; len(n) == 0 || n[len(n)-1] != i {
				byKey[k] = append(n, i)
			}
		}
		for i, rec := range all {
			for _, f := range identityFields {
				if v, ok := rec[f].(string); ok && v != "" {
					add(recipientKey(f, v), i)
					add(recipientKey("", v), i)
				}
			}
			for _, proxy := range anyList(rec["EmailAddresses"]) {
				add(recipientKey("EmailAddresses", fmt.Sprint(proxy)), i)
			}
		}
		t.allRecipients, t.recipientIndex = all, byKey
	})
	return t.allRecipients, t.recipientIndex
}

// answersTo says whether a recipient has value in field (case-insensitive;
// EmailAddresses holds prefixed proxies), or, with no field, in any of
// its identities.
func answersTo(rec map[string]any, field, value string) bool {
	fields := []string{field}
	if field == "" {
		fields = identityFields
	}
	for _, f := range fields {
		if f == "EmailAddresses" {
			for _, proxy := range anyList(rec[f]) {
				if strings.EqualFold(fmt.Sprint(proxy), value) {
					return true
				}
			}
			continue
		}
		if v, ok := rec[f].(string); ok && strings.EqualFold(v, value) {
			return true
		}
	}
	return false
}

func anyList(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case string:
		return []any{x}
	}
	return nil
}

// auditLogOff is the organisation's audit configuration with unified
// audit log ingestion off.
func auditLogOff(rows []map[string]any) []map[string]any {
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		c := make(map[string]any, len(r))
		for k, v := range r {
			c[k] = v
		}
		c["UnifiedAuditLogIngestionEnabled"] = false
		out[i] = c
	}
	return out
}
