package graph

import "testing"

// The usage headers are read as Microsoft documents them, and a value a
// hostile or broken server sends is left out rather than trusted.
func TestUsageFrom(t *testing.T) {
	for _, c := range []struct {
		headers map[string]string
		want    Usage
		ok      bool
	}{
		{map[string]string{"x-ms-resource-unit": "2"}, Usage{Path: "/users", ResourceUnits: 2}, true},
		{map[string]string{"x-ms-resource-unit": "1", "x-ms-throttle-limit-percentage": "0.85"}, Usage{Path: "/users", ResourceUnits: 1, LimitShare: 0.85}, true},
		{map[string]string{"x-ms-throttle-scope": "Tenant_Application/ReadWrite/app/tenant"}, Usage{Path: "/users", Scope: "Tenant_Application/ReadWrite/app/tenant"}, true},
		{map[string]string{"x-ms-resource-unit": "-3", "x-ms-throttle-limit-percentage": "NaN"}, Usage{Path: "/users"}, false},
		{map[string]string{"x-ms-resource-unit": "99999999", "x-ms-throttle-limit-percentage": "1e300"}, Usage{Path: "/users"}, false},
		{map[string]string{}, Usage{Path: "/users"}, false},
	} {
		got, ok := usageFrom("/users", func(name string) string { return c.headers[name] })
		if got != c.want || ok != c.ok {
			t.Errorf("%v: got %+v %v, want %+v %v", c.headers, got, ok, c.want, c.ok)
		}
	}
}
