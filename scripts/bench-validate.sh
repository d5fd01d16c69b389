#!/usr/bin/env bash
# bench-validate.sh measures `payrun validate` against bare read loops over
# the same files: two encoding/csv loops for CSV (with ReuseRecord, and with
# the reader's defaults) and an excelize Rows loop for XLSX
# (internal/benchbase). It builds the binaries, writes the files into
# $BENCH_DIR (default: a new temporary directory, removed at the end), runs
# each program $REPEAT times (default 5), in turn, and prints the best wall
# time and the largest peak RSS of each as a Markdown table.
#
# Usage: scripts/bench-validate.sh
# Environment: BENCH_DIR, REPEAT, CSV_ROWS (default "100000 1000000"),
# XLSX_ROWS (default "10000 100000").
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
repeat=${REPEAT:-5}
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

# measure_all FILE NAME=COMMAND... runs every command on FILE $repeat times.
# It takes the commands in turn, so a slow minute of the machine slows all
# of them. For each it prints "NAME SECONDS RSS_KB": the best wall time and
# the largest peak RSS ("Maximum resident set size" of GNU time). A COMMAND
# is a program and its options, separated by commas. Every generated row is
# valid, so a non-zero exit is a failure.
measure_all() {
	local file=$1
	shift
	local -A best rss
	local spec name start end seconds kb
	for ((i = 0; i < repeat; i++)); do
		for spec in "$@"; do
			name=${spec%%=*}
			IFS=, read -r -a cmd <<<"${spec#*=}"
			start=$(date +%s.%N)
			/usr/bin/time -f "%M" -o "$dir/rss" "${cmd[@]}" "$file" >/dev/null
			end=$(date +%s.%N)
			seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
			kb=$(tail -n 1 "$dir/rss")
			if [[ -z "${best[$name]:-}" ]] || awk -v a="$seconds" -v b="${best[$name]}" 'BEGIN { exit !(a < b) }'; then
				best[$name]=$seconds
			fi
			if ((kb > ${rss[$name]:-0})); then
				rss[$name]=$kb
			fi
		done
	done
	for spec in "$@"; do
		name=${spec%%=*}
		echo "$name ${best[$name]} ${rss[$name]}"
	done
}

# row FORMAT ROWS FILE NAME=BASELINE... benchmarks one file against each
# baseline and prints a table row per program. A baseline's row gives
# payrun's rows per second as a fraction of the baseline's.
row() {
	local format=$1 rows=$2 file=$3
	shift 3
	local results pay_s
	results=$(measure_all "$file" "$@" "payrun validate=$bin/payrun,validate")
	pay_s=$(awk '$1 == "payrun" { print $3 }' <<<"$results")
	while read -r line; do
		awk -v f="$format" -v n="$rows" -v ps="$pay_s" -v line="$line" 'BEGIN {
			k = split(line, w, " ")
			name = w[1]; for (i = 2; i < k - 1; i++) name = name " " w[i]
			s = w[k - 1]; kb = w[k]
			ratio = (name == "payrun validate") ? "-" : sprintf("%.2f", s / ps)
			printf "| %s | %d | %s | %.3f | %.0f | %s | %.0f |\n", f, n, name, s, n / s, ratio, kb / 1024
		}'
	done <<<"$results"
}

for n in $csv_rows; do
	[[ -f "$dir/rows-$n.csv" ]] || "$bin/genfile" -rows "$n" -out "$dir/rows-$n.csv"
done
for n in $xlsx_rows; do
	[[ -f "$dir/rows-$n.xlsx" ]] || "$bin/genfile" -rows "$n" -out "$dir/rows-$n.xlsx"
done

echo "| format | rows | program | seconds | rows/s | payrun's rows/s as a fraction of this | peak RSS MB |"
echo "|---|---:|---|---:|---:|---:|---:|"
for n in $csv_rows; do
	row csv "$n" "$dir/rows-$n.csv" "csvloop=$bin/csvloop" "csvloop -plain=$bin/csvloop,-plain"
done
for n in $xlsx_rows; do
	row xlsx "$n" "$dir/rows-$n.xlsx" "xlsxloop=$bin/xlsxloop"
done
