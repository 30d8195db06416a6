package closeout.activity.attacker_country_signins_test

import data.closeout.activity.attacker_country_signins
import data.closeout.fixtures

signin(at, ip, country, risk) := {
	"createdDateTime": at,
	"ipAddress": ip,
	"countryOrRegion": country,
	"errorCode": 0,
	"riskLevelDuringSignIn": risk,
}

attack := signin("2026-11-20T08:03:12Z", "203.0.113.7", "RU", "medium")

with_signins(signins) := object.union(fixtures.incident_input, {"signIns": signins})

test_allow_only_home_country_after if {
	count(attacker_country_signins.deny) == 0 with input as with_signins([attack, signin("2026-11-22T08:00:00Z", "198.51.100.20", "NL", "none")])
}

test_deny_attacker_country_from_new_ip if {
	inp := with_signins([attack, signin("2026-11-22T08:00:00Z", "192.0.2.50", "RU", "none")])
	some result in attacker_country_signins.deny with input as inp
	result.ipAddress == "192.0.2.50"
}

test_allow_country_seen_before_window if {
	inp := with_signins([
		signin("2026-11-01T08:00:00Z", "192.0.2.10", "RU", "none"),
		attack,
		signin("2026-11-22T08:00:00Z", "192.0.2.50", "RU", "none"),
	])
	count(attacker_country_signins.deny) == 0 with input as inp
}

test_risky_signin_marks_country if {
	inp := with_signins([
		signin("2026-11-20T09:00:00Z", "192.0.2.77", "BR", "high"),
		signin("2026-11-22T08:00:00Z", "192.0.2.78", "BR", "none"),
	])
	count(attacker_country_signins.deny) == 1 with input as inp
}

test_allow_without_revocation if {
	base := object.union(with_signins([attack, signin("2026-11-22T08:00:00Z", "192.0.2.50", "RU", "none")]), {"user": {"signInSessionsValidFromDateTime": null}})
	count(attacker_country_signins.deny) == 0 with input as base
}

test_deny_attacker_country_without_ip if {
	later := object.remove(signin("2026-11-22T08:00:00Z", "192.0.2.50", "RU", "none"), ["ipAddress"])
	some result in attacker_country_signins.deny with input as with_signins([attack, later])
	result.ipAddress == null
}
