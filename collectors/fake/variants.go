package fake

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// EnumSpelling says how the fake writes Graph's enum values.
type EnumSpelling string

// The spellings a test can ask for.
const (
	// EnumsAsDocumented writes them as the fixture holds them (lowerCamel).
	EnumsAsDocumented EnumSpelling = ""
	// EnumsPascalCase writes "AtRisk", "Scheduled", "All", as several of
	// Microsoft's documented examples do.
	EnumsPascalCase EnumSpelling = "pascal"
	// EnumsNewer writes values newer than msgraph-sdk-go knows.
	EnumsNewer EnumSpelling = "newer"
)

// ParseEnumSpelling reads a spelling's name ("" or "documented", "pascal", "newer").
func ParseEnumSpelling(s string) (EnumSpelling, bool) {
	switch strings.ToLower(s) {
	case "", "documented":
		return EnumsAsDocumented, true
	case "pascal":
		return EnumsPascalCase, true
	case "newer":
		return EnumsNewer, true
	}
	return "", false
}

// EnumFields are the Graph properties holding enums the collectors read,
// each with a value newer than the SDK knows.
var EnumFields = map[string]string{
	"riskState":             "compromisedPendingReview",
	"riskLevel":             "critical",
	"riskDetail":            "adminConfirmedSigninCompromisedByPartner",
	"riskLevelDuringSignIn": "critical",
	"status":                "scheduledRecurring", // automaticRepliesSetting (a sign-in's status is an object)
	"externalAudience":      "allExceptBlocked",
	"role":                  "delegateWithFullAccess",
	"phoneType":             "satellite",
	"userPreferredMethodForSecondaryAuthentication": "passkey",
	"result":          "partialSuccess",
	"state":           "enabledForTesting",
	"clientAppTypes":  "copilot",
	"builtInControls": "riskRemediation",
	"consentType":     "PrincipalAndGroups",
}

// respell rewrites the enum values in a Graph answer as the spelling says.
func respell(v any, spelling EnumSpelling) any {
	if spelling == EnumsAsDocumented {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			newer, isEnum := EnumFields[k]
			switch list := val.(type) {
			case string:
				if isEnum && list != "" {
					val = spell(list, newer, spelling)
				}
			case []any:
				if isEnum {
					items := make([]any, len(list))
					for i, it := range list {
						if s, ok := it.(string); ok {
							items[i] = spell(s, newer, spelling)
						} else {
							items[i] = it
						}
					}
					val = items
				} else {
					val = respell(list, spelling)
				}
			default:
				val = respell(val, spelling)
			}
			out[k] = val
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = respell(it, spelling)
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = respell(it, spelling)
		}
		return out
	}
	return v
}

func spell(s, newer string, spelling EnumSpelling) string {
	if spelling == EnumsNewer {
		return newer
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
