# METADATA
# title: A strong MFA method is registered
# description: >-
#   A password alone, or a password with SMS, voice or email codes, is what
#   phishing kits and SIM swaps defeat. The account needs at least one
#   authenticator app, FIDO2 key, Windows Hello for Business, platform
#   credential, hardware or software OATH token, or certificate. A Temporary
#   Access Pass is not a second factor, nor is a QR code with its PIN (a
#   frontline worker's sign-in). A method closeout does not know (a type
#   newer than it) may be a strong one, so with no known strong method
#   beside it the finding is unknown, never a claim that none is there.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/entra/identity/authentication/concept-authentication-methods
#     description: Authentication methods in Microsoft Entra ID
#   - ref: https://learn.microsoft.com/en-us/graph/api/authentication-list-methods
#     description: List authentication methods
# custom:
#   id: CO-MFA-001
#   severity: high
#   checklist: mfa-enforced
#   requires: [authMethods]
#   modes: [incident, posture]
#   remediation: >-
#     Have the user register Microsoft Authenticator or a FIDO2 key at https://aka.ms/mysecurityinfo
#     (issue a Temporary Access Pass to bootstrap: POST https://graph.microsoft.com/v1.0/users/{user:url}/authentication/temporaryAccessPassMethods),
#     then require it with a Conditional Access authentication strength.
package closeout.identity.mfa_enforced

import data.closeout.lib

strong_types := {
	"microsoftAuthenticator", "fido2", "windowsHelloForBusiness", "softwareOath",
	"hardwareOath", "platformCredential", "x509Certificate",
}

weak_types := {"phone", "email"}

methods := {m.type | some m in input.authMethods}

strong := methods & strong_types

weak := methods & weak_types

unknown contains result if {
	count(strong) == 0
	"other" in methods
	result := {
		"msg": "a method of a type closeout does not know is registered, and no strong one it knows: whether MFA is strong cannot be judged",
		"methods": sort(methods),
	}
}

deny contains result if {
	lib.account
	count(strong) == 0
	count(weak) == 0
	not "other" in methods
	result := {
		"msg": "no MFA method is registered: the password alone signs in",
		"methods": sort(methods),
	}
}

deny contains result if {
	count(strong) == 0
	count(weak) > 0
	not "other" in methods
	result := {
		"msg": sprintf("only weak second factors are registered (%s): SMS, voice and email codes are phishable", [concat(", ", sort(weak))]),
		"methods": sort(methods),
	}
}
