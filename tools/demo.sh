#!/usr/bin/env bash
# make demo: a fake Microsoft 365 tenant on loopback, the Graph and Exchange
# collectors reading two accounts and the tenant's settings from it (the
# real Graph SDK), and the checks over them and the bundled scenario
# snapshots, written as reports a person can read.
set -euo pipefail
bin=${BIN:-bin} out=${DEMO_OUT:-out/demo} port=${DEMO_PORT:-18089}
mkdir -p "$out"
"$bin/closeout-fake" -tenant testdata/tenants/contoso.json -listen "127.0.0.1:$port" -token demo-token >"$out/fake.log" 2>&1 &
fake=$!
trap 'kill $fake 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q serving "$out/fake.log" 2>/dev/null && break; sleep 0.1; done
graph=(--graph-url "http://127.0.0.1:$port" --token demo-token)

echo "== closeout collect: bob@contoso.com, phished 2026-11-20, nothing remediated yet"
"$bin/closeout" collect --user bob@contoso.com --incident-id INC-4711 --incident-start 2026-11-20T08:00:00Z \
	--detected-at 2026-11-21T09:30:00Z --indicator-ip 203.0.113.7 "${graph[@]}" -o "$out/bob.json"
echo "== closeout collect: alice@contoso.com, posture"
"$bin/closeout" collect --user alice@contoso.com "${graph[@]}" -o "$out/alice.json"
echo "== closeout collect: the tenant's settings"
"$bin/closeout" collect --tenant "${graph[@]}" -o "$out/tenant.json"
echo
echo "== closeout check: the collected accounts"
status=0
"$bin/closeout" check "$out/bob.json" "$out/alice.json" "$out/tenant.json" -o - -o html="$out/collected.html" -o markdown="$out/collected.md" || status=$?
echo "(closeout exited $status: 1 means blocking findings, as expected for bob)"
echo
echo "== closeout check: the bundled scenario snapshots"
"$bin/closeout" check testdata/snapshots/*.json -o html="$out/scenarios.html" -o json="$out/scenarios.json" -o markdown="$out/scenarios.md" >/dev/null || true
echo "reports written:"
ls -1 "$out"/*.html "$out"/*.md "$out"/*.json | sed 's/^/  /'
