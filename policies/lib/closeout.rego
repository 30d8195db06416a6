# METADATA
# title: closeout helpers
# description: >-
#   Time, incident-window and address helpers shared by the closeout policies.
#   Every helper is undefined (never false) when its data is missing, so a
#   policy must say explicitly what missing data means.
package closeout.lib

# ns is the Unix time in nanoseconds of an RFC 3339 timestamp.
ns(ts) := time.parse_rfc3339_ns(ts)

# user is the snapshot's user, or an empty object when there is none, so
# that `not has_time(user, k)` holds when the user is missing too.
user := object.get(input, "user", {})

# has_time holds when obj[key] is a timestamp string (not null, not missing).
has_time(obj, key) if is_string(obj[key])

# account holds for an account snapshot (not a tenant document); policies
# that deny on an absence check it, so conftest, which runs every namespace
# on every file, does not judge a tenant document as an account.
account if input.schemaVersion == "closeout.snapshot/v1"

# incident_mode holds for snapshots taken for an incident.
incident_mode if is_object(input.incident)

window_start_ns := ns(input.incident.windowStart)

# remediation_floor_ns is the instant after which remediation counts: the
# later of the window start and, when recorded, the detection time. An
# attacker who changes the password inside the window also moves the
# session-revocation time; only actions after detection are the responder's.
remediation_floor_ns := max(floors)

floors contains window_start_ns

floors contains ns(input.incident.detectedAt) if has_time(input.incident, "detectedAt")

# remediation_floor names the timestamp behind remediation_floor_ns.
default remediation_floor := {"name": "incident.windowStart"}

remediation_floor := {"name": "incident.detectedAt"} if {
	has_time(input.incident, "detectedAt")
	ns(input.incident.detectedAt) > window_start_ns
}

remediation_floor_text := input.incident[trim_prefix(remediation_floor.name, "incident.")]

# revoked_ns is when sessions were last revoked, when that is recorded.
revoked_ns := ns(input.user.signInSessionsValidFromDateTime) if has_time(input.user, "signInSessionsValidFromDateTime")

# remediated_ns is the session revocation that ended the compromise: one at
# or after the remediation floor. An earlier one (the attacker's own password
# change moves it too) does not count.
remediated_ns := revoked_ns if revoked_ns >= remediation_floor_ns

# window_end_ns closes the compromise window at that revocation, if there was
# one: changes made after it were made by someone holding the new credentials.
default window_end_ns := 9223372036854775807

window_end_ns := remediated_ns

# in_window holds for a timestamp inside the compromise window.
in_window(ts) if {
	t := ns(ts)
	t >= window_start_ns
	t < window_end_ns
}

# attested holds when a human step was attested by someone, at a time.
attested(step) if {
	present(input.incident.attestations[step].by)
	is_string(input.incident.attestations[step].at)
}

# address_domain is the lower-cased domain of an address as Graph or Exchange
# write it: "bob@x.com", "SMTP:bob@x.com", "\"Bob\" [SMTP:bob@x.com]",
# "Bob <bob@x.com>". Undefined when the value holds no address.
address_domain(addr) := lower(trim_right(matches[count(matches) - 1][1], ".")) if {
	matches := regex.find_all_string_submatch_n(`@([A-Za-z0-9][A-Za-z0-9.-]*)`, addr, -1)
	count(matches) > 0
}

# accepted maps each domain the tenant accepts mail for (lower-cased) to its
# Exchange domain type: Get-AcceptedDomain's list, or Graph's verified
# domains (as Authoritative) when Exchange's was not read.
accepted[lower(d.domainName)] := d if {
	count(object.get(input.tenant, "acceptedDomains", [])) > 0
	some d in input.tenant.acceptedDomains
}

accepted[lower(name)] := {"domainName": name, "domainType": "Authoritative"} if {
	count(object.get(input.tenant, "acceptedDomains", [])) == 0
	some name in input.tenant.domains
}

# domain_type is the domain type of an accepted domain ("Authoritative",
# "InternalRelay", "ExternalRelay"), the domain itself or a parent that
# matches its subdomains; undefined for a domain the tenant does not
# accept. A subdomain of an accepted domain is not accepted unless the
# domain says so: mail to it goes wherever its own MX points.
domain_type(domain) := accepted[domain].domainType

domain_type(domain) := min(parents) if {
	not accepted[domain]
	parents := {d.domainType |
		some name, d in accepted
		d.matchSubDomains == true
		endswith(domain, concat("", [".", name]))
	}
	count(parents) > 0
}

# internal_domain holds for a domain the tenant accepts mail for.
internal_domain(domain) if domain_type(domain)

# external_address holds for a recipient outside the organisation (see
# placement).
external_address(value) if placement(value).placement == "outside"

# inside_types are Exchange recipient types whose mail stays in the
# organisation: mailboxes (a Remote* mailbox is the organisation's own,
# on-premises), groups, room lists and public folders.
inside_types := {
	"UserMailbox", "SharedMailbox", "RoomMailbox", "EquipmentMailbox", "SchedulingMailbox", "LinkedMailbox",
	"TeamMailbox", "GroupMailbox", "DiscoveryMailbox", "RemoteUserMailbox", "RemoteSharedMailbox",
	"RemoteRoomMailbox", "RemoteEquipmentMailbox", "MailUniversalDistributionGroup",
	"MailUniversalSecurityGroup", "MailNonUniversalGroup", "DynamicDistributionGroup", "RoomList",
	"PublicFolder",
}

