# METADATA
# title: closeout helpers
# description: >-
#   Time, incident-window and address helpers shared by the closeout policies.
#   Every helper is undefined (never false) when its data is missing, so a
#   policy must say explicitly what missing data means.
package closeout.lib

# ns is the Unix time in nanoseconds of an RFC 3339 timestamp.
ns(ts) := time.parse_rfc3339_ns(ts)

# has_time holds when obj[key] is a timestamp string (not null, not missing).
has_time(obj, key) if is_string(obj[key])

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

# present holds for a non-empty string.
present(value) if {
	is_string(value)
	trim_space(value) != ""
}
