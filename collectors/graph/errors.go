package graph

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/closeout-dev/closeout/snapshot"
)

// Permissions lists, per section, the application permission it needs, the
// broader ones that also grant it, and the licence it needs beyond Graph.
var Permissions = []struct {
	Section    string
	Permission string
	AlsoBy     []string
	Licence    string
}{
	{"tenant", "Organization.Read.All", []string{"Directory.Read.All"}, ""},
	{"user", "User.Read.All", []string{"Directory.Read.All"}, ""},
	{"authMethods", "UserAuthenticationMethod.Read.All", nil, ""},
	{"registration", "AuditLog.Read.All", nil, "Entra ID P1"},
	{"roles", "RoleManagement.Read.Directory", nil, ""},
	{"risk", "IdentityRiskyUser.Read.All", nil, "Entra ID P2"},
	{"oauthGrants", "DelegatedPermissionGrant.Read.All", []string{"Directory.Read.All"}, ""},
	{"appRoleAssignments", "Directory.Read.All", nil, ""},
	{"appCredentials", "Application.Read.All", []string{"Directory.Read.All"}, ""},
	{"devices", "Device.Read.All", []string{"Directory.Read.All"}, ""},
	{"mailbox.inboxRules", "MailboxSettings.Read", nil, ""},
	{"mailbox.autoReply", "MailboxSettings.Read", nil, ""},
	{"mailbox.permissions", "Calendars.Read", nil, ""},
	{"signIns", "AuditLog.Read.All", nil, "Entra ID P1"},
	{"audits", "AuditLog.Read.All", nil, ""},
	{"securityDefaults", "Policy.Read.All", nil, ""},
	{"conditionalAccess", "Policy.Read.All", nil, "Entra ID P1"},
	{"authorizationPolicy", "Policy.Read.All", nil, ""},
	{"authenticationMethodsPolicy", "Policy.Read.All", nil, ""},
}

func permissionFor(section string) string {
	for _, p := range Permissions {
		if p.Section == section {
			return p.Permission
		}
	}
	return "a Graph permission"
}

// licenceCodes are the error codes Graph answers when the tenant lacks the
// Entra ID P1/P2 licence a report needs.
var licenceCodes = map[string]bool{
	"Authentication_RequestFromNonPremiumTenantOrB2CTenant": true,
}

// coverageFor turns a section's error into its coverage entry.
func coverageFor(section string, err error) snapshot.CoverageItem {
	status, code, msg := describe(err)
	switch {
	case status == 403 && licenceCodes[code]:
		return snapshot.CoverageItem{Status: snapshot.StatusUnlicensed, Detail: fmt.Sprintf("the tenant has no licence for this report (%s): %s", code, msg)}
	case status == 403:
		return snapshot.CoverageItem{Status: snapshot.StatusForbidden, Detail: fmt.Sprintf("grant the application permission %s (%s: %s)", permissionFor(section), code, msg)}
	case status == 404:
		return snapshot.CoverageItem{Status: snapshot.StatusNotFound, Detail: fmt.Sprintf("%s: %s", code, msg)}
	default:
		return snapshot.CoverageItem{Status: snapshot.StatusError, Detail: oneLine(err)}
	}
}

// describe extracts the HTTP status, Graph error code and message.
func describe(err error) (int, string, string) {
	if err == nil {
		return 0, "", ""
	}
	var refused *graphError
	if errors.As(err, &refused) {
		return refused.Status, refused.Code, refused.Message
	}
	return 0, "", oneLine(err)
}

func oneLine(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// CollectionError is a failure that leaves nothing to evaluate: the account
// or the tenant could not be read at all (authentication, network, access).
type CollectionError struct {
	What string
	Err  error
	Fix  string
}

func (e *CollectionError) Error() string {
	msg := fmt.Sprintf("collecting %s: %s", e.What, oneLine(e.Err))
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	return msg
}

func (e *CollectionError) Unwrap() error { return e.Err }

// fatal wraps an error that stops the collection, with what to fix.
func fatal(what string, err error) error {
	status, code, _ := describe(err)
	fix := ""
	var netErr net.Error
	var credErr *CredentialError
	var reqErr *requestError
	switch {
	case errors.As(err, &credErr):
		fix = "no credential could be had: pass --token (or set CLOSEOUT_TOKEN), set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, or sign in with az login"
	case what == "tenant" && status == 404 && errors.As(err, &reqErr):
		fix = fmt.Sprintf("the Graph endpoint looks wrong: %s %s answered 404; --graph-url takes the service root, such as https://graph.microsoft.com (with or without /v1.0)", reqErr.Method, reqErr.URL)
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		fix = "Graph did not answer in time: check the network path or raise --timeout"
	case status == 401:
		fix = "the credentials were refused (" + code + "): check the token or the app registration's secret or certificate"
	case status == 403:
		fix = "the application lacks " + permissionFor(what) + ": run 'closeout permissions' for the full list"
	case status == 404 && strings.HasPrefix(what, "group"):
		fix = "no such group in this tenant: check the group's object id"
	case status == 404 && what == "users":
		fix = "Graph answered 404 for the tenant's users: check --graph-url"
	case status == 404:
		fix = "no such user in this tenant: check the UPN or object id"
	case status == 0:
		fix = "Graph could not be reached: check --graph-url, --cloud, DNS and proxy settings"
	}
	return &CollectionError{What: what, Err: err, Fix: fix}
}
