#!/usr/bin/env bash
# Measures payout submission against the sandbox on loopback (limit 6,000/min,
# 50 ms latency, 1% of connections dropped after the payout was created):
# payrun at the advertised limit and under a hidden 3,000/min limit, beside a
# sequential client and a naive 32-worker pool. About 6 minutes on 2 cores.
# Prints a Markdown table for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(mktemp -d)/payrun"
go build -o "$bin" ./cmd/payrun
go run ./internal/submitbench -payrun "$bin" -rows 12000 -hidden-rows 6000 -naive-rows 9000 -seq-rows 600 "$@"
