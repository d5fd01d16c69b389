#!/usr/bin/env bash
# bench-validate.sh measures `payrun validate` against bare read loops over
# the same files: an encoding/csv loop for CSV and an excelize Rows loop for
# XLSX (internal/benchbase). It builds the binaries, writes the files into
# $BENCH_DIR (default: a new temporary directory, removed at the end), runs
# each program $REPEAT times (default 3), alternating, and prints the best
# wall time and the largest peak RSS of each as a Markdown table.
#
# Usage: scripts/bench-validate.sh
# Environment: BENCH_DIR, REPEAT, CSV_ROWS (default "100000 1000000"),
# XLSX_ROWS (default "10000 100000").
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
repeat=${REPEAT:-3}
csv_rows=${CSV_ROWS:-"100000 1000000"}
xlsx_rows=${XLSX_ROWS:-"10000 100000"}

if [[ ! -x /usr/bin/time ]]; then
	echo "bench-validate: /usr/bin/time (GNU time) is missing; install it with: apt-get install time" >&2
	exit 2
fi

if [[ -n "${BENCH_DIR:-}" ]]; then
	dir=$BENCH_DIR
	mkdir -p "$dir"
else
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
fi
bin=$dir/bin
mkdir -p "$bin"

echo "building into $bin" >&2
(cd "$repo" && go build -o "$bin/payrun" ./cmd/payrun &&
	go build -o "$bin/genfile" ./internal/benchbase/genfile &&
	go build -o "$bin/csvloop" ./internal/benchbase/csvloop &&
	go build -o "$bin/xlsxloop" ./internal/benchbase/xlsxloop)

# measure PROGRAM ARGS... prints "SECONDS RSS_KB": the best wall time and the
# largest peak RSS ("Maximum resident set size" of GNU time) over $repeat
# runs. Every generated row is valid, so a non-zero exit is a failure.
measure() {
	local best="" rss=0 start end seconds kb
	for ((i = 0; i < repeat; i++)); do
		start=$(date +%s.%N)
		/usr/bin/time -f "%M" -o "$dir/rss" "$@" >/dev/null
		end=$(date +%s.%N)
		seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
		kb=$(tail -n 1 "$dir/rss")
		if [[ -z "$best" ]] || awk -v a="$seconds" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$seconds
		fi
		((kb > rss)) && rss=$kb
	done
	echo "$best $rss"
}

# row FORMAT ROWS FILE BASELINE... benchmarks one file and prints two table rows.
row() {
	local format=$1 rows=$2 file=$3
	shift 3
	local base_s base_kb pay_s pay_kb
	read -r base_s base_kb <<<"$(measure "$@" "$file")"
	read -r pay_s pay_kb <<<"$(measure "$bin/payrun" validate "$file")"
	awk -v f="$format" -v n="$rows" -v bs="$base_s" -v bk="$base_kb" -v ps="$pay_s" -v pk="$pay_kb" -v b="$(basename "$1")" 'BEGIN {
		brate = n / bs; prate = n / ps
		printf "| %s | %d | %s | %.3f | %.0f | 1.00 | %.0f |\n", f, n, b, bs, brate, bk / 1024
		printf "| %s | %d | payrun validate | %.3f | %.0f | %.2f | %.0f |\n", f, n, ps, prate, prate / brate, pk / 1024
	}'
}

for n in $csv_rows; do
	[[ -f "$dir/rows-$n.csv" ]] || "$bin/genfile" -rows "$n" -out "$dir/rows-$n.csv"
done
for n in $xlsx_rows; do
	[[ -f "$dir/rows-$n.xlsx" ]] || "$bin/genfile" -rows "$n" -out "$dir/rows-$n.xlsx"
done

echo "| format | rows | program | seconds | rows/s | ratio to baseline | peak RSS MB |"
echo "|---|---:|---|---:|---:|---:|---:|"
for n in $csv_rows; do
	row csv "$n" "$dir/rows-$n.csv" "$bin/csvloop"
done
for n in $xlsx_rows; do
	row xlsx "$n" "$dir/rows-$n.xlsx" "$bin/xlsxloop"
done
