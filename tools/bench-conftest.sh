#!/usr/bin/env bash
# Compares closeout check with conftest test --all-namespaces over the same
# policy library and the same corpus of account snapshots (one file each, the
# form both read), and prints both rates and their ratio.
#   usage: tools/bench-conftest.sh CLOSEOUT CONFTEST [N]
set -euo pipefail
closeout=$1 conftest=$2 n=${3:-2000}
dir=out/bench/conftest-corpus
rm -rf "$dir"
go run ./tools/gencorpus -n "$n" -dir "$dir" testdata/snapshots/*.json

rate() { # seconds -> accounts per second
	awk -v n="$n" -v s="$1" 'BEGIN { printf "%.0f", n / s }'
}
elapsed() { # command... -> wall seconds
	local start end
	start=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || true
	end=$(date +%s.%N)
	awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}

files=("$dir"/*.json)
ours=$(elapsed "$closeout" check --format json -o out/bench/conftest-closeout.json "${files[@]}")
one=$(elapsed "$closeout" check --workers 1 --format json -o out/bench/conftest-closeout-1.json "${files[@]}")
theirs=$(elapsed "$conftest" test --all-namespaces --no-fail --output json --policy policies "${files[@]}")
echo "on $(nproc) cores ($(go env GOARCH)):"
echo "closeout check:                 $n accounts in ${ours}s = $(rate "$ours") accounts/s"
echo "closeout check --workers 1:     $n accounts in ${one}s = $(rate "$one") accounts/s"
echo "conftest test --all-namespaces: $n accounts in ${theirs}s = $(rate "$theirs") accounts/s"
awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "closeout is %.1fx faster\n", a / b }'
awk -v a="$theirs" -v b="$one" 'BEGIN { printf "closeout on one worker is %.1fx faster\n", a / b }'
