package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/closeout-dev/closeout/snapshot"
)

// resolve is round 3: it reads, in one $batch, what round 2 named: the
// service principal behind each grant, the tenant-wide grants to apps the
// audits say were consented to, the devices the audits say were
// registered, the applications whose credentials the account changed, and
// the folders inbox rules move mail to.
func (c *collector) resolve(ctx context.Context, snap *snapshot.Snapshot) {
	grantsOK := snap.Coverage["oauthGrants"].Status == snapshot.StatusCollected
	auditsOK := snap.Coverage["audits"].Status == snapshot.StatusCollected
	var steps []step
	var clients []string
	addClient := func(id string) {
		if id != "" && !contains(clients, id) {
			clients = append(clients, id)
		}
	}
	if grantsOK {
		for _, g := range snap.OAuthGrants {
			addClient(g.ClientID)
		}
		if auditsOK {
			for id := range c.consents {
				addClient(id)
				steps = append(steps, step{ID: "admin-grants:" + id, URL: "/oauth2PermissionGrants?$filter=" +
					url.QueryEscape(fmt.Sprintf("clientId eq '%s' and consentType eq 'AllPrincipals'", id)) + "&$select=clientId,consentType,scope"})
			}
		}
		for _, id := range clients {
			steps = append(steps, step{ID: "sp:" + id, URL: "/servicePrincipals/" + url.PathEscape(id) + "?$select=id,appId,displayName,appOwnerOrganizationId,verifiedPublisher"})
		}
	}
	if auditsOK {
		for _, id := range c.deviceIDs {
			steps = append(steps, step{ID: "device:" + id, URL: "/devices/" + url.PathEscape(id) + "?$select=id,displayName,operatingSystem,trustType,registrationDateTime,isCompliant"})
		}
	}
	credentialsOK := snap.Coverage["appCredentials"].Status == snapshot.StatusCollected
	if credentialsOK && auditsOK {
		steps = append(steps, c.credentialSteps(snap)...)
	}
	rulesRead := snap.Mailbox != nil && snap.Coverage["mailbox.inboxRules"].Status != snapshot.StatusError
	if rulesRead {
		for _, id := range c.folders {
			steps = append(steps, step{ID: "folder:" + id, URL: "/users/" + url.PathEscape(c.userID) + "/mailFolders/" + url.PathEscape(id) + "?$select=displayName"})
		}
	}
	answers := c.raw.batch(ctx, steps)

	if grantsOK {
		c.record(snap, "oauthGrants", c.resolveGrants(ctx, snap, clients, answers))
		if auditsOK {
			cov := snap.Coverage["oauthGrants"]
			if cov.Status == snapshot.StatusCollected {
				cov.Detail = fmt.Sprintf("the user's own grants, and tenant-wide grants to the %d apps consented to since %s (directory audits)", len(c.consents), c.since.UTC().Format(time.RFC3339))
				snap.Coverage["oauthGrants"] = cov
			}
		} else {
			snap.Coverage["oauthGrants"] = dependsOn(snap, "audits", "tenant-wide (admin) grants are found through the directory audits")
		}
	}
	if auditsOK {
		c.record(snap, "devices", c.resolveDevices(snap, answers))
		if cov := snap.Coverage["devices"]; cov.Status == snapshot.StatusCollected {
			cov.Detail = fmt.Sprintf("devices registered since %s, found through the directory audits (%d); Graph lets an application list no user's devices, and the tenant's list is the scan's", c.since.UTC().Format(time.RFC3339), len(snap.Devices))
			snap.Coverage["devices"] = cov
		}
	} else {
		snap.Coverage["devices"] = dependsOn(snap, "audits", "devices are found through the directory audits")
	}
	switch {
	case credentialsOK && auditsOK:
		c.record(snap, "appCredentials", c.resolveCredentials(snap, answers))
		if cov := snap.Coverage["appCredentials"]; cov.Status == snapshot.StatusCollected {
			cov.Detail = fmt.Sprintf("applications and service principals the account owns, and those whose credentials it changed since %s (directory audits: %d)",
				c.since.UTC().Format(time.RFC3339), len(c.credentialChanges))
			snap.Coverage["appCredentials"] = cov
		}
	case credentialsOK:
		snap.Coverage["appCredentials"] = dependsOn(snap, "audits", "the applications the account does not own but changed the credentials of are found through the directory audits")
	}
	if rulesRead && len(c.folders) > 0 {
		if err := c.resolveFolders(snap, answers); err != nil {
			snap.Coverage["mailbox.inboxRules"] = coverageFor("mailbox.inboxRules", fmt.Errorf("resolving a rule's target folder: %w", err))
		}
	}
}

