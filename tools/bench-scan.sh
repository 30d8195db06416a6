#!/usr/bin/env bash
# make bench-scan: closeout scan against the fake tenant in its own process.
#  1. 10,000 accounts, 20 ms per request, Microsoft's budgets enforced by the
#     fake (3,500 identity units and 5 report requests per 10 s, 4 requests
#     at once per mailbox, 1,000 Exchange cmdlets per 10 s): the wall time
#     next to the binding budget's floor, and requests per account.
#  2. Peak RSS of closeout scan at 10,000 and 100,000 accounts (budgets
#     lifted, so the run is about memory, not waiting).
set -euo pipefail
bin=${BIN:-bin} out=${BENCH_OUT:-out/bench-scan} port=${BENCH_PORT:-18190}
n=${SCAN_N:-10000}
mkdir -p "$out"
fakes=()
trap 'for p in "${fakes[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
start_fake() { # port args...
	local p=$1
	shift
	"$bin/closeout-fake" -listen "127.0.0.1:$p" -token bench "$@" >"$out/fake-$p.log" 2>&1 &
	fakes+=($!)
	for _ in $(seq 300); do grep -q serving "$out/fake-$p.log" 2>/dev/null && return; sleep 0.1; done
	echo "the fake tenant did not start on $p" >&2
	exit 1
}
scan() { # label port dir args...
	local label=$1 p=$2 dir=$3
	shift 3
	rm -rf "$dir"
	/usr/bin/time -f "$label: wall %e s, peak RSS %M KiB" "$bin/closeout" scan -o "$dir" --graph-url "http://127.0.0.1:$p" --token bench \
		--output "$dir.txt" "$@" 2>"$dir.log" >/dev/null || true
	grep -E '^closeout: (scanned|budgets)|wall' "$dir.log"
}

echo "== $n accounts, 20 ms per request, the throttle model on"
start_fake "$port" -generate "$n" -latency 20ms -throttle
scan "throttled $n" "$port" "$out/throttled"
echo
for m in 10000 100000; do
	p=$((port + m / 10000))
	echo "== peak RSS at $m accounts (budgets lifted)"
	start_fake "$p" -generate "$m"
	scan "$m" "$p" "$out/rss-$m" --identity-budget 100000000 --exchange-budget 100000000
done
