package suggest

import "testing"

func TestNearest(t *testing.T) {
	for _, tc := range []struct{ s, want string }{
		{"incident-strat", "incident-start"},
		{"userNotifed", "userNotified"},
		{"FAIL-ON", "fail-on"},
		{"something-else", ""},
	} {
		if got := Nearest(tc.s, []string{"incident-start", "userNotified", "fail-on", "format"}); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
}
