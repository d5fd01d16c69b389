#!/usr/bin/env bash
# Runs the chaos test: a real payrun process against a faulty sandbox on
# loopback, killed with SIGKILL at random moments until its file is paid.
#   scripts/chaos.sh          2,000 rows, 20 kills (about a minute on 2 cores)
#   scripts/chaos.sh --short  300 rows, 5 kills (CI)
# Extra arguments go to go test, for example -chaos.seed=42.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=2000
kills=20
if [ "${1:-}" = "--short" ]; then
	rows=300
	kills=5
	shift
fi
go test ./cmd/payrun/ -run 'TestChaos' -count=1 -v -chaos.rows="$rows" -chaos.kills="$kills" "$@"
