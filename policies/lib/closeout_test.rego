package closeout.lib_test

import data.closeout.fixtures
import data.closeout.lib

test_address_domain_plain if lib.address_domain("Bob@Evil.Example") == "evil.example"

test_address_domain_smtp_prefix if lib.address_domain("SMTP:bob@evil.example") == "evil.example"

test_address_domain_exchange_display_form if {
	lib.address_domain(`"Bob" [SMTP:bob@evil.example]`) == "evil.example"
}

test_address_domain_angle_brackets if lib.address_domain("Bob <bob@evil.example.>") == "evil.example"

test_address_domain_undefined_without_at if not lib.address_domain("Bob Smith")

test_internal_domain_case_insensitive if {
	lib.internal_domain("contoso.onmicrosoft.com") with input as fixtures.posture_input
}

test_internal_subdomain if lib.internal_domain("mail.contoso.com") with input as fixtures.posture_input

test_lookalike_domain_is_external if {
	lib.external_address("x@evilcontoso.com") with input as fixtures.posture_input
}

test_external_address if lib.external_address("smtp:x@evil.example") with input as fixtures.posture_input

test_internal_address_not_external if {
	not lib.external_address("SMTP:alice@Contoso.com") with input as fixtures.posture_input
}

test_remediation_floor_is_detection_when_later if {
	lib.remediation_floor.name == "incident.detectedAt" with input as fixtures.incident_input
	lib.remediation_floor_ns == time.parse_rfc3339_ns("2026-11-21T09:30:00Z") with input as fixtures.incident_input
}

test_remediation_floor_is_window_start_without_detection if {
	inp := object.union(fixtures.incident_input, {"incident": {"detectedAt": null}})
	lib.remediation_floor.name == "incident.windowStart" with input as inp
	lib.remediation_floor_ns == time.parse_rfc3339_ns("2026-11-20T08:00:00Z") with input as inp
}

test_incident_mode if {
	lib.incident_mode with input as fixtures.incident_input
	not lib.incident_mode with input as fixtures.posture_input
}

test_present if {
	lib.present("x")
	not lib.present("  ")
	not lib.present(null)
}
