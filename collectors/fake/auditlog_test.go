package fake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A night's changes are in the unified audit log as the cmdlets an
// administrator would have run, visible to Search-UnifiedAuditLog only
// once the log's delay has passed; a tenant whose log is off records
// nothing.
func TestNightIsInTheAuditLog(t *testing.T) {
	base, err := LoadTenant(filepath.Join("..", "..", "testdata", "tenants", "contoso.json"))
	if err != nil {
		t.Fatal(err)
	}
	tenant := Generate(base, 300, 5)
	clock := time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)
	tenant.Audit.Now = func() time.Time { return clock }
	tenant.Audit.Delay = 90 * time.Minute
	changes := tenant.Night(2)
	want := map[string]string{} // mailbox → operation
	for _, c := range append(changes.Fixed, changes.Introduced...) {
		want[strings.ToLower(c.UPN)] = map[string]string{"CO-MAIL-001": "Set-Mailbox", "CO-PROTO-001": "Set-CASMailbox"}[c.PolicyID]
	}
	window := map[string]any{"StartDate": "2026-12-01T00:00:00Z", "EndDate": "2026-12-02T12:00:00Z", "ResultSize": "5000"}

	clock = clock.Add(30 * time.Minute) // inside the delay: nothing yet
	if got, err := tenant.Audit.search(window); err != nil || len(got) != 0 {
		t.Fatalf("30 minutes after: %d records (%v), want none yet", len(got), err)
	}
	clock = clock.Add(2 * time.Hour)
	s := New(tenant)
	s.Start()
	defer s.Close()
	body, _ := json.Marshal(map[string]any{"CmdletInput": map[string]any{"CmdletName": "Search-UnifiedAuditLog", "Parameters": window}})
	resp, err := http.Post(s.URL()+"/adminapi/beta/"+tenant.TenantID()+"/InvokeCommand", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct{ Value []map[string]any }
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != 200 {
		t.Fatalf("Search-UnifiedAuditLog: %d %v", resp.StatusCode, err)
	}
	got := map[string]string{}
	for _, r := range page.Value {
		var data struct{ Operation, ObjectId string }
		if err := json.Unmarshal([]byte(r["AuditData"].(string)), &data); err != nil {
			t.Fatalf("AuditData is not JSON: %v", err)
		}
		if r["Operations"] != data.Operation || r["RecordType"] != "ExchangeAdmin" {
			t.Errorf("record %v", r)
		}
		got[strings.ToLower(data.ObjectId)] = data.Operation
	}
	if len(got) != len(want) {
		t.Errorf("%d mailboxes in the log, %d changed", len(got), len(want))
	}
	for upn, op := range want {
		if got[upn] != op {
			t.Errorf("%s: %q in the log, want %s", upn, got[upn], op)
		}
	}

	off := Generate(base, 300, 5)
	off.Audit.Off = true
	off.Night(2)
	if recs, _ := off.Audit.search(window); len(recs) != 0 {
		t.Errorf("a tenant with the audit log off recorded %d changes", len(recs))
	}
	so := New(off)
	so.Start()
	defer so.Close()
	body, _ = json.Marshal(map[string]any{"CmdletInput": map[string]any{"CmdletName": "Get-AdminAuditLogConfig", "Parameters": map[string]any{}}})
	resp, err = http.Post(so.URL()+"/adminapi/beta/"+off.TenantID()+"/InvokeCommand", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page.Value = nil
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || len(page.Value) != 1 || page.Value[0]["UnifiedAuditLogIngestionEnabled"] != false {
		t.Errorf("Get-AdminAuditLogConfig of a tenant with the log off: %v (%v)", page.Value, err)
	}
}
