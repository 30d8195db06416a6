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

# internal_domain holds for a tenant domain or any subdomain of one.
internal_domain(domain) if {
	some tenant_domain in input.tenant.domains
	domain == lower(tenant_domain)
}

internal_domain(domain) if {
	some tenant_domain in input.tenant.domains
	endswith(domain, concat("", [".", lower(tenant_domain)]))
}

# external_address holds for an address whose domain is outside the tenant.
external_address(addr) if not internal_domain(address_domain(addr))

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