// dependsOn is the coverage of a section read through another that was
// not collected: the same status, saying why.
func dependsOn(snap *snapshot.Snapshot, other, why string) snapshot.CoverageItem {
	cov := snap.Coverage[other]
	return snapshot.CoverageItem{Status: cov.Status, Detail: fmt.Sprintf("%s, which are %s: %s", why, cov.Status, cov.Detail)}
}

type graphServicePrincipal struct {
	AppID                  string  `json:"appId"`
	DisplayName            string  `json:"displayName"`
	AppOwnerOrganizationID *string `json:"appOwnerOrganizationId"`
	VerifiedPublisher      *struct {
		DisplayName *string `json:"displayName"`
	} `json:"verifiedPublisher"`
}

func (c *collector) resolveGrants(ctx context.Context, snap *snapshot.Snapshot, clients []string, answers map[string]answer) error {
	for id := range c.consents {
		a := answers["admin-grants:"+id]
		if a.Err != nil {
			return fmt.Errorf("reading the tenant-wide grants of %s: %w", id, a.Err)
		}
		if err := c.oauthGrants(ctx, []json.RawMessage{a.Body}, snap); err != nil {
			return err
		}
	}
	sps := map[string]json.RawMessage{}
	for _, id := range clients {
		a := answers["sp:"+id]
		if a.Err != nil {
			if status, _, _ := describe(a.Err); status == 404 && !holdsGrant(snap, id) {
				continue // an app consented to in the window, since deleted
			}
			return fmt.Errorf("resolving client %s: %w", id, a.Err)
		}
		sps[id] = a.Body
	}
	for i := range snap.OAuthGrants {
		g := &snap.OAuthGrants[i]
		if raw, ok := sps[g.ClientID]; ok {
			if err := ServicePrincipalFromGraph(raw, g); err != nil {
				return err
			}
		}
		if at, ok := c.consents[g.ClientID]; ok {
			g.GrantedDateTime = &at
		}
	}
	return nil
}

func holdsGrant(snap *snapshot.Snapshot, clientID string) bool {
	for _, g := range snap.OAuthGrants {
		if g.ClientID == clientID {
			return true
		}
	}
	return false
}

// DeviceFromGraph maps one Graph device into the snapshot's device.
func DeviceFromGraph(raw []byte) (snapshot.Device, error) {
	var d struct {
		ID                   string     `json:"id"`
		DisplayName          string     `json:"displayName"`
		OperatingSystem      string     `json:"operatingSystem"`
		TrustType            *string    `json:"trustType"`
		RegistrationDateTime *time.Time `json:"registrationDateTime"`
		IsCompliant          *bool      `json:"isCompliant"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return snapshot.Device{}, err
	}
	return snapshot.Device{ID: d.ID, DisplayName: d.DisplayName, OperatingSystem: d.OperatingSystem, TrustType: d.TrustType,
		RegistrationDateTime: utc(d.RegistrationDateTime), IsCompliant: d.IsCompliant}, nil
}

func (c *collector) resolveDevices(snap *snapshot.Snapshot, answers map[string]answer) error {
	for _, id := range c.deviceIDs {
		a := answers["device:"+id]
		if a.Err != nil {
			if status, _, _ := describe(a.Err); status == 404 {
				continue // registered in the window and deleted since: nothing left to remove
			}
			return fmt.Errorf("reading device %s: %w", id, a.Err)
		}
		d, err := DeviceFromGraph(a.Body)
		if err != nil {
			return err
		}
		snap.Devices = append(snap.Devices, d)
	}
	return nil
}

func (c *collector) resolveFolders(snap *snapshot.Snapshot, answers map[string]answer) error {
	names := map[string]string{}
	for _, id := range c.folders {
		a := answers["folder:"+id]
		if a.Err != nil {
			return a.Err
		}
		var f struct {
			DisplayName string `json:"displayName"`
		}
		if err := json.Unmarshal(a.Body, &f); err != nil {
			return err
		}
		names[id] = f.DisplayName
	}
	for i := range snap.Mailbox.InboxRules {
		if m := snap.Mailbox.InboxRules[i].Actions.MoveToFolder; m != nil {
			if name, ok := names[*m]; ok {
				snap.Mailbox.InboxRules[i].Actions.MoveToFolder = &name
			}
		}
	}
	return nil
}
