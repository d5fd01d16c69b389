// Package ingest reads payout files (CSV and XLSX), maps their headers to the
// canonical payout columns, normalises and validates every row, and yields a
// payrun.Instruction for each valid row together with every problem found.
//
// It makes no HTTP requests and uses no SQL. A Reader streams one file: memory grows by a
// small fixed amount per row (a hash of each reference and of each payee),
// never with the row data itself.
package ingest
