package fake

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func start(t *testing.T) *Server {
	t.Helper()
	tenant, err := LoadTenant(filepath.Join("..", "..", "testdata", "tenants", "contoso.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := New(tenant)
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func get(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestPagingSelectAndFilters(t *testing.T) {
	s := start(t)
	next := s.URL() + "/v1.0/devices?$top=1&$select=id,displayName"
	var names []string
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		status, body := get(t, next)
		if status != 200 {
			t.Fatalf("%s: %d", next, status)
		}
		for _, v := range body["value"].([]any) {
			d := v.(map[string]any)
			if _, extra := d["operatingSystem"]; extra {
				t.Errorf("$select ignored: %v", d)
			}
			names = append(names, d["displayName"].(string))
		}
		next, _ = body["@odata.nextLink"].(string)
	}
	if strings.Join(names, ",") != "ALICE-LAPTOP,BOB-LAPTOP,KIOSK-01" {
		t.Errorf("pages gave %v", names)
	}
	status, body := get(t, s.URL()+"/v1.0/auditLogs/signIns?$filter="+
		"userId%20eq%20%27b0b00000-0000-4000-8000-0000000000b0%27%20and%20createdDateTime%20ge%202026-11-21T00:00:00Z")
	if status != 200 || len(body["value"].([]any)) != 1 {
		t.Errorf("sign-in filter: %d %v", status, body)
	}
	status, body = get(t, s.URL()+"/v1.0/auditLogs/signIns?$filter=startswith(userPrincipalName,%27b%27)")
	if status != 400 || !strings.Contains(body["error"].(map[string]any)["message"].(string), "not supported") {
		t.Errorf("an unsupported filter must be refused, not ignored: %d %v", status, body)
	}
}

// $batch takes gzip bodies, as the SDK's default middleware sends them.
func TestBatch(t *testing.T) {
	s := start(t)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	io.WriteString(gz, `{"requests":[{"id":"1","method":"GET","url":"/users/bob@contoso.com?$select=id"},{"id":"2","method":"GET","url":"/users/nobody@contoso.com"}]}`)
	gz.Close()
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/v1.0/$batch", &buf)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Responses []struct {
			ID     string         `json:"id"`
			Status int            `json:"status"`
			Body   map[string]any `json:"body"`
		} `json:"responses"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Responses) != 2 {
		t.Fatalf("batch: %v %+v", err, body)
	}
	if body.Responses[0].Status != 200 || body.Responses[0].Body["id"] != "b0b00000-0000-4000-8000-0000000000b0" || body.Responses[1].Status != 404 {
		t.Errorf("batch responses: %+v", body.Responses)
	}
}

func TestTokenAndFaults(t *testing.T) {
	s := start(t)
	s.Token = "secret"
	if status, body := get(t, s.URL()+"/v1.0/organization"); status != 401 || body["error"].(map[string]any)["code"] != "InvalidAuthenticationToken" {
		t.Errorf("no token: %d %v", status, body)
	}
	s.Token = ""
	s.AddFault(Fault{Path: SectionPaths["tenant"], Status: 503, Code: "ServiceUnavailable", Message: "down", RetryAfter: 7, Times: 1})
	resp, err := http.Get(s.URL() + "/v1.0/organization")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("fault: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if status, _ := get(t, s.URL()+"/v1.0/organization"); status != 200 {
		t.Errorf("fault did not clear after Times: %d", status)
	}
}

// A night's changes are the same for the same tenant and night, fix what
// they say (and the generated tenant's truth follows), and introduce at
// least one new exposure.
func TestNightChangesTheTenant(t *testing.T) {
	base, err := LoadTenant(filepath.Join("..", "..", "testdata", "tenants", "contoso.json"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := Generate(base, 600, 3), Generate(base, 600, 3)
	before := len(a.Truth["CO-MAIL-001"])
	ca, cb := a.Night(2), b.Night(2)
	if fmt.Sprint(ca) != fmt.Sprint(cb) {
		t.Fatal("night 2 of one tenant changed it two ways")
	}
	if len(ca.Fixed) == 0 || len(ca.Introduced) == 0 {
		t.Fatalf("night 2: %d fixed, %d new", len(ca.Fixed), len(ca.Introduced))
	}
	fixedForwarding := 0
	for _, c := range ca.Fixed {
		m := a.mailbox(c.UPN)
		switch c.PolicyID {
		case "CO-MAIL-001":
			fixedForwarding++
			if forwardsOutside(m.Mailbox) || a.Truth["CO-MAIL-001"][c.UPN] {
				t.Errorf("%s still forwards", c.UPN)
			}
		case "CO-PROTO-001":
			if legacyOn(m.CASMailbox) {
				t.Errorf("%s still has IMAP or POP", c.UPN)
			}
		}
	}
	for _, c := range ca.Introduced {
		if !forwardsOutside(a.mailbox(c.UPN).Mailbox) || !a.Truth["CO-MAIL-001"][c.UPN] {
			t.Errorf("%s does not forward", c.UPN)
		}
	}
	if got := len(a.Truth["CO-MAIL-001"]); got != before-fixedForwarding+len(ca.Introduced) {
		t.Errorf("truth has %d forwarding accounts, want %d", got, before-fixedForwarding+len(ca.Introduced))
	}
}
