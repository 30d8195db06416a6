package closeout.apps.risky_grants_test

import data.closeout.apps.risky_grants
import data.closeout.fixtures

grant(scopes, publisher, tenant) := {
	"clientId": "sp-x",
	"appDisplayName": "Mail Backup Pro",
	"publisherTenantId": tenant,
	"verifiedPublisher": publisher,
	"consentType": "Principal",
	"scopes": scopes,
}

with_grant(g) := object.union(fixtures.posture_input, {"oauthGrants": [g]})

test_allow_microsoft_mail_grant if {
	count(risky_grants.deny) == 0 with input as fixtures.posture_input
	count(risky_grants.warn) == 0 with input as fixtures.posture_input
}

test_deny_unverified_mail_readwrite if {
	inp := with_grant(grant(["Mail.ReadWrite", "offline_access", "User.Read"], null, "0bad"))
	some result in risky_grants.deny with input as inp
	result.scopes == ["Mail.ReadWrite", "offline_access"]
}

test_deny_unverified_full_access_as_user if {
	count(risky_grants.deny) == 1 with input as with_grant(grant(["full_access_as_user"], "", "0bad"))
}

test_deny_unverified_files if {
	count(risky_grants.deny) == 1 with input as with_grant(grant(["Files.Read.All"], null, "0bad"))
}

test_warn_verified_third_party if {
	inp := with_grant(grant(["Mail.Read"], "Contoso Tools Ltd", "1good"))
	count(risky_grants.deny) == 0 with input as inp
	some result in risky_grants.warn with input as inp
	contains(result.msg, "Contoso Tools Ltd")
}

test_allow_offline_access_alone if {
	count(risky_grants.deny) == 0 with input as with_grant(grant(["offline_access", "User.Read", "openid"], null, "0bad"))
}
