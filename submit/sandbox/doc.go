// Package sandbox is an Anton-compatible sandbox server for tests, demos and
// benchmarks. It serves the parts of the Anton Payments v1 API that payrun
// uses from memory: beneficiaries, instruments, payouts with list filters and
// cancel, balances, the merchant, FX rates and webhooks. It enforces Anton's
// validation, error envelope and codes, idempotency keys, rolling rate limits
// and payout lifecycles, and it can inject faults.
//
// Run it in-process with New and Start (or mount Handler), or from the CLI
// with payrun sandbox. README.md in this directory lists the sandbox's own
// conventions: the fee formula, the FX table, reference prefixes, starting
// balances, lifecycle timings and faults.
package sandbox
