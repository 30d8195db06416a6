package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/closeout-dev/closeout/collectors"
	"github.com/closeout-dev/closeout/collectors/safehttp"
	"github.com/closeout-dev/closeout/internal/safefile"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/collectors/exchange"
	"github.com/closeout-dev/closeout/collectors/graph"
	"github.com/closeout-dev/closeout/snapshot"
	"github.com/spf13/cobra"
)

// connectionFlags say how to reach Microsoft 365; collect, permissions and
// (later) verify and scan share them.
type connectionFlags struct {
	Cloud          string
	GraphURL       string
	ExchangeURL    string
	Collectors     []string
	Token          string
	Auth           string
	Timeout        time.Duration
	RequestTimeout time.Duration
	MaxRetries     int
	Debug          bool
	// credential, when set, authenticates instead of --token or --auth
	// (a tenant of --tenants with its own app credentials).
	credential azcore.TokenCredential
}

func (c *connectionFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&c.Cloud, "cloud", "global", "national cloud: global|usgov|usgovdod|china")
	fl.StringVar(&c.GraphURL, "graph-url", "", "Graph service root `URL` such as https://graph.microsoft.com (a trailing /v1.0 is fine), overriding --cloud; default $CLOSEOUT_GRAPH_URL (the fake tenant uses this)")
	fl.StringVar(&c.ExchangeURL, "exchange-url", "", "Exchange Online admin API root `URL`, overriding --cloud; default $CLOSEOUT_EXCHANGE_URL, else with --graph-url the same")
	fl.StringSliceVar(&c.Collectors, "collectors", []string{"graph", "exchange"}, "collectors to run: graph, exchange")
	fl.StringVar(&c.Token, "token", "", "static bearer `TOKEN` (default $CLOSEOUT_TOKEN); never logged")
	fl.StringVar(&c.Auth, "auth", "default", "azidentity mode: "+strings.Join(graph.AuthModes, "|"))
	fl.DurationVar(&c.Timeout, "timeout", 10*time.Minute, "overall deadline for the collection")
	fl.DurationVar(&c.RequestTimeout, "request-timeout", 100*time.Second, "deadline for one request (each try of it; retries wait Retry-After or a back-off, and an outage is waited out within --timeout)")
	fl.IntVar(&c.MaxRetries, "max-retries", 5, "retries of a throttled (429) or unavailable (503, 504) request")
	fl.BoolVar(&c.Debug, "debug", false, "log each Graph request (method, URL, status) on stderr; headers and tokens are never logged")
}

// fromEnvironment fills the endpoints not given as flags from
// CLOSEOUT_GRAPH_URL and CLOSEOUT_EXCHANGE_URL, as --token falls back to
// CLOSEOUT_TOKEN: set once, every example runs as written.
func (c *connectionFlags) fromEnvironment() {
	if c.GraphURL == "" {
		c.GraphURL = os.Getenv("CLOSEOUT_GRAPH_URL")
	}
	if c.ExchangeURL == "" {
		c.ExchangeURL = os.Getenv("CLOSEOUT_EXCHANGE_URL")
	}
}

// clientOptions turns the flags into graph client options.
func (c *connectionFlags) clientOptions(io *IOStreams) (graph.ClientOptions, error) {
	c.fromEnvironment()
	opts := graph.ClientOptions{Cloud: c.Cloud, GraphURL: c.GraphURL, MaxRetries: c.MaxRetries, RequestTimeout: c.RequestTimeout}
	for _, f := range []struct{ flag, value string }{{"--graph-url", c.GraphURL}, {"--exchange-url", c.ExchangeURL}} {
		if f.value == "" {
			continue
		}
		if _, err := safehttp.ServiceRoot(f.value); err != nil {
			return opts, usageErrorf("%s: %v; use --token or --auth for credentials", f.flag, err)
		}
	}
	if c.Debug {
		opts.Debug = io.ErrOut
	}
	if c.credential != nil {
		opts.Credential = c.credential
		return opts, nil
	}
	token := c.Token
	if token == "" {
		token = os.Getenv("CLOSEOUT_TOKEN")
	}
	if token != "" {
		opts.Credential = graph.StaticToken(token)
		return opts, nil
	}
	if !slices.Contains(graph.AuthModes, c.Auth) {
		return opts, usageErrorf("--auth %q: want one of %s", c.Auth, strings.Join(graph.AuthModes, ", "))
	}
	cred, err := graph.NewCredential(c.Auth, c.Cloud, io.ErrOut)
	if err != nil {
		return opts, &exitError{code: exitCollection, err: fmt.Errorf("--auth %s: %w", c.Auth, err)}
	}
	opts.Credential = cred
	return opts, nil
}

