package graph

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/closeout-dev/closeout/internal/inputfile"
	"io"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// AuthModes are the ways closeout can authenticate through azidentity.
var AuthModes = []string{"default", "env", "cert", "workload", "managed", "azcli", "device-code"}

// NewCredential builds an azidentity credential for a mode. "default"
// tries the environment, then workload identity, then the Azure CLI.
// prompt receives device-code instructions.
func NewCredential(mode, cloudName string, prompt io.Writer) (azcore.TokenCredential, error) {
	client := azcore.ClientOptions{Cloud: cloudConfig(cloudName)}
	switch mode {
	case "env":
		return azidentity.NewEnvironmentCredential(&azidentity.EnvironmentCredentialOptions{ClientOptions: client})
	case "cert":
		path := os.Getenv("AZURE_CLIENT_CERTIFICATE_PATH")
		if path == "" {
			return nil, errors.New("--auth cert needs AZURE_CLIENT_CERTIFICATE_PATH (and AZURE_TENANT_ID, AZURE_CLIENT_ID)")
		}
		return azidentity.NewEnvironmentCredential(&azidentity.EnvironmentCredentialOptions{ClientOptions: client})
	case "workload":
		return azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{ClientOptions: client})
	case "managed":
		return azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: client})
	case "azcli":
		return azidentity.NewAzureCLICredential(nil)
	case "device-code":
		return azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
			ClientOptions: client,
			TenantID:      os.Getenv("AZURE_TENANT_ID"),
			ClientID:      os.Getenv("AZURE_CLIENT_ID"),
			UserPrompt: func(_ context.Context, m azidentity.DeviceCodeMessage) error {
				_, err := fmt.Fprintln(prompt, m.Message)
				return err
			},
		})
	case "", "default":
		var chain []azcore.TokenCredential
		if c, err := azidentity.NewEnvironmentCredential(&azidentity.EnvironmentCredentialOptions{ClientOptions: client}); err == nil {
			chain = append(chain, c)
		}
		if c, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{ClientOptions: client}); err == nil {
			chain = append(chain, c)
		}
		if c, err := azidentity.NewAzureCLICredential(nil); err == nil {
			chain = append(chain, c)
		}
		if len(chain) == 0 {
			return nil, errors.New("no credentials: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH), or sign in with az login")
		}
		return azidentity.NewChainedTokenCredential(chain, nil)
	}
	return nil, fmt.Errorf("unknown --auth %q (want one of %s)", mode, strings.Join(AuthModes, ", "))
}

// TokenRoles reads the application permissions ("roles") and delegated
// scopes ("scp") a JWT access token carries, without verifying it: it only
// predicts which sections Graph will refuse.
func TokenRoles(token string) ([]string, error) {
	parts := strings.Split(token, ".")
	if len(parts) < 2 {
		return nil, errors.New("the token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errors.New("the token's payload is not base64url")
	}
	var claims struct {
		Roles []string `json:"roles"`
		Scp   string   `json:"scp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, errors.New("the token's payload is not JSON")
	}
	return append(claims.Roles, strings.Fields(claims.Scp)...), nil
}

// Missing reports, per section, whether the permissions granted cover it.
func Missing(granted []string) map[string]bool {
	have := map[string]bool{}
	for _, g := range granted {
		have[strings.ToLower(g)] = true
	}
	missing := map[string]bool{}
	for _, p := range Permissions {
		ok := have[strings.ToLower(p.Permission)]
		for _, alt := range p.AlsoBy {
			ok = ok || have[strings.ToLower(alt)]
		}
		missing[p.Section] = !ok
	}
	return missing
}

// NewAppCredential is an app registration's credential for one tenant:
// a client secret or a certificate file (PEM or PKCS#12 without a
// password), for scanning many tenants each with its own.
func NewAppCredential(cloudName, tenantID, clientID, secret, certPath string) (azcore.TokenCredential, error) {
	client := azcore.ClientOptions{Cloud: cloudConfig(cloudName)}
	if secret != "" {
		return azidentity.NewClientSecretCredential(tenantID, clientID, secret, &azidentity.ClientSecretCredentialOptions{ClientOptions: client})
	}
	// A regular file within a cap: a FIFO or a device named here would
	// hang the run, a huge file fill its memory.
	raw, err := inputfile.Read(certPath, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("certificatePath %s: %w", certPath, err)
	}
	certs, key, err := azidentity.ParseCertificates(raw, nil)
	if err != nil {
		return nil, fmt.Errorf("certificatePath %s: %w", certPath, err)
	}
	return azidentity.NewClientCertificateCredential(tenantID, clientID, certs, key, &azidentity.ClientCertificateCredentialOptions{ClientOptions: client})
}

// cloudConfig is azidentity's configuration of a national cloud.
func cloudConfig(name string) cloud.Configuration {
	switch strings.ToLower(name) {
	case "usgov", "usgovdod":
		return cloud.AzureGovernment
	case "china":
		return cloud.AzureChina
	}
	return cloud.AzurePublic
}
