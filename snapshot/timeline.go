package snapshot

import (
	"fmt"

	"github.com/closeout-dev/closeout/results"
	"sort"
	"strings"
	"time"
)

// Timeline is what happened in an incident snapshot's window, oldest first:
// sign-ins from new places, security info registered, rules created, grants
// given, devices registered, then the responder's revocation, password
// reset and attestations. Posture snapshots have none.
func (s *Snapshot) Timeline() []results.Event {
	inc := s.Incident
	if inc == nil {
		return nil
	}
	var events []results.Event
	add := func(at *time.Time, checklist, format string, args ...any) {
		if at == nil || at.IsZero() || at.Before(inc.WindowStart) {
			return
		}
		events = append(events, results.Event{At: at.UTC(), What: fmt.Sprintf(format, args...), Checklist: checklist})
	}
	seen := map[string]bool{}
	for i := len(s.SignIns) - 1; i >= 0; i-- { // Graph lists newest first
		si := s.SignIns[i]
		place := strings.Trim(si.CountryOrRegion+" "+si.IPAddress, " ")
		if si.ErrorCode != 0 || seen[place] {
			continue
		}
		seen[place] = true
		at := si.CreatedDateTime
		add(&at, "attacker-access-ended", "first successful sign-in from %s (%s, %s)", place, si.AppDisplayName, si.ClientAppUsed)
	}
	for _, m := range s.AuthMethods {
		if m.Type != "password" {
			add(m.CreatedDateTime, "mfa-methods-cleaned", "%s method registered", m.Type)
		}
	}
	for _, a := range s.Audits {
		at := a.ActivityDateTime
		switch {
		case strings.Contains(a.ActivityDisplayName, "security info"):
			add(&at, "mfa-methods-cleaned", "%s (by %s)", a.ActivityDisplayName, a.InitiatedBy)
		case a.ActivityDisplayName == "Consent to application" || a.ActivityDisplayName == "Add delegated permission grant":
			add(&at, "oauth-apps-reviewed", "%s (by %s)", a.ActivityDisplayName, a.InitiatedBy)
		}
	}
	for _, g := range s.OAuthGrants {
		add(g.GrantedDateTime, "oauth-apps-reviewed", "app %q granted %s", g.AppDisplayName, strings.Join(g.Scopes, " "))
	}
	if s.Mailbox != nil {
		for _, r := range s.Mailbox.InboxRules {
			add(r.CreatedDateTime, "malicious-rules-removed", "inbox rule %q created", r.Name)
		}
	}
	for _, d := range s.Devices {
		add(d.RegistrationDateTime, "devices-reviewed", "device %q registered", d.DisplayName)
	}
	add(inc.DetectedAt, "", "compromise detected")
	add(s.User.SignInSessionsValidFromDateTime, "sessions-revoked", "sessions revoked (signInSessionsValidFromDateTime)")
	add(s.User.LastPasswordChangeDateTime, "password-reset", "password changed")
	steps := make([]string, 0, len(inc.Attestations))
	for step := range inc.Attestations {
		steps = append(steps, step)
	}
	sort.Strings(steps)
	for _, step := range steps {
		a := inc.Attestations[step]
		at := a.At
		add(&at, attestationChecklist[step], "%s attested by %s", step, a.By)
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].At.Before(events[j].At) })
	return events
}

// attestationChecklist maps each attested human step to its checklist item.
var attestationChecklist = map[string]string{
	"userNotified":        "user-notified",
	"rootCauseIdentified": "root-cause-identified",
	"incidentDocumented":  "incident-documented",
	"activityReviewed":    "activity-reviewed",
	"devicesScanned":      "devices-reviewed",
}
