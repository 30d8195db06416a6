#!/usr/bin/env bash
# Fails when git tracks a build output: an executable binary (ELF, Mach-O,
# PE) anywhere, or an executable file that is not one of the scripts below.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
scripts='^(\.ci/run|tools/[^/]+\.sh)$'
while IFS= read -r -d '' entry; do
	mode=${entry%% *}
	path=${entry#*$'\t'}
	[ -f "$path" ] || continue
	magic=$(head -c 4 "$path" | od -An -tx1 | tr -d ' \n')
	case "$magic" in
	7f454c46 | cffaedfe | cefaedfe | feedface | feedfacf | 4d5a*)
		echo "tracked binary: $path (build outputs stay out of git)" >&2
		status=1
		continue
		;;
	esac
	if [ "$mode" = 100755 ] && ! [[ "$path" =~ $scripts ]]; then
		echo "tracked executable: $path (only .ci/run and tools/*.sh may be executable)" >&2
		status=1
	fi
done < <(git ls-files -s -z | sed -z 's/^\([0-9]*\) [0-9a-f]* [0-9]\t/\1 \t/')
exit $status
