package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/snapshot"
)

// Application credentials: an attacker who holds an account that owns an
// application, or may manage one, adds a client secret or certificate and
// signs in as the application, past any password reset. Round 2 reads the
// applications and service principals the account owns with their
// credentials; the directory audits the account initiated name those whose
// credentials it changed (and which keys it added), which round 3 reads.

const appCredentialSelect = "$select=id,appId,displayName,passwordCredentials,keyCredentials"

// appCredentialsURLs are round 2's reads: what the account owns.
func appCredentialsURLs(user string) []string {
	return []string{
		user + "/ownedObjects/microsoft.graph.application?" + appCredentialSelect,
		user + "/ownedObjects/microsoft.graph.servicePrincipal?" + appCredentialSelect,
	}
}

// credentialChange is a directory audit in which the account changed an
// application's or service principal's credentials.
type credentialChange struct {
	objectID, objectType string
	at                   time.Time
	by                   string
	// added are the key ids the change added, when the audit's
	// KeyDescription could be read; nil when it could not (then every key
	// of the object is attributed to the change).
	added []string
}

var keyIdentifier = regexp.MustCompile(`(?i)KeyIdentifier=([0-9a-f-]{36})`)

// noteCredentialChange remembers an audit, initiated by the account, that
// changed an application's or service principal's credentials.
func (c *collector) noteCredentialChange(a graphAudit) {
	if a.ActivityDateTime == nil || a.InitiatedBy == nil || a.InitiatedBy.User == nil || a.InitiatedBy.User.ID != c.userID {
		return
	}
	for _, t := range a.TargetResources {
		kind := ""
		switch strings.ToLower(t.Type) {
		case "application":
			kind = "application"
		case "serviceprincipal":
			kind = "servicePrincipal"
		}
		if kind == "" || t.ID == "" {
			continue
		}
		for _, p := range t.ModifiedProperties {
			if !strings.EqualFold(p.DisplayName, "KeyDescription") {
				continue
			}
			change := credentialChange{objectID: t.ID, objectType: kind, at: a.ActivityDateTime.UTC(), by: deref(a.InitiatedBy.User.UserPrincipalName)}
			old := map[string]bool{}
			for _, m := range keyIdentifier.FindAllStringSubmatch(deref(p.OldValue), -1) {
				old[strings.ToLower(m[1])] = true
			}
			found := keyIdentifier.FindAllStringSubmatch(deref(p.NewValue), -1)
			if len(found) > 0 {
				change.added = []string{}
				for _, m := range found {
					if id := strings.ToLower(m[1]); !old[id] {
						change.added = append(change.added, id)
					}
				}
			}
			c.credentialChanges = append(c.credentialChanges, change)
		}
	}
}

// appCredentials reads the applications and service principals the
// account owns (round 2).
func (c *collector) appCredentials(ctx context.Context, bodies []json.RawMessage, snap *snapshot.Snapshot) error {
	var out []snapshot.AppCredential
	for i, kind := range []string{"application", "servicePrincipal"} {
		items, err := c.items(ctx, bodies[i])
		if err != nil {
			return err
		}
		for _, raw := range items {
			creds, err := AppCredentialsFromGraph(raw, kind, "owner")
			if err != nil {
				return err
			}
			out = append(out, creds...)
		}
	}
	if out == nil {
		out = []snapshot.AppCredential{}
	}
	snap.AppCredentials = out
	return nil
}

// AppCredentialsFromGraph maps an application or service principal into
// one entry per password and certificate credential it holds.
func AppCredentialsFromGraph(raw json.RawMessage, kind, relation string) ([]snapshot.AppCredential, error) {
	type credential struct {
		KeyID         string     `json:"keyId"`
		DisplayName   *string    `json:"displayName"`
		StartDateTime *time.Time `json:"startDateTime"`
		EndDateTime   *time.Time `json:"endDateTime"`
	}
	var o struct {
		ID          string       `json:"id"`
		AppID       string       `json:"appId"`
		DisplayName string       `json:"displayName"`
		Passwords   []credential `json:"passwordCredentials"`
		Keys        []credential `json:"keyCredentials"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("an application is not JSON Graph would send: %w", err)
	}
	if o.ID == "" {
		return nil, &ValueError{Field: "appCredentials.objectId", Value: "(missing)"}
	}
	var out []snapshot.AppCredential
	for _, set := range []struct {
		kind  string
		creds []credential
	}{{"password", o.Passwords}, {"certificate", o.Keys}} {
		for _, cr := range set.creds {
			if cr.KeyID == "" {
				return nil, &ValueError{Field: "appCredentials.keyId", Value: "(missing)"}
			}
			out = append(out, snapshot.AppCredential{ObjectID: o.ID, ObjectType: kind, AppID: o.AppID, AppDisplayName: o.DisplayName,
				Relation: relation, KeyID: strings.ToLower(cr.KeyID), Type: set.kind, DisplayName: cr.DisplayName,
				StartDateTime: utc(cr.StartDateTime), EndDateTime: utc(cr.EndDateTime)})
		}
	}
	return out, nil
}

// credentialSteps are round 3's reads: each object whose credentials the
// account changed and does not own (an owned one was read in round 2).
func (c *collector) credentialSteps(snap *snapshot.Snapshot) []step {
	owned := map[string]bool{}
	for _, cr := range snap.AppCredentials {
		owned[cr.ObjectID] = true
	}
	var steps []step
	seen := map[string]bool{}
	for _, ch := range c.credentialChanges {
		if owned[ch.objectID] || seen[ch.objectID] {
			continue
		}
		seen[ch.objectID] = true
		path := "/applications/"
		if ch.objectType == "servicePrincipal" {
			path = "/servicePrincipals/"
		}
		steps = append(steps, step{ID: "credentials:" + ch.objectID, URL: path + url.PathEscape(ch.objectID) + "?" + appCredentialSelect})
	}
	return steps
}

// resolveCredentials adds the objects round 3 read and dates every
// credential a change the account made added.
func (c *collector) resolveCredentials(snap *snapshot.Snapshot, answers map[string]answer) error {
	kinds := map[string]string{}
	for _, ch := range c.credentialChanges {
		kinds[ch.objectID] = ch.objectType
	}
	ids := make([]string, 0, len(kinds))
	for id := range kinds {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a, asked := answers["credentials:"+id]
		if !asked {
			continue // owned: read in round 2
		}
		if a.Err != nil {
			if status, _, _ := describe(a.Err); status == 404 {
				continue // deleted since: its credentials went with it
			}
			return fmt.Errorf("reading the credentials of %s %s: %w", kinds[id], id, a.Err)
		}
		creds, err := AppCredentialsFromGraph(a.Body, kinds[id], "changedCredentials")
		if err != nil {
			return err
		}
		snap.AppCredentials = append(snap.AppCredentials, creds...)
	}
	for i := range snap.AppCredentials {
		cr := &snap.AppCredentials[i]
		for _, ch := range c.credentialChanges {
			if ch.objectID != cr.ObjectID || (ch.added != nil && !contains(ch.added, cr.KeyID)) {
				continue
			}
			if cr.AddedDateTime == nil || ch.at.After(*cr.AddedDateTime) {
				at, by := ch.at, ch.by
				cr.AddedDateTime = &at
				if by != "" {
					cr.AddedBy = &by
				}
			}
		}
	}
	return nil
}
