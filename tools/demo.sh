#!/usr/bin/env bash
# make demo: the main job on a fake Microsoft 365 tenant on loopback. The
# Graph and Exchange collectors (the real Graph SDK) read two accounts of
# incident INC-5000 and closeout verify says whether each ticket may close:
# Carol was remediated correctly, Frank's attacker still has a forwarding
# rule, Ivan's left outsiders that do not look like ones (a mail contact from
# the address book, a guest, a mail user with a tenant address) and
# persistence beyond the mailbox. Then a posture check of the tenant's
# settings, with the partner connector the organisation vouches for. Then
# two nights of the posture program on a generated tenant of 500 accounts
# that changes between them: a scan each night, diff (fixed and new),
# history (time to fix) and the HTML report with its trend. Reports a
# person can read, and the evidence directories, land in out/demo.
set -euo pipefail
bin=${BIN:-bin} out=${DEMO_OUT:-out/demo} port=${DEMO_PORT:-18089}
mkdir -p "$out"
rm -rf "$out"/INC-5000-*
"$bin/closeout-fake" -tenant testdata/tenants/contoso.json -listen "127.0.0.1:$port" -token demo-token >"$out/fake.log" 2>&1 &
fake=$!
trap 'kill $fake 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q serving "$out/fake.log" 2>/dev/null && break; sleep 0.1; done
if ! kill -0 "$fake" 2>/dev/null || ! grep -q serving "$out/fake.log"; then
	# Another process on the port would answer in the fake's place.
	echo "make demo: the fake tenant did not start on 127.0.0.1:$port (set DEMO_PORT to another port):" >&2
	cat "$out/fake.log" >&2
	exit 1
fi
graph=(--graph-url "http://127.0.0.1:$port" --token demo-token)
incident=(--incident-id INC-5000 --incident-start 2026-11-20T08:00:00Z --detected-at 2026-11-21T09:30:00Z
	--indicator-ip 203.0.113.7 --attestations testdata/attestations/INC-5000.yaml)

for user in carol frank ivan; do
	echo "== closeout verify --user $user@contoso.com ${incident[*]:0:2} ..."
	status=0
	"$bin/closeout" verify --user "$user@contoso.com" "${incident[@]}" "${graph[@]}" \
		--evidence-dir "$out/INC-5000-$user" || status=$?
	echo "(closeout verify exited $status: 0 means the ticket may close)"
	echo
done

echo "== closeout collect --tenant, then check: the tenant's posture"
"$bin/closeout" collect --tenant "${graph[@]}" -o "$out/tenant.json"
"$bin/closeout" check --partners testdata/partners.yaml "$out/tenant.json" -o - -o html="$out/tenant.html" || true
"$bin/closeout" check testdata/snapshots/*.json -o html="$out/scenarios.html" -o markdown="$out/scenarios.md" >/dev/null || true
echo

# Two nights of the scheduled scan: each night a new directory; between
# them the tenant fixes some exposures and gains one (each change in its
# audit log, as an administrator's cmdlet).
rm -rf "$out/nights" && mkdir -p "$out/nights"
night_port=$((port + 1))
for night in 1 2; do
	"$bin/closeout-fake" -generate 500 -seed 7 -night "$night" -listen "127.0.0.1:$night_port" -token demo-token >"$out/nights/fake-$night.log" 2>&1 &
	nightly=$!
	for _ in $(seq 50); do grep -q serving "$out/nights/fake-$night.log" 2>/dev/null && break; sleep 0.1; done
	grep -h '^night' "$out/nights/fake-$night.log" || true
	# Night two builds on night one: it reads the change feeds and only
	# the accounts they (and the tenant-wide lists) name, and carries the rest.
	since=()
	[ "$night" -gt 1 ] && since=(--since "$out/nights/$((night - 1))")
	echo "== night $night: closeout scan -o $out/nights/$night ${since[*]} --history $out/nights/history.db --fail-on none"
	"$bin/closeout" scan -o "$out/nights/$night" "${since[@]}" --history "$out/nights/history.db" --fail-on none \
		--graph-url "http://127.0.0.1:$night_port" --token demo-token --output html="$out/nights/night-$night.html"
	kill "$nightly" 2>/dev/null || true
	wait "$nightly" 2>/dev/null || true
done
echo "== closeout diff: what changed between the nights"
"$bin/closeout" diff "$out/nights/1" "$out/nights/2" || true
echo "== closeout history: open exposures and time to fix"
"$bin/closeout" history "$out/nights/history.db" --limit 10
echo

# A policy change under review: CO-PROTO-001 would stop judging POP.
# policy diff evaluates last night's accounts under both libraries and
# lists every account the change flips, before anyone merges it.
rm -rf "$out/policy-change" && cp -r policies "$out/policy-change" && find "$out/policy-change" -type f ! -name "*.rego" -delete
sed -i '/"pop": "POP",/d' "$out/policy-change/mail/legacy_protocols.rego"
echo "== closeout policy diff: what a change to CO-PROTO-001 (POP no longer judged) would flip"
"$bin/closeout" policy diff --base policies --head "$out/policy-change" --corpus "$out/nights/2/snapshots.jsonl" \
	--allow-changes -o "$out/policy-diff.txt"
"$bin/closeout" policy diff --base policies --head "$out/policy-change" --corpus "$out/nights/2/snapshots.jsonl" \
	--allow-changes -f markdown -o "$out/policy-diff.md"
sed -n '2,3p;6,11p' "$out/policy-diff.txt"
echo "  ... (the whole list: $out/policy-diff.txt)"
echo
echo "open these:"
for f in "$out"/INC-5000-*/report.html "$out"/tenant.html "$out"/nights/night-2.html "$out"/policy-diff.md; do
	echo "  $f"
done
echo "(verify's evidence and the other reports are beside them in $out)"
