// Command gencorpus writes a corpus of N account snapshots for benchmarks and
// memory measurements, cycling through template snapshots and giving each
// account its own user principal name and id: JSON Lines on stdout, or with
// -dir one JSON file per account (for tools that read only whole files).
//
//	go run ./tools/gencorpus -n 100000 testdata/snapshots/*.json > corpus.jsonl
//	go run ./tools/gencorpus -n 1000 -dir out/corpus testdata/snapshots/*.json
//
// With -sections it writes instead each template once as it is and once
// for each section it collected, with that section forbidden and its data
// gone: the policy-diff corpus in testdata/corpus, where every policy
// meets pass, fail and unknown (make corpus).
//
//	go run ./tools/gencorpus -sections -dir testdata/corpus testdata/snapshots/*.json
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() {
	n := flag.Int("n", 1000, "number of snapshots to write")
	dir := flag.String("dir", "", "write one file per snapshot into this directory instead of JSON Lines on stdout")
	sections := flag.Bool("sections", false, "write each template and one variant per collected section with that section forbidden (ignores -n)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: gencorpus -n N TEMPLATE.json...")
		os.Exit(2)
	}
	var templates []map[string]any
	var names []string
	for _, path := range flag.Args() {
		raw, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gencorpus:", err)
			os.Exit(1)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			fmt.Fprintf(os.Stderr, "gencorpus: %s: %v\n", path, err)
			os.Exit(1)
		}
		templates = append(templates, doc)
		names = append(names, strings.TrimSuffix(filepath.Base(path), ".json"))
	}
	if *dir != "" {
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "gencorpus:", err)
			os.Exit(1)
		}
	}
	if *sections {
		writeSections(templates, names, *dir)
		return
	}
	w := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(w)
	for i := range *n {
		doc := templates[i%len(templates)]
		user := doc["user"].(map[string]any)
		user["userPrincipalName"] = fmt.Sprintf("user%06d@contoso.com", i)
		user["id"] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		if *dir != "" {
			raw, _ := json.Marshal(doc)
			if err := os.WriteFile(filepath.Join(*dir, fmt.Sprintf("account-%06d.json", i)), raw, 0o600); err != nil {
				fmt.Fprintln(os.Stderr, "gencorpus:", err)
				os.Exit(1)
			}
			continue
		}
		if err := enc.Encode(doc); err != nil {
			fmt.Fprintln(os.Stderr, "gencorpus:", err)
			os.Exit(1)
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
}

// writeSections writes each template and, for each section its coverage
// says was collected, a copy with that section forbidden and its data
// removed, named TEMPLATE--SECTION.json.
func writeSections(templates []map[string]any, names []string, dir string) {
	if dir == "" {
		fmt.Fprintln(os.Stderr, "gencorpus: -sections needs -dir")
		os.Exit(2)
	}
	write := func(name string, doc map[string]any) {
		raw, err := json.MarshalIndent(doc, "", "  ")
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name+".json"), append(raw, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gencorpus:", err)
			os.Exit(1)
		}
	}
	for i, doc := range templates {
		write(names[i], doc)
		coverage, _ := doc["coverage"].(map[string]any)
		keys := make([]string, 0, len(coverage))
		for k := range coverage {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, section := range keys {
			if c, _ := coverage[section].(map[string]any); c["status"] != "collected" || section == "user" {
				continue
			}
			variant := clone(doc)
			variant["coverage"].(map[string]any)[section] = map[string]any{
				"status": "forbidden", "detail": "gencorpus: " + section + " made forbidden to exercise unknown"}
			// mailbox.forwarding is mailbox.forwarding in the document.
			parent, key := variant, section
			if before, after, ok := strings.Cut(section, "."); ok {
				parent, _ = variant[before].(map[string]any)
				key = after
			}
			delete(parent, key)
			write(names[i]+"--"+strings.ReplaceAll(section, ".", "-"), variant)
		}
		for name, mutate := range incidentVariants {
			if variant := clone(doc); mutate(variant) {
				write(names[i]+"--"+name, variant)
			}
		}
	}
}

// incidentVariants are what an incident snapshot could also have been:
// each mutates a copy and says whether it applied. Together with the
// scenarios they bring every policy to pass, fail (or warn, for a policy
// that only warns) and unknown; TestCorpusCoverage in policies holds the
// corpus to that.
var incidentVariants = map[string]func(doc map[string]any) bool{
	// The compromised account was given a privileged role.
	"privileged-role": func(doc map[string]any) bool {
		roles, ok := doc["roles"].([]any)
		if !ok || doc["incident"] == nil {
			return false
		}
		doc["roles"] = append(roles, map[string]any{"id": "62e90394-69f5-4237-9190-012177145e10",
			"displayName": "Global Administrator", "roleTemplateId": "62e90394-69f5-4237-9190-012177145e10", "privileged": true})
		return true
	},
	// The account was made eligible for a privileged role in PIM during
	// the window: it can activate it at will.
	"eligible-privileged-role": func(doc map[string]any) bool {
		roles, ok := doc["roles"].([]any)
		start, inIncident := windowStart(doc)
		if !ok || !inIncident {
			return false
		}
		doc["roles"] = append(roles, map[string]any{"id": "194ae4cb-b126-40b2-bd5b-6091b380977d", "displayName": "Security Administrator",
			"roleTemplateId": "194ae4cb-b126-40b2-bd5b-6091b380977d", "privileged": true, "assignment": "eligible",
			"startDateTime": stamp(start.Add(90 * time.Minute))})
		return true
	},
	// Every attestation is dated the day before the compromise began.
	"misdated-attestations": func(doc map[string]any) bool {
		attestations, _ := incident(doc)["attestations"].(map[string]any)
		start, ok := windowStart(doc)
		if len(attestations) == 0 || !ok {
			return false
		}
		for _, a := range attestations {
			if a, ok := a.(map[string]any); ok {
				a["at"] = stamp(start.Add(-24 * time.Hour))
			}
		}
		return true
	},
	// The attacker signed in from a country new to the account, and after
	// the sessions were revoked someone signed in from that country again
	// from an address the indicators do not name.
	"attacker-country-after-revoke": func(doc map[string]any) bool {
		signIns, ok := doc["signIns"].([]any)
		start, inIncident := windowStart(doc)
		revoked, err := time.Parse(time.RFC3339, fmt.Sprint(user(doc)["signInSessionsValidFromDateTime"]))
		if !ok || !inIncident || err != nil || revoked.Before(start) {
			return false
		}
		signIn := func(at time.Time, ip, risk string) map[string]any {
			return map[string]any{"createdDateTime": stamp(at), "ipAddress": ip, "countryOrRegion": "KP",
				"city": "Pyongyang", "clientAppUsed": "Browser", "appDisplayName": "OfficeHome", "errorCode": 0,
				"riskLevelDuringSignIn": risk, "isInteractive": true}
		}
		doc["signIns"] = append(signIns, signIn(start.Add(30*time.Minute), "192.0.2.181", "high"),
			signIn(revoked.Add(3*time.Hour), "192.0.2.182", "none"))
		return true
	},
	// An app role was assigned to the account during the window.
	"app-role-in-window": func(doc map[string]any) bool {
		assignments, ok := doc["appRoleAssignments"].([]any)
		start, inIncident := windowStart(doc)
		if !ok || !inIncident {
			return false
		}
		doc["appRoleAssignments"] = append(assignments, map[string]any{"resourceId": "5b0a4f9e-0000-4000-8000-00000000a003",
			"resourceDisplayName": "Contoso Payroll Export", "appRoleId": "00000000-0000-0000-0000-000000000000",
			"createdDateTime": stamp(start.Add(2 * time.Hour))})
		return true
	},
	// An authenticator app was registered during the window.
	"authenticator-in-window": func(doc map[string]any) bool {
		methods, ok := doc["authMethods"].([]any)
		start, inIncident := windowStart(doc)
		if !ok || !inIncident {
			return false
		}
		doc["authMethods"] = append(methods, map[string]any{"id": "6e3f1a7a-0000-4000-8000-00000000c002",
			"type": "microsoftAuthenticator", "displayName": "SM-A145F", "createdDateTime": stamp(start.Add(3 * time.Hour))})
		return true
	},
	// A Temporary Access Pass is still usable.
	"usable-temporary-access-pass": func(doc map[string]any) bool {
		methods, ok := doc["authMethods"].([]any)
		if !ok {
			return false
		}
		doc["authMethods"] = append(methods, map[string]any{"id": "6e3f1a7a-0000-4000-8000-00000000c003",
			"type": "temporaryAccessPass", "createdDateTime": "2026-11-21T10:00:00Z", "isUsable": true})
		return true
	},
	// The directory audit records no security-info registration at all.
	"no-security-info-registered": func(doc map[string]any) bool {
		audits, ok := doc["audits"].([]any)
		if !ok || doc["incident"] == nil {
			return false
		}
		kept := audits[:0:0]
		for _, a := range audits {
			if name := fmt.Sprint(a.(map[string]any)["activityDisplayName"]); !strings.Contains(name, "security info") {
				kept = append(kept, a)
			}
		}
		doc["audits"] = kept
		return len(kept) < len(audits)
	},
	// The attacker added a recovery email address during the window.
	"recovery-email-changed": func(doc map[string]any) bool {
		audits, ok := doc["audits"].([]any)
		start, inIncident := windowStart(doc)
		if !ok || !inIncident {
			return false
		}
		doc["audits"] = append(audits, map[string]any{"activityDateTime": stamp(start.Add(time.Hour)),
			"activityDisplayName": "Update user", "category": "UserManagement", "result": "success",
			"initiatedBy": user(doc)["userPrincipalName"], "targetProperties": []any{map[string]any{
				"name": "OtherMails", "oldValue": "[]", "newValue": `["recovery.7731@example.net"]`}}})
		return true
	},
	// Automatic replies are on for every external sender.
	"external-auto-reply": func(doc map[string]any) bool {
		mailbox, _ := doc["mailbox"].(map[string]any)
		if _, ok := mailbox["autoReply"]; !ok {
			return false
		}
		mailbox["autoReply"] = map[string]any{"status": "alwaysEnabled", "externalAudience": "all"}
		return true
	},
	// The password is set never to expire.
	"password-never-expires": func(doc map[string]any) bool {
		if user(doc) == nil {
			return false
		}
		user(doc)["passwordPolicies"] = "DisablePasswordExpiration"
		return true
	},
	// Sign-in is still blocked.
	"sign-in-blocked": func(doc map[string]any) bool {
		if doc["incident"] == nil {
			return false
		}
		user(doc)["accountEnabled"] = false
		return true
	},
	// Whether sign-in is enabled was not read.
	"enabled-state-unread": func(doc map[string]any) bool {
		if doc["incident"] == nil {
			return false
		}
		user(doc)["accountEnabled"] = nil
		return true
	},
}

func incident(doc map[string]any) map[string]any {
	m, _ := doc["incident"].(map[string]any)
	return m
}

func user(doc map[string]any) map[string]any {
	m, _ := doc["user"].(map[string]any)
	return m
}

// windowStart is when the incident's compromise began; false outside an
// incident.
func windowStart(doc map[string]any) (time.Time, bool) {
	start, err := time.Parse(time.RFC3339, fmt.Sprint(incident(doc)["windowStart"]))
	return start, err == nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func clone(doc map[string]any) map[string]any {
	raw, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(err)
	}
	return out
}
