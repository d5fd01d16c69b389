// Package payrun holds the domain types that every stage of a payout run shares:
// validated payout instructions, money at currency scale, and beneficiary data
// whose String, Format, JSON and slog forms are masked.
//
// The stages live in sub-packages: ingest reads payout files, state is the SQLite
// ledger, submit talks to the Anton API, and reconcile writes reports. Each of them
// may import this package; this package imports none of them.
package payrun
