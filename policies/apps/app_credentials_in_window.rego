# METADATA
# title: No secret or certificate added to an application during the compromise window
# description: >-
#   An attacker who holds an account that owns an application, or may manage
#   one, adds a client secret or certificate to it: the application then
#   signs in on its own, with its own permissions, and a password reset or
#   session revocation of the account does not touch it. A credential added
#   during the window to an application or service principal the account
#   owns, or whose credentials the account changed (directory audits), fails
#   until it is removed. The time comes from the directory audit when one
#   names the credential, else from the credential's start time.
# related_resources:
#   - ref: https://learn.microsoft.com/en-us/graph/api/application-removepassword
#     description: "application: removePassword"
#   - ref: https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/manage-application-permissions
#     description: Review permissions granted to enterprise applications
# custom:
#   id: CO-APP-004
#   severity: critical
#   checklist: app-credentials-reviewed
#   requires: [appCredentials]
#   modes: [incident]
#   fails_on_partial_data: true
#   remediation: >-
#     Remove the credential and review what the application did with it:
#     POST https://graph.microsoft.com/v1.0/applications/<object id>/removePassword with {"keyId": "<key id>"}
#     (servicePrincipals/<object id>/removePassword for a service principal; a certificate: PATCH keyCredentials without it,
#     or App registrations, Certificates & secrets). Then read its sign-ins (service principal sign-ins) since the window began,
#     and whether {user:text} should own or manage it at all.
package closeout.apps.app_credentials_in_window

import data.closeout.lib

# added is when the credential was added: the audit's time when one named
# it, else its start time (which whoever adds it may choose).
added(credential) := credential.addedDateTime if lib.has_time(credential, "addedDateTime")

added(credential) := credential.startDateTime if {
	not lib.has_time(credential, "addedDateTime")
	lib.has_time(credential, "startDateTime")
}

deny contains result if {
	some credential in input.appCredentials
	at := added(credential)
	lib.in_window(at)
	result := {
		"msg": sprintf("%s %q (app id %s) has a %s credential %s (key id %s) added %s, during the compromise window; the account %s", [
			kinds[credential.objectType], object.get(credential, "appDisplayName", ""), object.get(credential, "appId", ""),
			credential.type, display(credential), credential.keyId, at, relations[credential.relation],
		]),
		"objectId": credential.objectId,
		"objectType": credential.objectType,
		"keyId": credential.keyId,
		"type": credential.type,
		"added": at,
		"addedBy": object.get(credential, "addedBy", null),
	}
}

kinds := {"application": "application", "servicePrincipal": "service principal"}

relations := {"owner": "owns it", "changedCredentials": "changed its credentials"}

default display(_) := "(unnamed)"

display(credential) := sprintf("%q", [credential.displayName]) if lib.present(credential.displayName)
