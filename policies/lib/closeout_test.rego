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

# A subdomain the tenant does not accept is not the tenant's: mail to it
# goes wherever its own MX record points.
test_unaccepted_subdomain_is_outside if {
	not lib.internal_domain("mail.contoso.com") with input as fixtures.posture_input
	lib.external_address("x@mail.contoso.com") with input as fixtures.posture_input
}

test_subdomain_of_an_accepted_domain_that_matches_them if {
	inp := with_accepted([{"domainName": "contoso.com", "domainType": "InternalRelay", "matchSubDomains": true}])
	lib.domain_type("mail.contoso.com") == "InternalRelay" with input as inp
}

with_accepted(domains) := object.union(fixtures.posture_input, {"tenant": {"acceptedDomains": domains}})

with_recipients(recipients) := object.union(fixtures.posture_input, {"recipients": recipients})

place(value, inp) := p if {
	p := lib.placement(value).placement with input as inp
}

test_accepted_domains_replace_verified_ones if {
	inp := with_accepted([{"domainName": "contoso.com", "domainType": "Authoritative"}])

	# contoso.onmicrosoft.com is verified, but Exchange does not accept it
	place("a@contoso.onmicrosoft.com", inp) == "outside"
	place("a@contoso.com", inp) == "inside"
}

test_guest_is_outside_whatever_its_domain if {
	place("ben.werner_wingtiptoys.example#EXT#@contoso.onmicrosoft.com", fixtures.posture_input) == "outside"

	# even when Exchange resolved it to something inside
	inp := with_recipients({"ben#EXT#@contoso.com": {"status": "resolved", "recipientTypeDetails": "UserMailbox", "resolvedBy": "Get-Recipient"}})
	place("ben#EXT#@contoso.com", inp) == "outside"
}

eve := `"Eve" [EX:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=0a1b-eve]`

test_unresolved_exchange_recipient_is_unknown if {
	place(eve, fixtures.posture_input) == "unknown"
	place("Eve Contact", fixtures.posture_input) == "unknown"
}

resolved(type, ext) := {eve: object.union(
	{"status": "resolved", "recipientTypeDetails": type, "resolvedBy": "Get-Recipient"},
	{k: v | some k, v in {"externalEmailAddress": ext}; v != null},
)}

test_exchange_recipient_resolved_to_each_type if {
	place(eve, with_recipients(resolved("MailContact", "SMTP:eve@fabrikam.example"))) == "outside"
	place(eve, with_recipients(resolved("MailUser", "SMTP:eve@fabrikam.example"))) == "outside"
	place(eve, with_recipients(resolved("GuestMailUser", "SMTP:eve@fabrikam.example"))) == "outside"
	place(eve, with_recipients(resolved("UserMailbox", null))) == "inside"
	place(eve, with_recipients(resolved("MailUniversalDistributionGroup", null))) == "inside"

	# a mail user whose mail goes to an accepted domain stays inside
	place(eve, with_recipients(resolved("MailUser", "SMTP:eve@contoso.com"))) == "inside"

	# a mail contact with no external address, or a type closeout does not know
	place(eve, with_recipients(resolved("MailContact", null))) == "unknown"
	place(eve, with_recipients(resolved("SomethingNew", null))) == "unknown"
}

test_lookalike_mail_user_in_a_tenant_domain_is_outside if {
	inp := with_recipients({"eve@contoso.com": {
		"status": "resolved", "recipientTypeDetails": "MailUser",
		"externalEmailAddress": "SMTP:eve@evil.example", "resolvedBy": "Get-Recipient",
	}})
	p := lib.placement("eve@contoso.com") with input as inp
	p.placement == "outside"
	contains(p.reason, "eve@evil.example")
}

test_unresolvable_recipient_is_unknown if {
	inp := with_recipients({
		eve: {"status": "notFound", "resolvedBy": "Get-Recipient"},
		"Eve": {"status": "ambiguous", "resolvedBy": "Get-Recipient", "detail": "2 recipients answer to it"},
		"x@contoso.com": {"status": "error", "resolvedBy": "Get-Recipient", "detail": "HTTP 403"},
	})
	place(eve, inp) == "unknown"
	place("Eve", inp) == "unknown"
	place("x@contoso.com", inp) == "unknown"
}

test_address_nobody_holds_by_domain_type if {
	inp := object.union(
		with_accepted([
			{"domainName": "contoso.com", "domainType": "Authoritative"},
			{"domainName": "fabrikam.com", "domainType": "InternalRelay"},
		]),
		{"recipients": {
			"gone@contoso.com": {"status": "notFound", "resolvedBy": "Get-Recipient"},
			"gone@fabrikam.com": {"status": "notFound", "resolvedBy": "Get-Recipient"},
		}},
	)
	place("gone@contoso.com", inp) == "inside"
	place("gone@fabrikam.com", inp) == "outside"

	# not asked: a relay domain's address is unknown
	place("who@fabrikam.com", inp) == "unknown"
}

test_windows_principals_and_orphaned_sids_are_inside if {
	place(`NT AUTHORITY\SELF`, fixtures.posture_input) == "inside"
	place("S-1-5-21-3623811015-3361044348-30300820-1013", fixtures.posture_input) == "inside"
}

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
