package fake

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// AuditLog is the tenant's unified audit log as Search-UnifiedAuditLog
// serves it: the admin changes made to mailboxes, each visible only once
// Delay has passed since it happened (Microsoft commits to no delay; an
// Exchange record typically appears 60 to 90 minutes after the event).
// Off stands for a tenant whose audit log ingestion is off: nothing is
// recorded, and the organisation config says so.
type AuditLog struct {
	mu      sync.Mutex
	records []auditRecord
	Delay   time.Duration
	Off     bool
	// Now is the log's clock (time.Now by default).
	Now func() time.Time
}

type auditRecord struct {
	when      time.Time
	operation string
	user      string // who made the change
	object    string // the mailbox changed, as its UPN
	params    map[string]any
}

func (l *AuditLog) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Record writes a change into the log, made now by an administrator: the
// cmdlet, the mailbox and the parameters it was given. Nothing is written
// while the log is off.
func (l *AuditLog) Record(operation, mailbox string, params map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Off {
		return
	}
	l.records = append(l.records, auditRecord{when: l.now().UTC(), operation: operation, user: "admin@" + domainOf(mailbox), object: mailbox, params: params})
}

func domainOf(upn string) string {
	_, d, _ := strings.Cut(upn, "@")
	return d
}

// search answers Search-UnifiedAuditLog: the records made in
// [StartDate, EndDate) that have become visible, oldest first, in the
// shape Exchange returns (AuditData is a JSON string).
func (l *AuditLog) search(params map[string]any) ([]map[string]any, error) {
	start, err := auditTime(params["StartDate"])
	if err != nil {
		return nil, fmt.Errorf("StartDate: %v", err)
	}
	end, err := auditTime(params["EndDate"])
	if err != nil {
		return nil, fmt.Errorf("EndDate: %v", err)
	}
	var ops map[string]bool
	if list, ok := params["Operations"].([]any); ok {
		ops = map[string]bool{}
		for _, o := range list {
			ops[strings.ToLower(fmt.Sprint(o))] = true
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	visibleBefore := l.now().Add(-l.Delay)
	var out []map[string]any
	for i, r := range l.records {
		if r.when.Before(start) || !r.when.Before(end) || r.when.After(visibleBefore) {
			continue
		}
		if ops != nil && !ops[strings.ToLower(r.operation)] {
			continue
		}
		var parameters []map[string]any
		for k, v := range r.params {
			parameters = append(parameters, map[string]any{"Name": k, "Value": fmt.Sprint(v)})
		}
		data, _ := json.Marshal(map[string]any{
			"CreationTime": r.when.Format("2006-01-02T15:04:05"), "Id": fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1),
			"Operation": r.operation, "RecordType": 1, "ResultStatus": "True", "UserId": r.user, "UserType": 2,
			"Workload": "Exchange", "ObjectId": r.object, "Parameters": parameters,
		})
		out = append(out, map[string]any{
			"RecordType": "ExchangeAdmin", "CreationDate": r.when.Format(time.RFC3339), "UserIds": r.user,
			"Operations": r.operation, "AuditData": string(data), "ResultIndex": len(out) + 1, "Identity": fmt.Sprintf("%d", i+1),
		})
	}
	for _, o := range out {
		o["ResultCount"] = len(out)
	}
	return out, nil
}

func auditTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok || s == "" {
		return time.Time{}, fmt.Errorf("required")
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}
