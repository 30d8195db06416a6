package scan

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeout-dev/closeout/collectors/exchange"
	"github.com/closeout-dev/closeout/collectors/fake"
	"github.com/closeout-dev/closeout/collectors/graph"
	"github.com/closeout-dev/closeout/collectors/safehttp"
	"github.com/closeout-dev/closeout/policies"
	"github.com/closeout-dev/closeout/snapshot"
)

const token = "scan-test-token"

var postureSections = []string{"user", "authMethods", "roles", "risk", "oauthGrants", "mailbox.forwarding", "mailbox.protocols", "mailbox.inboxRules", "mailbox.permissions"}

func generated(t testing.TB, n int) (*fake.Server, *fake.Tenant) {
	t.Helper()
	base, err := fake.LoadTenant(filepath.Join("..", "testdata", "tenants", "contoso.json"))
	if err != nil {
		t.Fatal(err)
	}
	tenant := fake.Generate(base, n, 7)
	srv := fake.New(tenant)
	srv.Token = token
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, tenant
}

// quickRetries waits a hundredth of what Microsoft's Retry-After or the
// back-off would: the tests' retries come back at once.
func quickRetries(retryAfter string, retry int) time.Duration {
	return safehttp.RetryDelay(retryAfter, retry) / 100
}

func options(srv *fake.Server, dir string) Options {
	client := graph.ClientOptions{GraphURL: srv.URL(), Credential: graph.StaticToken(token), MaxRetries: 8, RequestTimeout: 30 * time.Second, RetryDelay: quickRetries}
	return Options{Graph: client, Exchange: &exchange.Options{ExchangeURL: srv.URL(), Credential: graph.StaticToken(token), MaxRetries: 8, RetryDelay: quickRetries},
		Dir: dir, Sections: postureSections, Workers: 16, IdentityUnitsPer10s: 100000, ExchangePer10s: 100000, Version: "test",
		Now: func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }}
}

// members are the accounts a scan without guests must write.
func members(tenant *fake.Tenant) map[string]bool {
	out := map[string]bool{}
	for _, u := range tenant.Users {
		if u["userType"] != "Guest" {
			out[u["id"].(string)] = true
		}
	}
	return out
}

