package main

import (
	"fmt"
	"os"

	"github.com/closeout-dev/closeout/policies"
	"github.com/closeout-dev/closeout/results"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// bundleFlags are --bundle and its verification, on the commands that
// evaluate.
type bundleFlags struct {
	File, Key, Alg, KeyID string
	RequireSigned         bool
}

func registerBundle(fl *pflag.FlagSet, b *bundleFlags) {
	fl.StringVar(&b.File, "bundle", "", "load the policy library from an OPA bundle `FILE.tar.gz` in place of the built-in one")
	fl.StringVar(&b.Key, "verification-key", "", "refuse a --bundle not signed with this public key (or HS256 secret) `FILE`, or changed since")
	fl.StringVar(&b.Alg, "verification-alg", "RS256", "the signature's `ALGORITHM` (RS256, ES256, HS256, ...)")
	fl.StringVar(&b.KeyID, "verification-key-id", "default", "the key `ID` the bundle was signed with")
	fl.BoolVar(&b.RequireSigned, "require-signed", false, "refuse a --bundle whose signature is not verified with --verification-key (also $CLOSEOUT_REQUIRE_SIGNED=1)")
}

// apply puts the bundle into the policy options.
func (b bundleFlags) apply(o policies.Options) (policies.Options, error) {
	if b.Key != "" && b.File == "" {
		return o, usageErrorf("--verification-key needs --bundle")
	}
	if (b.RequireSigned || os.Getenv("CLOSEOUT_REQUIRE_SIGNED") == "1") && b.File != "" && b.Key == "" {
		return o, usageErrorf("--bundle %s: a signed bundle is required (--require-signed): give --verification-key", b.File)
	}
	o.Bundle = b.File
	if b.Key != "" {
		o.Verify = &policies.Verification{KeyFile: b.Key, Algorithm: b.Alg, KeyID: b.KeyID}
	}
	return o, nil
}

// PolicyBundleOptions are the inputs of `closeout policy bundle`.
type PolicyBundleOptions struct {
	IO       *IOStreams
	Dir      string
	Output   string
	Revision string
	Key      string
	Alg      string
	KeyID    string
}

func newCmdPolicyBundle(f *factory, runF func(*PolicyBundleOptions) error) *cobra.Command {
	opts := &PolicyBundleOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "bundle DIR -o FILE.tar.gz",
		Short: "Build an OPA bundle of a policy directory, signed with --signing-key",
		Long: `Build an OPA bundle (gzipped tar, .manifest with the revision and the
roots closeout and custom) from the .rego files of DIR, tests included.
With --signing-key the bundle carries .signatures.json as opa build
--signing-key writes it; check, verify and scan load it with --bundle and
refuse it, unsigned or changed, when given --verification-key.`,
		Example: `  closeout policy bundle policies -o out/policies.tar.gz --revision "$(git rev-parse HEAD)"
  closeout policy bundle policies -o out/signed.tar.gz --signing-key private.pem
  closeout check --bundle out/signed.tar.gz --verification-key public.pem snapshot.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = args[0]
			if runF != nil {
				return runF(opts)
			}
			return policyBundleRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Output, "output", "o", "", "write the bundle to `FILE.tar.gz` (mode 0600)")
	fl.StringVar(&opts.Revision, "revision", "", "the manifest's `REVISION` (a commit, a version)")
	fl.StringVar(&opts.Key, "signing-key", "", "sign with this PEM private key (or HS256 secret) `FILE`")
	fl.StringVar(&opts.Alg, "signing-alg", "RS256", "the signature's `ALGORITHM`")
	fl.StringVar(&opts.KeyID, "key-id", "default", "the key `ID` written into the signature")
	return cmd
}

func policyBundleRun(opts *PolicyBundleOptions) error {
	if opts.Output == "" {
		return usageErrorf("policy bundle needs -o FILE.tar.gz")
	}
	var sign *policies.Signing
	if opts.Key != "" {
		sign = &policies.Signing{KeyFile: opts.Key, Algorithm: opts.Alg, KeyID: opts.KeyID}
	}
	err := writeFileAtomic(opts.Output, func(f *os.File) error { return policies.WriteBundle(f, opts.Dir, opts.Revision, sign) })
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	return nil
}

// bundleInfo is the results' record of a bundle the set was loaded from,
// and a warning on stderr when its signature was not checked: whoever can
// write the file chooses the policies.
func bundleInfo(set *policies.Set, io *IOStreams) *results.BundleInfo {
	b := set.Bundle
	if b == nil {
		return nil
	}
	info := &results.BundleInfo{File: b.File, SHA256: b.SHA256, Revision: b.Revision, Signed: b.Signed, Verified: b.Verified, KeyID: b.KeyID}
	if !b.Verified {
		fmt.Fprintf(io.ErrOut, "closeout: warning: the policies come from %s: whoever can write that file chooses them; give --verification-key (or --require-signed to refuse such a bundle)\n", info.Describe())
	}
	return info
}