// incidentFlags describe an incident; collect and verify share them.
type incidentFlags struct {
	Start      string
	ID         string
	DetectedAt string
	IPs        []string
	Domains    []string
}

func (i *incidentFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&i.Start, "incident-start", "", "earliest attacker activity believed, RFC 3339 (makes an incident-mode snapshot)")
	fl.StringVar(&i.ID, "incident-id", "", "the incident's ticket `ID`")
	fl.StringVar(&i.DetectedAt, "detected-at", "", "when the compromise was detected, RFC 3339")
	fl.StringArrayVar(&i.IPs, "indicator-ip", nil, "an attacker `IP` address (repeatable)")
	fl.StringArrayVar(&i.Domains, "indicator-domain", nil, "an attacker `DOMAIN` (repeatable)")
}

// incident builds the snapshot's incident, or nil in posture mode.
func (i *incidentFlags) incident() (*snapshot.Incident, error) {
	if i.Start == "" {
		if i.ID != "" || i.DetectedAt != "" || len(i.IPs) > 0 || len(i.Domains) > 0 {
			return nil, usageErrorf("--incident-id, --detected-at and the indicators need --incident-start")
		}
		return nil, nil
	}
	start, err := time.Parse(time.RFC3339, i.Start)
	if err != nil {
		return nil, usageErrorf("--incident-start %q: want an RFC 3339 time such as 2026-11-20T08:00:00Z", i.Start)
	}
	inc := &snapshot.Incident{ID: i.ID, WindowStart: start.UTC(), Indicators: snapshot.Indicators{IPs: []string{}, Domains: []string{}}}
	if i.DetectedAt != "" {
		d, err := time.Parse(time.RFC3339, i.DetectedAt)
		if err != nil {
			return nil, usageErrorf("--detected-at %q: want an RFC 3339 time", i.DetectedAt)
		}
		if d.Before(start) {
			return nil, usageErrorf("--detected-at %s is before --incident-start %s", i.DetectedAt, i.Start)
		}
		d = d.UTC()
		inc.DetectedAt = &d
	}
	for _, ip := range i.IPs {
		if net.ParseIP(ip) == nil {
			return nil, usageErrorf("--indicator-ip %q is not an IP address", ip)
		}
		inc.Indicators.IPs = append(inc.Indicators.IPs, ip)
	}
	inc.Indicators.Domains = append(inc.Indicators.Domains, i.Domains...)
	return inc, nil
}

// CollectOptions are the inputs of `closeout collect`.
type CollectOptions struct {
	IO         *IOStreams
	User       string
	Tenant     bool
	OutputPath string
	Connection connectionFlags
	Incident   incidentFlags
	factory    *factory
}

