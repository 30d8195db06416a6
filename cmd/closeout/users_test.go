package main

import (
	"slices"
	"strings"
	"testing"
)

// --users-from takes one account a line, comments, or a CSV export's first
// column; anything else is named with its line, in the user's words.
func TestParseUsers(t *testing.T) {
	got, err := parseUsers("vips.csv", "\ufeffUserPrincipalName,DisplayName\n\"alice@contoso.com\",Alice\n# the board\nbob@contoso.com\n\n6f1c2d3e-0000-4000-8000-0000000c0a50\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"alice@contoso.com", "bob@contoso.com", "6f1c2d3e-0000-4000-8000-0000000c0a50"}; !slices.Equal(got, want) {
		t.Errorf("parseUsers = %v, want %v", got, want)
	}
	for text, want := range map[string]string{
		"alice@contoso.com\nBob Smith\n":   `vips.txt:2: "Bob Smith" is neither a user principal name`,
		"alice@\n":                         `vips.txt:1: "alice@" is neither`,
		"x@y\n" + strings.Repeat("z", 500): `vips.txt:2: "zzzz`,
	} {
		_, err := parseUsers("vips.txt", text)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseUsers(%.20q): %v, want %q", text, err, want)
		}
		if err != nil && len(err.Error()) > 300 {
			t.Errorf("the error quotes the whole line: %d bytes", len(err.Error()))
		}
	}
}