# forwarding_types deliver to their ExternalEmailAddress, wherever it is.
forwarding_types := {"MailContact", "MailUser", "MailForestContact"}

# guest_form holds for a guest's user principal name (…#EXT#@tenant).
guest_form(value) if contains(upper(value), "#EXT#@")

# orphan_sid holds for a security identifier Exchange shows in place of a
# trustee it can no longer resolve (the account was deleted).
orphan_sid(value) if regex.match(`^S-1-5-21(-[0-9]+)+$`, value)

# builtin_principal holds for Windows' own principals (NT AUTHORITY\SELF).
builtin_principal(value) if startswith(upper(value), `NT AUTHORITY\`)

# placement says whether a recipient, trustee or delegate, as the snapshot
# writes it, is inside the organisation (mail to it is delivered inside
# the tenant), outside it, or unknown, with the reason (which does not
# repeat the value). One function for every policy: a guest is outside
# whatever its domain; a recipient Exchange resolved is judged by its type
# (a mail contact or mail user by where its mail goes); an address Exchange
# did not resolve by its domain; a name that is neither (an [EX:…] legacy
# DN, a display name) is unknown.
placement(value) := outside("a guest account (#EXT#)") if {
	guest_form(value)
} else := resolved_placement(value, input.recipients[value]) if {
	is_object(input.recipients[value])
} else := domain_placement(address_domain(value), "") if {
	address_domain(value)
} else := inside("a built-in Windows principal") if {
	builtin_principal(value)
} else := inside("the security identifier of a deleted account: nobody holds it") if {
	orphan_sid(value)
} else := unknown_placement("no address to judge, and Exchange has not resolved it to a recipient")

inside(reason) := {"placement": "inside", "reason": reason}

outside(reason) := {"placement": "outside", "reason": reason}

unknown_placement(reason) := {"placement": "unknown", "reason": reason}

# resolved_placement judges a recipient by what Exchange said it is.
resolved_placement(value, r) := p if {
	r.status == "resolved"
	p := typed_placement(r)
} else := domain_placement(address_domain(value), "; Exchange holds no such recipient") if {
	r.status == "notFound"
	address_domain(value)
} else := inside("the security identifier of a deleted account: nobody holds it") if {
	r.status == "notFound"
	orphan_sid(value)
} else := unknown_placement(sprintf("Exchange could not resolve it (%s%s)", [r.status, detail_note(r)]))

detail_note(r) := concat("", [": ", r.detail]) if present(r.detail)

default detail_note(_) := ""

typed_placement(r) := outside("a guest (GuestMailUser)") if {
	r.recipientTypeDetails == "GuestMailUser"
} else := domain_placement(
	address_domain(r.externalEmailAddress),
	sprintf("; it is a %s whose mail goes to %s", [r.recipientTypeDetails, r.externalEmailAddress]),
) if {
	r.recipientTypeDetails in forwarding_types
	address_domain(r.externalEmailAddress)
} else := unknown_placement(sprintf("a %s whose external address Exchange did not give", [r.recipientTypeDetails])) if {
	r.recipientTypeDetails in forwarding_types
} else := inside(sprintf("a %s of the tenant", [r.recipientTypeDetails])) if {
	r.recipientTypeDetails in inside_types
} else := unknown_placement(sprintf("a recipient of type %v, which closeout does not know", [object.get(r, "recipientTypeDetails", null)]))

# domain_placement judges an address by its domain: one the tenant does not
# accept is outside; in an Authoritative domain mail stays inside (or is
# refused); in a relay domain an address the tenant does not hold is relayed
# out, so it is outside once Exchange said it holds none (note is set when
# Exchange answered), else unknown.
domain_placement(domain, note) := outside(sprintf("%s is not a domain the tenant accepts%s", [domain, note])) if {
	not domain_type(domain)
} else := inside(sprintf("%s is a domain of the tenant%s", [domain, note])) if {
	domain_type(domain) == "Authoritative"
} else := outside(sprintf("%s is a relay domain: mail to an address the tenant does not hold is relayed outside%s", [domain, note])) if {
	note != ""
} else := unknown_placement(sprintf("%s is a relay domain (%s) and Exchange has not said whether the tenant holds the address", [domain, domain_type(domain)]))

# system_rule holds for the inbox rules Exchange itself keeps (hidden, and
# moving junk to Junk Email), which are neither hidden nor cover-up rules.
system_rule(rule) if lower(object.get(rule, "name", "")) in {"junk e-mail rule", "junk email rule"}

# present holds for a non-empty string.
present(value) if {
	is_string(value)
	trim_space(value) != ""
}

# unattested is the manual finding for a human step nobody has attested.
unattested(step) := {result |
	not attested(step)
	result := {
		"msg": sprintf("not attested: record who did it and when in incident.attestations.%s", [step]),
		"attestation": step,
	}
}

# misdated is the failure for an attestation dated before the compromise
# began, which cannot be about this incident.
misdated(step) := {result |
	attested(step)
	at := input.incident.attestations[step].at
	ns(at) < window_start_ns
	result := {
		"msg": sprintf("attestation %s is dated %s, before the compromise began %s", [step, at, input.incident.windowStart]),
		"attestation": step,
		"at": at,
	}
}
