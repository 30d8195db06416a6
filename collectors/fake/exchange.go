package fake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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
	if org, ok := s.tenant.ExchangeOrganization[in.CmdletInput.CmdletName]; ok {
		s.cmdletOutput(w, r, params, org)
		return
	}
	identity, _ := params["Identity"].(string)
	if identity == "" {
		identity, _ = params["Mailbox"].(string)
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
