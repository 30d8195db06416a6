package graph

import (
	"context"
	"strings"
	"testing"

	"github.com/closeout-dev/closeout/collectors/fake"
	"github.com/closeout-dev/closeout/snapshot"
)

// Ivan owns an application whose new secret starts in the window, and
// added a backdated secret to one he does not own, which only the audit
// dates.
func TestAppCredentials(t *testing.T) {
	srv := startFake(t)
	snap, err := Collect(context.Background(), options(srv, "ivan@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	validate(t, snap)
	if c := snap.Coverage["appCredentials"]; c.Status != snapshot.StatusCollected || !strings.Contains(c.Detail, "directory audits: 1") {
		t.Errorf("coverage = %+v", c)
	}
	byKey := map[string]snapshot.AppCredential{}
	for _, c := range snap.AppCredentials {
		byKey[c.KeyID] = c
	}
	owned := byKey["2b7a3c9e-1d4f-4a6b-8c2d-9e0f1a2b3c4d"]
	if owned.Relation != "owner" || owned.Type != "password" || owned.StartDateTime == nil || owned.AddedDateTime != nil {
		t.Errorf("owned secret = %+v", owned)
	}
	if cert := byKey["0f0e0d0c-0b0a-4908-8706-050403020100"]; cert.Type != "certificate" || cert.Relation != "owner" {
		t.Errorf("owned certificate = %+v", cert)
	}
	added := byKey["99999999-8888-4777-8666-555555555555"]
	if added.Relation != "changedCredentials" || added.AddedDateTime == nil || added.AddedDateTime.Format("2006-01-02T15:04:05Z") != "2026-11-20T10:41:09Z" ||
		added.AddedBy == nil || *added.AddedBy != "ivan@contoso.com" {
		t.Errorf("audited secret = %+v", added)
	}
	if kept := byKey["11111111-2222-4333-8444-555555555555"]; kept.AddedDateTime != nil {
		t.Errorf("the secret the audit says was there before is dated: %+v", kept)
	}
}

// Without the permission the section is forbidden, naming it.
func TestAppCredentialsForbidden(t *testing.T) {
	srv := startFake(t)
	srv.AddFault(fake.Forbidden("appCredentials"))
	snap, err := Collect(context.Background(), options(srv, "ivan@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	if c := snap.Coverage["appCredentials"]; c.Status != snapshot.StatusForbidden || !strings.Contains(c.Detail, "Application.Read.All") {
		t.Errorf("coverage = %+v", c)
	}
}

// An account Identity Protection never flagged has no riskyUser: its risk
// is none, collected; a refused read stays forbidden.
func TestRiskWithoutRecord(t *testing.T) {
	srv := startFake(t)
	snap, err := Collect(context.Background(), options(srv, "judy@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	if c := snap.Coverage["risk"]; c.Status != snapshot.StatusCollected || c.Detail != NoRiskRecordDetail {
		t.Errorf("coverage = %+v", c)
	}
	if snap.Risk == nil || *snap.Risk.RiskState != "none" || *snap.Risk.RiskLevel != "none" {
		t.Errorf("risk = %+v", snap.Risk)
	}
	srv.AddFault(fake.Forbidden("risk"))
	snap, err = Collect(context.Background(), options(srv, "judy@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	if c := snap.Coverage["risk"]; c.Status != snapshot.StatusForbidden {
		t.Errorf("refused: coverage = %+v", c)
	}
}
