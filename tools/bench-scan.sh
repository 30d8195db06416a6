#!/usr/bin/env bash
# make bench-scan: closeout scan against the fake tenant in its own process,
# with 20 ms per request, on Microsoft as it behaves rather than as the scan
# is told:
#  1. budgets the scan is not told: Exchange at 250, 600 and 2,000 cmdlets
#     per 10 s (the scan starts at 1,000), and Graph's identity budget at
#     half of Microsoft's (another app spending the rest); for each, the
#     wall time against the floor of the budget actually in force, and the
#     share of requests refused;
#  2. faults on every kind of request (1% connections reset, 5% answered
#     503), and a 60 s Exchange outage mid-scan: every account once, no
#     section in error, findings identical to a clean scan, and the time
#     the outage cost;
#  3. --timeout firing mid-scan, then --resume: findings identical;
#  4. peak RSS at 10,000 and 100,000 accounts (budgets lifted).
# SCAN_N (default 1000) accounts for 1-3; SKIP_RSS=1 skips 4.
set -euo pipefail
bin=${BIN:-bin} out=${BENCH_OUT:-out/bench-scan} port=${BENCH_PORT:-18190}
n=${SCAN_N:-1000}
mkdir -p "$out"
fake_pid=
trap '[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null || true' EXIT
start_fake() { # args...
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null || true
	port=$((port + 1))
	"$bin/closeout-fake" -listen "127.0.0.1:$port" -token bench "$@" >"$out/fake-$port.log" 2>&1 &
	fake_pid=$!
	for _ in $(seq 300); do grep -q serving "$out/fake-$port.log" 2>/dev/null && return; sleep 0.1; done
	echo "the fake tenant did not start on $port" >&2
	exit 1
}
scan() { # dir args...: the scan's wall time in $wall
	local dir=$1
	shift
	rm -rf "$dir"
	local t0 t1
	t0=$(date +%s.%N)
	"$bin/closeout" scan -o "$dir" --graph-url "http://127.0.0.1:$port" --token bench "$@" 2>"$dir.log" >/dev/null || true
	t1=$(date +%s.%N)
	wall=$(echo "$t1 - $t0" | bc)
}
same() { # a b: whether two scans found the same
	local line
	line=$("$bin/closeout" diff "$1" "$2" 2>/dev/null | grep -E 'newly failing' | tail -1 || true)
	case "$line" in
	"0 newly failing, 0 fixed, 0 other changes"*) echo "findings identical" ;;
	*) echo "FINDINGS DIFFER: $line" ;;
	esac
}
errors() { # dir: sections written in error
	grep -o '"status":"error"' "$1/snapshots.jsonl" 2>/dev/null | wc -l
}
report() { # label dir budget per-second
	local label=$1 dir=$2 budget=$3 per=$4 line units throttled floor
	line=$(grep -E '^closeout: budgets spent' "$dir.log" | head -1)
	units=$(echo "$line" | sed -n "s/.* $budget \([0-9]*\) (told.*/\1/p")
	throttled=$(echo "$line" | sed -n "s/.* $budget [0-9]* (told[^)]*, \([0-9]*\) throttled.*/\1/p")
	throttled=${throttled:-0}
	floor=$(echo "scale=1; $units / $per" | bc)
	printf '%-46s wall %6.1f s, floor %6.1f s (%s %s at %g/s): %.2fx; %s refused (%.2f%%)\n' "$label" "$wall" "$floor" "$units" "$budget" "$per" \
		"$(echo "$wall / $floor" | bc -l)" "$throttled" "$(echo "100 * $throttled / $units" | bc -l)"
}

echo "== $n accounts, 20 ms per request: budgets the scan is not told"
for b in 250 600 2000; do
	start_fake -generate "$n" -latency 20ms -exchange-budget "$b"
	scan "$out/exchange-$b"
	report "Exchange $b per 10 s (told nothing; starts at 1,000)" "$out/exchange-$b" exchange "$(echo "$b / 10" | bc -l)"
done
# Graph's identity budget binds only past a few thousand accounts (about
# one unit each): ten times as many, Exchange's budget lifted; Microsoft's
# budget for such a tenant is 8,000 units per 10 s, half of it 4,000.
start_fake -generate "$((10 * n))" -latency 20ms -identity-budget 4000 -exchange-budget 1000000
scan "$out/identity-half" --exchange-budget 1000000
report "Graph identity at half its budget, $((10 * n)) accounts" "$out/identity-half" identity 400
echo

echo "== $n accounts, 20 ms per request: faults, an outage, a deadline"
start_fake -generate "$n" -latency 20ms -throttle
scan "$out/clean"
clean=$wall
printf '%-46s wall %6.1f s\n' "no faults" "$clean"
start_fake -generate "$n" -latency 20ms -throttle -faults 'reset=0.01,503=0.05'
scan "$out/faults"
printf '%-46s wall %6.1f s; %s; %s sections in error\n' "1% resets, 5% 503 on every request" "$wall" "$(same "$out/clean" "$out/faults")" "$(errors "$out/faults")"
start_fake -generate "$n" -latency 20ms -throttle -faults 'outage-exchange=20s+60s'
scan "$out/outage"
printf '%-46s wall %6.1f s (%+.1f s beside the clean scan); %s; %s sections in error\n' "a 60 s Exchange outage from 20 s in" "$wall" \
	"$(echo "$wall - $clean" | bc -l)" "$(same "$out/clean" "$out/outage")" "$(errors "$out/outage")"
start_fake -generate "$n" -latency 20ms -throttle
scan "$out/deadline" --timeout 15s
first=$wall
written=$(grep -c '^done' "$out/deadline/checkpoint.log" || true)
"$bin/closeout" scan -o "$out/deadline" --resume --graph-url "http://127.0.0.1:$port" --token bench -q >/dev/null 2>"$out/deadline-resume.log" || true
printf '%-46s %s accounts by the deadline (%.1f s), %s sections in error; resumed: %s\n' "--timeout 15s, then --resume" "$written" "$first" \
	"$(errors "$out/deadline")" "$(same "$out/clean" "$out/deadline")"
echo

if [ "${SKIP_RSS:-}" = 1 ]; then exit 0; fi
for m in 10000 100000; do
	echo "== peak RSS at $m accounts (budgets lifted)"
	start_fake -generate "$m"
	rm -rf "$out/rss-$m"
	/usr/bin/time -f "$m accounts: wall %e s, peak RSS %M KiB" "$bin/closeout" scan -o "$out/rss-$m" --graph-url "http://127.0.0.1:$port" --token bench \
		--identity-budget 100000000 --exchange-budget 100000000 -q >/dev/null 2>"$out/rss-$m.log" || true
	grep -E 'wall' "$out/rss-$m.log"
done
