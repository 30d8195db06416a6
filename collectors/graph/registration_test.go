package graph

import "testing"

// Graph answers an empty preferred method for an account with no MFA (its
// own documented example); that is no preference, not a value closeout
// does not know.
func TestRegistrationWithoutPreferredMethod(t *testing.T) {
	reg, err := RegistrationFromGraph([]byte(`{"id":"c6ad1942","isMfaRegistered":false,"methodsRegistered":[],"userPreferredMethodForSecondaryAuthentication":""}`))
	if err != nil || reg.IsMfaRegistered || reg.DefaultMethod != nil || len(reg.MethodsRegistered) != 0 {
		t.Fatalf("%+v, %v; want not registered, no default method", reg, err)
	}
	if _, err := RegistrationFromGraph([]byte(`{"isMfaRegistered":true,"userPreferredMethodForSecondaryAuthentication":"carrierPigeon"}`)); err == nil {
		t.Error("a preferred method closeout does not know was read")
	}
}