// readSnapshots reads a scan's snapshots.jsonl through the loader, failing
// on a line that is not a valid snapshot or an account written twice.
func readSnapshots(t *testing.T, dir string) map[string]*snapshot.Document {
	t.Helper()
	docs, err := snapshot.LoadFile(filepath.Join(dir, "snapshots.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*snapshot.Document{}
	for _, d := range docs {
		user := d.Value["user"].(map[string]any)
		id := user["id"].(string)
		if out[id] != nil {
			t.Errorf("account %s written twice", id)
		}
		out[id] = d
	}
	return out
}

// readWhole reads a scan's snapshots, failing unless every member of the
// tenant was written with every posture section collected.
func readWhole(t *testing.T, dir string, tenant *fake.Tenant) map[string]*snapshot.Document {
	t.Helper()
	got := readSnapshots(t, dir)
	if len(got) != len(members(tenant)) {
		t.Fatalf("%d accounts written, want %d", len(got), len(members(tenant)))
	}
	for id, d := range got {
		for _, sec := range postureSections {
			if c := d.Coverage(sec); c.Status != snapshot.StatusCollected {
				t.Errorf("%s: %s is %s (%s)", id, sec, c.Status, c.Detail)
			}
		}
	}
	return got
}

func TestScanWritesEveryAccountOnce(t *testing.T) {
	srv, tenant := generated(t, 150)
	dir := t.TempDir()
	res, err := Run(context.Background(), options(srv, dir))
	if err != nil {
		t.Fatal(err)
	}
	want := members(tenant)
	got := readSnapshots(t, dir)
	if len(got) != len(want) || res.Done != len(want) {
		t.Fatalf("%d snapshots (%d done), want %d", len(got), res.Done, len(want))
	}
	for id, d := range got {
		if !want[id] {
			t.Errorf("%s scanned but not a member", id)
		}
		for _, sec := range postureSections {
			if c := d.Coverage(sec); c.Status != snapshot.StatusCollected {
				t.Errorf("%s: %s is %s (%s)", id, sec, c.Status, c.Detail)
			}
		}
		if c := d.Coverage("signIns"); c.Status != snapshot.StatusSkipped || !strings.Contains(c.Detail, "no active posture policy") {
			t.Errorf("%s: signIns %+v, want skipped as not needed", id, c)
		}
	}
	// Per account only what has no bulk form: well under the ~27 requests
	// of one account's own collection.
	requests := 0
	for _, r := range srv.Requests() {
		if !r.InBatch {
			requests++
		}
	}
	perAccount := float64(requests) / float64(len(want))
	t.Logf("%d HTTP requests for %d accounts: %.2f per account; by budget %v", requests, len(want), perAccount, res.Requests)
	if perAccount > 6 {
		t.Errorf("%.1f requests per account", perAccount)
	}
}

// With faults on every kind of request (5% answered 503, 1% of
// connections dropped, a 429 storm), every account is written exactly
// once, no section is an error, and the findings are those of a scan of
// the same tenant without faults: every fault was retried away.
func TestScanUnderFaultsLosesNothing(t *testing.T) {
	clean, _ := generated(t, 120)
	want := scanned(t, clean, options)
	srv, tenant := generated(t, 120)
	srv.AddFault(fake.Fault{Path: `.`, Status: 503, Code: "ServiceUnavailable", Message: "try later", Share: 0.05})
	srv.AddFault(fake.Fault{Path: `.`, Drop: true, Share: 0.01})
	srv.AddFault(fake.Fault{Path: `.`, Status: 429, Code: "TooManyRequests", Message: "storm", RetryAfter: 1, Times: 6})
	dir := scanned(t, srv, options)
	readWhole(t, dir, tenant)
	sameFindings(t, want, "without faults", dir, "under faults")
	faults := 0
	for _, r := range srv.Requests() {
		if r.Status >= 500 {
			faults++
		}
	}
	if faults == 0 {
		t.Error("no fault was served")
	}
}

// scanned scans srv into a new directory and returns it.
func scanned(t *testing.T, srv *fake.Server, opts func(*fake.Server, string) Options) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := Run(context.Background(), opts(srv, dir)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// An account whose section failed on its own read is read once more at
// the end and written once, with the better read: a passing failure
// recovers, a lasting one stays error, and a forbidden one is not asked
// again.
func TestScanReadsAFailedAccountAgain(t *testing.T) {
	srv, tenant := generated(t, 40)
	var ids []string
	for id := range members(tenant) {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	passing, lasting, forbidden := ids[0], ids[1], ids[2]
	methods := func(id string) string { return "^/users/" + regexp.QuoteMeta(id) + "/authentication/methods$" }
	srv.AddFault(fake.Fault{Path: methods(passing), Status: 500, Code: "InternalServerError", Message: "blip", Times: 1})
	srv.AddFault(fake.Fault{Path: methods(lasting), Status: 500, Code: "InternalServerError", Message: "down"})
	srv.AddFault(fake.Fault{Path: methods(forbidden), Status: 403, Code: "Authorization_RequestDenied", Message: "no"})
	dir := t.TempDir()
	res, err := Run(context.Background(), options(srv, dir))
	if err != nil {
		t.Fatal(err)
	}
	got := readSnapshots(t, dir)
	if len(got) != len(ids) {
		t.Fatalf("%d accounts written, want %d", len(got), len(ids))
	}
	for id, want := range map[string]string{passing: snapshot.StatusCollected, lasting: snapshot.StatusError, forbidden: snapshot.StatusForbidden} {
		if c := got[id].Coverage("authMethods"); c.Status != want {
			t.Errorf("%s: authMethods is %s (%s), want %s", id, c.Status, c.Detail, want)
		}
	}
	if res.Retried != 2 || res.Recovered != 1 || res.Incomplete != 2 || res.Done != len(ids) {
		t.Errorf("retried %d, recovered %d, incomplete %d, done %d; want 2, 1, 2, %d", res.Retried, res.Recovered, res.Incomplete, res.Done, len(ids))
	}
	asked := map[string]int{}
	for _, r := range srv.Requests() {
		for _, id := range []string{passing, lasting, forbidden} {
			if regexp.MustCompile(methods(id)).MatchString(r.Path) {
				asked[id]++
			}
		}
	}
	if asked[passing] != 2 || asked[lasting] != 2 || asked[forbidden] != 1 {
		t.Errorf("authMethods asked %d, %d and %d times, want 2, 2 and 1", asked[passing], asked[lasting], asked[forbidden])
	}
}

// A 429 on a whole request, which the SDK's retry handler retries on its
// own, slows the budget the read was charged to, as a throttled $batch
// step does.
func TestScanThrottledRequestsSlowTheirBudget(t *testing.T) {
	srv, _ := generated(t, 20)
	srv.AddFault(fake.Fault{Path: `^/users$`, Status: 429, Code: "TooManyRequests", Message: "slow down", RetryAfter: 1, Times: 1})
	srv.AddFault(fake.Fault{Path: `^/identityProtection/riskyUsers$`, Status: 429, Code: "TooManyRequests", Message: "slow down", RetryAfter: 1, Times: 1})
	res, err := Run(context.Background(), options(srv, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	throttled := map[string]int{}
	for _, b := range res.Budgets {
		throttled[b.Name] = b.Throttled
	}
	if throttled["identity"] != 1 || throttled["identityProtection"] != 1 || res.Throttled != 2 {
		t.Errorf("throttled by budget %v (%d in all), want identity 1 and identityProtection 1", throttled, res.Throttled)
	}
}

// Every identity unit Graph says it charged reaches the pacer, from whole
// requests and $batch steps alike, and a pacer set above the real limit
// hears that the limit is near.
func TestScanHearsGraphsUsageHeaders(t *testing.T) {
	srv, _ := generated(t, 80)
	srv.SetThrottle(fake.Throttle{IdentityUnitsPer10s: 60, Window: time.Second})
	opts := options(srv, t.TempDir())
	opts.Exchange = nil
	opts.IdentityUnitsPer10s, opts.Window = 120, time.Second // twice what the tenant allows
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var identity Budget
	for _, b := range res.Budgets {
		if b.Name == "identity" {
			identity = b
		}
	}
	if charged := srv.IdentityUnitsCharged(); identity.Reported != charged || charged == 0 {
		t.Errorf("the pacer heard of %d units charged, the tenant charged %d", identity.Reported, charged)
	}
	if identity.NearLimit == 0 {
		t.Errorf("no answer said the limit was near (%+v)", identity)
	}
	t.Logf("identity budget: %+v; %d throttled", identity, res.Throttled)
}

// A custom posture policy that needs registration details gets them from
// Microsoft's registration report, read once for the tenant at the
// reports budget: enabled accounts collected, disabled ones notFound with
// the reason (the report leaves them out).
func TestScanReadsTheRegistrationReport(t *testing.T) {
	srv, tenant := generated(t, 120)
	opts := options(srv, t.TempDir())
	opts.Sections = append(slices.Clone(postureSections), "registration")
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	got := readSnapshots(t, opts.Dir)
	enabled, disabled := 0, 0
	for _, u := range tenant.Users {
		d := got[u["id"].(string)]
		if d == nil {
			continue // a guest
		}
		c := d.Coverage("registration")
		if u["accountEnabled"] == true {
			enabled++
			if reg, _ := d.Value["registration"].(map[string]any); c.Status != snapshot.StatusCollected || reg["isMfaRegistered"] != true {
				t.Errorf("%s (enabled): registration %s (%s), %v", u["id"], c.Status, c.Detail, reg)
			}
			continue
		}
		disabled++
		if c.Status != snapshot.StatusNotFound || !strings.Contains(c.Detail, "disabled") {
			t.Errorf("%s (disabled): registration %s (%s), want notFound for a disabled account", u["id"], c.Status, c.Detail)
		}
	}
	if enabled == 0 || disabled == 0 {
		t.Fatalf("%d enabled and %d disabled accounts scanned: the test needs both", enabled, disabled)
	}
	if res.Requests["reports"] == 0 {
		t.Errorf("no request charged to the reports budget: %v", res.Requests)
	}
}

// The roles an account can activate through PIM are read for the tenant
// at once and land in each account's roles, marked eligible; a refused
// read leaves every account's roles forbidden, the active ones kept.
func TestScanReadsEligibleRoles(t *testing.T) {
	for _, refused := range []bool{false, true} {
		srv, tenant := generated(t, 30)
		var ids []string
		for id := range members(tenant) {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		tenant.RoleEligibilities = append(tenant.RoleEligibilities, map[string]any{"id": "e1", "principalId": ids[0],
			"roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "directoryScopeId": "/", "startDateTime": "2026-11-20T09:12:00Z"})
		if refused {
			srv.AddFault(fake.Fault{Path: `^/roleManagement/directory/roleEligibilityScheduleInstances$`, Status: 403,
				Code: "Authorization_RequestDenied", Message: "Insufficient privileges to complete the operation."})
		}
		opts := options(srv, t.TempDir())
		if _, err := Run(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		got := readSnapshots(t, opts.Dir)
		roles, _ := got[ids[0]].Value["roles"].([]any)
		eligible := 0
		for _, r := range roles {
			if r.(map[string]any)["assignment"] == "eligible" {
				eligible++
			}
		}
		status := got[ids[1]].Coverage("roles").Status
		switch {
		case !refused && (eligible != 1 || status != snapshot.StatusCollected):
			t.Errorf("read: %d eligible roles on %s, roles %s; want 1, collected", eligible, ids[0], status)
		case refused && (eligible != 0 || status != snapshot.StatusForbidden):
			t.Errorf("refused: %d eligible roles, roles %s; want none, forbidden", eligible, status)
		}
	}
}

// A scan stopped part way (as by kill -9: the process ends between any two
// writes) and resumed ends with the same findings as one that was not.
func TestScanResumeGivesTheSameFindings(t *testing.T) {
	srv, _ := generated(t, 150)
	whole := t.TempDir()
	if _, err := Run(context.Background(), options(srv, whole)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	opts := options(srv, dir)
	opts.Progress = func(p Progress) {
		if p.Done >= 60 {
			cancel()
		}
	}
	if _, err := Run(ctx, opts); err == nil {
		t.Fatal("the stopped scan did not say it stopped")
	}
	// A kill can leave half a line: simulate one.
	f, err := os.OpenFile(filepath.Join(dir, "snapshots.jsonl"), os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"schemaVersion": "closeout.snapshot/v1", "user": {"id": "half`)
	f.Close()
	partial := lines(t, filepath.Join(dir, "checkpoint.log"))
	opts = options(srv, dir)
	opts.Resume = true
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed != partial || res.Resumed < 60 {
		t.Errorf("resumed %d, the checkpoint had %d", res.Resumed, partial)
	}
	sameFindings(t, whole, "uninterrupted", dir, "resumed")
}

func lines(t *testing.T, path string) int {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return n
}

// Three shards then Merge give the findings of one unsharded scan, each
// account once.
func TestShardsMergeToTheWholeScan(t *testing.T) {
	srv, tenant := generated(t, 150)
	whole := t.TempDir()
	if _, err := Run(context.Background(), options(srv, whole)); err != nil {
		t.Fatal(err)
	}
	var dirs []string
	total := 0
	for i := range 3 {
		dir := t.TempDir()
		opts := options(srv, dir)
		opts.Shard, opts.Shards = i, 3
		first := -1
		opts.Progress = func(p Progress) {
			if first < 0 && p.Total > 0 {
				first = p.Total
			}
		}
		res, err := Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		// The progress counts this shard's members, not the tenant (about
		// a third of its members; exact once listed).
		if third := len(members(tenant)) / 3; first < third*2/3 || first > third*4/3 || res.Total != res.Done {
			t.Errorf("shard %d: progress total %d at first (about %d), %d at the end for %d written", i, first, third, res.Total, res.Done)
		}
		total += res.Done
		dirs = append(dirs, dir)
	}
	if total != len(members(tenant)) {
		t.Fatalf("the shards read %d accounts, the tenant has %d", total, len(members(tenant)))
	}
	merged := filepath.Join(t.TempDir(), "merged")
	res, err := Merge(merged, dirs, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	man, err := ReadManifest(merged)
	if res.Accounts != total || err != nil || man.Finished == nil || man.Accounts != total || len(man.Merged) != 3 || man.Partial() != "" {
		t.Errorf("merged %d accounts, want %d; manifest %+v, %v", res.Accounts, total, man, err)
	}
	sameFindings(t, whole, "whole", merged, "merged")

	// What is not one night's whole scan is refused, each problem named.
	unfinished := t.TempDir()
	copyDir(t, dirs[1], unfinished)
	m1, _ := ReadManifest(unfinished)
	m1.Finished = nil
	writeManifest(unfinished, m1)
	otherNight := t.TempDir()
	copyDir(t, dirs[1], otherNight)
	m2, _ := ReadManifest(otherNight)
	m2.Started = m2.Started.Add(24 * time.Hour)
	writeManifest(otherNight, m2)
	for _, c := range []struct {
		name string
		dirs []string
		want string
	}{
		{"one shard of three", dirs[:1], "shards 1/3, 2/3 of 3 not given"},
		{"a shard given twice", []string{dirs[0], dirs[1], dirs[2], dirs[1]}, "shard 1/3 is given twice"},
		{"an unfinished shard", []string{dirs[0], unfinished, dirs[2]}, "is unfinished"},
		{"shards of two nights", []string{dirs[0], otherNight, dirs[2]}, "apart"},
		{"a whole scan", []string{whole, dirs[0]}, "not a shard"},
		{"not a scan", []string{dirs[0], t.TempDir()}, "has no scan.json"},
	} {
		out := filepath.Join(t.TempDir(), "out")
		_, err := Merge(out, c.dirs, MergeOptions{})
		var merr *MergeError
		if !errors.As(err, &merr) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want a refusal saying %q", c.name, err, c.want)
		}
		if _, statErr := os.Stat(filepath.Join(out, snapshotsName)); statErr == nil {
			t.Errorf("%s: a refused merge wrote snapshots", c.name)
		}
	}
	// --allow-partial merges a night with a shard missing and one
	// unfinished, and says which.
	partial := filepath.Join(t.TempDir(), "partial")
	res, err = Merge(partial, []string{dirs[0], unfinished}, MergeOptions{AllowPartial: true})
	if err != nil {
		t.Fatal(err)
	}
	pm, _ := ReadManifest(partial)
	if got := pm.Partial(); !strings.Contains(got, "missing shard 2/3") || !strings.Contains(got, "unfinished shard 1/3") {
		t.Errorf("partial: %q", got)
	}
}

// copyDir copies a scan directory's files.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == ".closeout.lock" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// sameFindings evaluates the snapshots of two scan directories and wants
// the same findings, account by account.
func sameFindings(t *testing.T, dirA, nameA, dirB, nameB string) {
	t.Helper()
	set, err := policies.Load(context.Background(), policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	findings := func(dir string) map[string]string {
		out := map[string]string{}
		for id, d := range readSnapshots(t, dir) {
			for _, f := range set.Evaluate(context.Background(), d).Findings {
				out[id+" "+f.PolicyID] = string(f.Status) + " " + f.Message
			}
		}
		return out
	}
	a, b := findings(dirA), findings(dirB)
	if len(a) != len(b) {
		t.Fatalf("%d findings %s, %d %s", len(a), nameA, len(b), nameB)
	}
	for k, v := range a {
		if b[k] != v {
			t.Errorf("%s: %q %s, %q %s", k, v, nameA, b[k], nameB)
		}
	}
}
