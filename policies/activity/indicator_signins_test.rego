package closeout.activity.indicator_signins_test

import data.closeout.activity.indicator_signins
import data.closeout.fixtures

signin(at, ip, code) := {"createdDateTime": at, "ipAddress": ip, "countryOrRegion": "RU", "errorCode": code, "clientAppUsed": "IMAP4"}

with_signins(base, signins) := object.union(base, {"signIns": signins})

test_allow_no_indicator_signins if {
	count(indicator_signins.deny) == 0 with input as fixtures.incident_input
}

test_allow_indicator_signin_during_the_attack if {
	inp := with_signins(fixtures.incident_input, [signin("2026-11-20T08:03:12Z", "203.0.113.7", 0)])
	count(indicator_signins.deny) == 0 with input as inp
}

test_deny_indicator_signin_after_revocation if {
	inp := with_signins(fixtures.incident_input, [signin("2026-11-22T23:10:05Z", "203.0.113.7", 0)])
	some result in indicator_signins.deny with input as inp
	result.clientAppUsed == "IMAP4"
}

test_allow_failed_indicator_signin if {
	inp := with_signins(fixtures.incident_input, [signin("2026-11-22T23:10:05Z", "203.0.113.7", 50126)])
	count(indicator_signins.deny) == 0 with input as inp
}

# Never revoked: sign-ins count from detection.
test_deny_after_detection_without_revocation if {
	base := object.union(fixtures.incident_input, {"user": {"signInSessionsValidFromDateTime": null}})
	inp := with_signins(base, [signin("2026-11-21T10:00:00Z", "203.0.113.7", 0)])
	count(indicator_signins.deny) == 1 with input as inp
}