func newCmdCollect(f *factory, runF func(*CollectOptions) error) *cobra.Command {
	opts := &CollectOptions{IO: f.IO, factory: f}
	cmd := &cobra.Command{
		Use:   "collect --user UPN | --tenant",
		Short: "Read an account's security state from Microsoft 365 into a snapshot",
		Long: `Read one account from Microsoft Graph into a closeout.snapshot/v1 document.
Read-only: nothing in the tenant changes. A section the app may not read is
recorded as forbidden or unlicensed in the snapshot's coverage, and the
policies that need it report unknown.`,
		Example: `  closeout collect --user bob@contoso.com --incident-start 2026-11-20T08:00:00Z --incident-id INC-4711 -o bob.json
  closeout collect --tenant -o tenant.json
  CLOSEOUT_TOKEN=... closeout collect --user alice@contoso.com --graph-url http://127.0.0.1:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return collectRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.User, "user", "u", "", "the account's user principal name or object id")
	cmd.Flags().BoolVar(&opts.Tenant, "tenant", false, "collect the tenant's settings (a closeout.tenant/v1 document) instead of an account")
	cmd.Flags().StringVarP(&opts.OutputPath, "output", "o", "", "write the snapshot to `FILE` (mode 0600) instead of stdout")
	opts.Connection.register(cmd)
	opts.Incident.register(cmd)
	return cmd
}

func collectRun(opts *CollectOptions) error {
	var doc any
	var coverage map[string]snapshot.CoverageItem
	var sections []string
	var subject string
	switch {
	case opts.Tenant && opts.User != "":
		return usageErrorf("--tenant and --user: collect one or the other")
	case opts.Tenant:
		settings, err := collectTenant(opts.factory, &opts.Connection)
		if err != nil {
			return err
		}
		doc, coverage, sections, subject = settings, settings.Coverage, snapshot.TenantSections, settings.Tenant.DefaultDomain
	default:
		snap, err := collectOne(opts.factory, opts.User, &opts.Connection, &opts.Incident)
		if err != nil {
			return err
		}
		doc, coverage, sections, subject = snap, snap.Coverage, snapshot.Sections, snap.User.UserPrincipalName
	}
	if opts.OutputPath == "" {
		if err := encodeJSON(opts.IO.Out, doc); err != nil {
			return err
		}
	} else if err := writeJSONFile(opts.OutputPath, doc); err != nil {
		return err
	}
	reportCoverage(opts.IO.ErrOut, subject, sections, coverage)
	return nil
}

// useExchange validates --collectors and says whether Exchange runs.
func (c *connectionFlags) useExchange() (bool, error) {
	use := false
	for _, name := range c.Collectors {
		switch strings.TrimSpace(name) {
		case "graph":
		case "exchange":
			use = true
		default:
			return false, usageErrorf("--collectors: unknown collector %q (want graph, exchange)", name)
		}
	}
	if !slices.Contains(c.Collectors, "graph") {
		return false, usageErrorf("--collectors: graph is required (it reads the account and the tenant)")
	}
	return use, nil
}

// exchangeOptions derive the Exchange client's options from Graph's.
func (c *connectionFlags) exchangeOptions(client graph.ClientOptions) exchange.Options {
	exchangeURL := c.ExchangeURL
	if exchangeURL == "" && c.GraphURL != "" {
		// An overridden Graph endpoint (the fake tenant, a proxy) serves
		// the Exchange admin API too unless told otherwise.
		exchangeURL = c.GraphURL
	}
	return exchange.Options{Cloud: c.Cloud, ExchangeURL: exchangeURL, Credential: client.Credential,
		MaxRetries: c.MaxRetries, RequestTimeout: c.RequestTimeout, Debug: client.Debug}
}

// session is what both collections need: the Graph client options,
// whether Exchange runs, and the overall deadline.
type session struct {
	client      graph.ClientOptions
	useExchange bool
	ctx         context.Context
	cancel      context.CancelFunc
}

func (c *connectionFlags) session(f *factory) (*session, error) {
	useExchange, err := c.useExchange()
	if err != nil {
		return nil, err
	}
	client, err := c.clientOptions(f.IO)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(f.Context)
	if c.Timeout > 0 {
		ctx, cancel = context.WithTimeoutCause(f.Context, c.Timeout, &deadlineError{c.Timeout})
	}
	return &session{client: client, useExchange: useExchange, ctx: ctx, cancel: cancel}, nil
}

// collectTenant collects the tenant's settings, mapping a failed
// collection to exit 3.
func collectTenant(f *factory, conn *connectionFlags) (*snapshot.TenantSettings, error) {
	s, err := conn.session(f)
	if err != nil {
		return nil, err
	}
	defer s.cancel()
	doc, err := graph.CollectTenant(s.ctx, graph.Options{ClientOptions: s.client, Version: version, Now: f.Now})
	if err != nil {
		return nil, &exitError{code: exitCollection, err: err}
	}
	if !s.useExchange {
		for _, section := range snapshot.TenantSections {
			if strings.HasPrefix(section, "exchange.") {
				doc.Coverage[section] = snapshot.CoverageItem{Status: snapshot.StatusSkipped, Detail: "the exchange collector did not run"}
			}
		}
		return doc, nil
	}
	if err := exchange.CollectTenant(s.ctx, conn.exchangeOptions(s.client), doc); err != nil {
		return nil, &exitError{code: exitCollection, err: fmt.Errorf("collecting the tenant from Exchange Online: %w", err)}
	}
	return doc, nil
}

// collectOne collects one account, mapping a failed collection to exit 3.
func collectOne(f *factory, user string, conn *connectionFlags, inc *incidentFlags) (*snapshot.Snapshot, error) {
	if strings.TrimSpace(user) == "" {
		return nil, usageErrorf("--user (an account) or --tenant (the tenant settings) is required")
	}
	incident, err := inc.incident()
	if err != nil {
		return nil, err
	}
	sess, err := conn.session(f)
	if err != nil {
		return nil, err
	}
	defer sess.cancel()
	var exchangeOpts *exchange.Options
	if sess.useExchange {
		o := conn.exchangeOptions(sess.client)
		exchangeOpts = &o
	}
	snap, err := collectors.Account(sess.ctx, graph.Options{ClientOptions: sess.client, User: user, Incident: incident, Version: version, Now: f.Now}, exchangeOpts)
	if err != nil {
		var ce *graph.CollectionError
		if errors.As(err, &ce) {
			return nil, &exitError{code: exitCollection, err: err}
		}
		return nil, &exitError{code: exitCollection, err: fmt.Errorf("collecting %s: %w", user, err)}
	}
	return snap, nil
}

// reportCoverage says on stderr which sections could not be collected.
func reportCoverage(w io.Writer, subject string, sections []string, coverage map[string]snapshot.CoverageItem) {
	collected := 0
	var gaps []string
	for _, section := range sections {
		c, ok := coverage[section]
		switch {
		case ok && c.Status == snapshot.StatusCollected:
			collected++
		case ok:
			gaps = append(gaps, fmt.Sprintf("  %s: %s (%s)", section, c.Status, c.Detail))
		default:
			gaps = append(gaps, fmt.Sprintf("  %s: not collected", section))
		}
	}
	fmt.Fprintf(w, "closeout: collected %d of %d sections for %s\n", collected, len(sections), subject)
	for _, g := range gaps {
		fmt.Fprintln(w, g)
	}
}

// encodeJSON writes a document as indented JSON.
func encodeJSON(w io.Writer, doc any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// writeJSONFile writes a document to a path the user named, atomically,
// mode 0600.
func writeJSONFile(path string, doc any) error {
	return writeFileAtomic(path, func(f *os.File) error { return encodeJSON(f, doc) })
}

// writeOwnJSON writes a file of closeout's own in a directory (a scan's
// tenant.json): atomically, mode 0600, refusing a link or a device planted
// at its path.
func writeOwnJSON(path string, doc any) error {
	return safefile.WriteAtomic(path, func(f *os.File) error { return encodeJSON(f, doc) })
}

// deadlineError is the cause of a session that ran out of --timeout.
type deadlineError struct{ after time.Duration }

func (e *deadlineError) Error() string {
	return fmt.Sprintf("--timeout %s ran out", e.after)
}

func (e *deadlineError) Is(target error) bool { return target == context.DeadlineExceeded }
