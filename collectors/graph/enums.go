package graph

import (
	"fmt"
	"strings"
)

// Graph's enums, as the documentation and msgraph-sdk-go v1.89 list them.
// The SDK's parsers match these exact strings and return nil, without an
// error, for anything else ("AtRisk" in a documented example, a value
// added after the SDK was generated): a nil that would then read as
// "nothing wrong". closeout reads every enum itself, from the JSON
// Microsoft sent: case-insensitively to the canonical spelling, and a value
// it does not know fails its section, naming the field and the value.
// unknownFutureValue is Graph's placeholder for "a value newer than you
// asked for": it is not understood either.
var enumValues = map[string][]string{
	"risk.riskState":                     {"none", "confirmedSafe", "remediated", "dismissed", "atRisk", "confirmedCompromised"},
	"risk.riskLevel":                     {"low", "medium", "high", "hidden", "none"},
	"risk.riskDetail":                    {"none", "adminGeneratedTemporaryPassword", "userPerformedSecuredPasswordChange", "userPerformedSecuredPasswordReset", "adminConfirmedSigninSafe", "aiConfirmedSigninSafe", "userPassedMFADrivenByRiskBasedPolicy", "adminDismissedAllRiskForUser", "adminConfirmedSigninCompromised", "hidden", "adminConfirmedUserCompromised", "m365DAdminDismissedDetection", "adminConfirmedServicePrincipalCompromised", "adminDismissedAllRiskForServicePrincipal", "userChangedPasswordOnPremises", "adminDismissedRiskForSignIn", "adminConfirmedAccountSafe"},
	"signIns.riskLevelDuringSignIn":      {"low", "medium", "high", "hidden", "none"},
	"mailbox.autoReply.status":           {"disabled", "alwaysEnabled", "scheduled"},
	"mailbox.autoReply.externalAudience": {"none", "contactsOnly", "all"},
	"mailbox.permissions.role":           {"none", "freeBusyRead", "limitedRead", "read", "write", "delegateWithoutPrivateEventAccess", "delegateWithPrivateEventAccess", "custom"},
	"authMethods.phoneType":              {"mobile", "alternateMobile", "office"},
	"registration.defaultMethod":         {"push", "oath", "voiceMobile", "voiceAlternateMobile", "voiceOffice", "sms", "none"},
	"audits.result":                      {"success", "failure", "timeout"},
	"oauthGrants.consentType":            {"AllPrincipals", "Principal"},
	"conditionalAccess.state":            {"enabled", "disabled", "enabledForReportingButNotEnforced"},
	"conditionalAccess.clientAppTypes":   {"all", "browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "easSupported", "other"},
	"conditionalAccess.builtInControls":  {"block", "mfa", "compliantDevice", "domainJoinedDevice", "approvedApplication", "compliantApplication", "passwordChange"},
	"authenticationMethodsPolicy.state":  {"enabled", "disabled"},
}

// ValueError is a value Microsoft sent that closeout does not understand.
// Its section is recorded as error, naming the field and the value: a
// value that was not understood is never read as a safe default.
type ValueError struct {
	Field string
	Value string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("%s %q is not a value this closeout knows (%s); the section cannot be judged", e.Field, e.Value, strings.Join(enumValues[e.Field], ", "))
}

// enum reads one enum value: nil for an absent or null value, the
// canonical spelling for a known one in any case, a *ValueError otherwise.
func enum(field string, raw *string) (*string, error) {
	if raw == nil {
		return nil, nil
	}
	known, ok := enumValues[field]
	if !ok {
		panic("graph: no enum values for " + field)
	}
	for _, k := range known {
		if strings.EqualFold(k, *raw) {
			return &k, nil
		}
	}
	return nil, &ValueError{Field: field, Value: *raw}
}

// enums reads a list of enum values; one not understood fails it.
func enums(field string, raw []string) ([]string, error) {
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		v, err := enum(field, &r)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}
