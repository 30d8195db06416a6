package reports

import "strings"

// Snapshot returns a redacted copy of a snapshot or tenant document (its
// decoded JSON), for a policy corpus that can live in git: addresses,
// domains, IP addresses, phone numbers and the account's name are
// replaced, each value by the same pseudonym wherever it appears in the
// run, so that what the policies judge stays as it was (an address in an
// accepted domain is still inside; a sign-in from the indicator IP still
// is one). Times, types, scopes and identifiers are kept: they say
// nothing of a person and the verdicts depend on them.
func (r *Redactor) Snapshot(doc map[string]any) map[string]any {
	if user, ok := doc["user"].(map[string]any); ok {
		if name, ok := user["displayName"].(string); ok {
			r.learn(name)
		}
	}
	if tenant, ok := doc["tenant"].(map[string]any); ok {
		r.learnDomain(tenant["defaultDomain"])
		if list, ok := tenant["domains"].([]any); ok {
			for _, d := range list {
				r.learnDomain(d)
			}
		}
		if list, ok := tenant["acceptedDomains"].([]any); ok {
			for _, d := range list {
				if m, ok := d.(map[string]any); ok {
					r.learnDomain(m["domainName"])
				}
			}
		}
	}
	r.studyAddresses(doc)
	r.studyPeople("", doc)
	fixed := r.fixed
	r.fixed = true
	out := r.value("", doc).(map[string]any)
	r.fixed = fixed
	// What Exchange resolved is keyed by the value the snapshot names.
	if rec, ok := out["recipients"].(map[string]any); ok {
		keyed := make(map[string]any, len(rec))
		for k, v := range rec {
			keyed[r.String(k)] = v
		}
		out["recipients"] = keyed
	}
	if tenant, ok := out["tenant"].(map[string]any); ok {
		if id, ok := tenant["id"].(string); ok && id != "" {
			tenant["id"] = "tenant-" + r.token("tenant", id)
		}
	}
	return out
}

func (r *Redactor) learnDomain(v any) {
	if d, ok := v.(string); ok && strings.Contains(d, ".") {
		r.domains[strings.ToLower(d)] = true
	}
}

// studyAddresses learns the domain of every address the document holds,
// without learning names (a role or an app's name is not a person's).
func (r *Redactor) studyAddresses(v any) {
	switch x := v.(type) {
	case string:
		for _, addr := range emailPattern.FindAllString(x, -1) {
			r.domains[strings.ToLower(addr[strings.LastIndexByte(addr, '@')+1:])] = true
		}
	case map[string]any:
		for k, val := range x {
			r.studyAddresses(k)
			r.studyAddresses(val)
		}
	case []any:
		for _, val := range x {
			r.studyAddresses(val)
		}
	}
}

// wellKnownPrincipals are names Exchange gives to no person; the policies
// judge them (a calendar shared with Default or Anonymous).
var wellKnownPrincipals = map[string]bool{"default": true, "anonymous": true, "self": true, "owner": true}

// studyPeople learns the names of people a document holds: who a
// mailbox grant or delegation names, who initiated an audited change.
func (r *Redactor) studyPeople(key string, v any) {
	switch x := v.(type) {
	case string:
		// An address is redacted as one; a name is learned.
		if (key == "trustee" || key == "initiatedBy" || key == "user") && !strings.Contains(x, "@") && !wellKnownPrincipals[strings.ToLower(x)] &&
			!strings.Contains(strings.ToUpper(x), `NT AUTHORITY\`) && !strings.HasPrefix(x, "S-1-") {
			r.learn(x)
		}
	case map[string]any:
		for k, val := range x {
			r.studyPeople(k, val)
		}
	case []any:
		for _, val := range x {
			r.studyPeople(key, val)
		}
	}
}
