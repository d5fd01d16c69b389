package reconcile

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/state"
)

// DefaultStaleAfter is how long a submitted payout may keep a status that is
// not terminal before the report lists it as a discrepancy.
const DefaultStaleAfter = 72 * time.Hour

// Bucket is a number of rows and the sum of their destination amounts, a
// decimal string at the currency's scale.
type Bucket struct {
	Rows   int    `json:"rows"`
	Amount string `json:"amount"`
}

// CurrencySummary accounts for the valid rows of one destination currency.
// Requested is every valid row. It splits into Submitted (Anton has a
// payout), Rejected (Anton refused the payout), Skipped (duplicate or
// conflict rows, never sent) and Pending (not sent yet: held, pending,
// submitting or retryable). Submitted splits into Completed, Failed (failed,
// screening_failed, velocity_blocked or cancelled), Returned and InFlight
// (any status that is not terminal).
type CurrencySummary struct {
	Currency  string `json:"currency"`
	Requested Bucket `json:"requested"`
	Submitted Bucket `json:"submitted"`
	Completed Bucket `json:"completed"`
	Failed    Bucket `json:"failed"`
	Returned  Bucket `json:"returned"`
	InFlight  Bucket `json:"in_flight"`
	Rejected  Bucket `json:"rejected"`
	Skipped   Bucket `json:"skipped"`
	Pending   Bucket `json:"pending"`
	// Unclassified contains rows in a state that this version of payrun does
	// not know. Any such row fails the states check.
	Unclassified Bucket `json:"unclassified"`
}

// NamedBucket is one line of a currency summary, in report order.
type NamedBucket struct {
	Name   string
	Bucket Bucket
}

// Buckets returns the summary's lines in report order.
func (c CurrencySummary) Buckets() []NamedBucket {
	return []NamedBucket{
		{"requested", c.Requested}, {"submitted", c.Submitted}, {"completed", c.Completed},
		{"failed", c.Failed}, {"returned", c.Returned}, {"in_flight", c.InFlight},
		{"rejected", c.Rejected}, {"skipped", c.Skipped}, {"pending", c.Pending},
		{"unclassified", c.Unclassified},
	}
}

// Check is one control check of a report.
type Check struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail"`
}

// Names of the control checks.
const (
	CheckFileTotals   = "valid_total_matches_file"
	CheckFileRows     = "row_counts_match_file"
	CheckStatesSum    = "requested_equals_final_and_pending"
	CheckPayoutIDs    = "submitted_rows_have_payout_id"
	checkNotAvailable = "not checked: the ledger's file record was not available to this report"
)

// Discrepancy is a row that needs a person's attention.
type Discrepancy struct {
	// Kind is payout_failed, payout_returned, rejected, conflict, held,
	// outcome_unknown, retryable, invalid, stale_status or missing_payout_id.
	Kind        string `json:"kind"`
	FileID      string `json:"file_id"`
	Row         int    `json:"row"`
	Reference   string `json:"reference"`
	State       string `json:"state"`
	AntonStatus string `json:"anton_status"`
	PayoutID    string `json:"payout_id"`
	Amount      string `json:"amount"`
	Currency    string `json:"currency"`
	// Since is when the row or payout last changed (RFC 3339), where known.
	Since  string `json:"since"`
	Detail string `json:"detail"`
}

// Reconciliation is the summary, control checks and discrepancies of one
// file's report.
type Reconciliation struct {
	Rows        int               `json:"rows"`
	ValidRows   int               `json:"valid_rows"`
	InvalidRows int               `json:"invalid_rows"`
	Currencies  []CurrencySummary `json:"currencies"`
	Checks      []Check           `json:"checks"`
	// Passed reports whether every control check passed. Discrepancies do
	// not affect it.
	Passed        bool          `json:"passed"`
	Discrepancies []Discrepancy `json:"discrepancies"`
}

// ReportOptions tune the reconciliation part of reports.
type ReportOptions struct {
	// Now is the report time; zero means time.Now.
	Now time.Time
	// StaleAfter is the age from which a status that is not terminal is a
	// discrepancy; zero means DefaultStaleAfter.
	StaleAfter time.Duration
	// Files are the ledger's file records by id. With a record, the report
	// also checks the rows against the totals and counts recorded at ingest.
	Files map[string]*state.File
}

func (o ReportOptions) withDefaults() ReportOptions {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = DefaultStaleAfter
	}
	return o
}

// minorBucket is a Bucket in integer minor units, converted to a decimal
// string when the report is built.
type minorBucket struct {
	rows  int
	minor int64
}

func (b *minorBucket) add(r *state.ReportRow) {
	b.rows++
	b.minor += r.AmountMinor
}

func (b minorBucket) bucket(currency string) Bucket {
	return Bucket{Rows: b.rows, Amount: payrun.FormatMinor(b.minor, currency)}
}

// currencySums are the buckets of one currency in minor units.
type currencySums struct {
	requested, submitted, completed, failed, returned, inFlight minorBucket
	rejected, skipped, pending, unclassified                    minorBucket
}

// Reconcile builds the reconciliation of one file's rows. file is the ledger's
// record of the file, or nil when it is not available.
func Reconcile(rows []*state.ReportRow, file *state.File, opts ReportOptions) Reconciliation {
	opts = opts.withDefaults()
	rec := Reconciliation{Rows: len(rows), Currencies: []CurrencySummary{}, Discrepancies: []Discrepancy{}}
	sums := map[string]*currencySums{}
	for _, r := range rows {
		if r.State == state.Invalid {
			rec.InvalidRows++
		} else {
			rec.ValidRows++
			if sums[r.Currency] == nil {
				sums[r.Currency] = &currencySums{}
			}
			classify(sums[r.Currency], r)
		}
		if d, ok := discrepancyOf(r, opts); ok {
			rec.Discrepancies = append(rec.Discrepancies, d)
		}
	}
	for _, cur := range sortedKeys(sums) {
		rec.Currencies = append(rec.Currencies, sums[cur].summary(cur))
	}
	rec.Checks = checks(rows, rec, file)
	rec.Passed = true
	for _, c := range rec.Checks {
		rec.Passed = rec.Passed && c.Passed
	}
	return rec
}

// classify adds a valid row to its buckets.
func classify(s *currencySums, r *state.ReportRow) {
	s.requested.add(r)
	switch r.State {
	case state.Submitted:
		s.submitted.add(r)
		switch outcomeBucket(r.AntonStatus) {
		case "completed":
			s.completed.add(r)
		case "failed":
			s.failed.add(r)
		case "returned":
			s.returned.add(r)
		default:
			s.inFlight.add(r)
		}
	case state.Rejected:
		s.rejected.add(r)
	case state.Duplicate, state.Conflict:
		s.skipped.add(r)
	case state.Held, state.Pending, state.Submitting, state.Retryable:
		s.pending.add(r)
	default:
		s.unclassified.add(r)
	}
}

// outcomeBucket groups an Anton status: completed, failed, returned, or ""
// for a status that is not terminal.
func outcomeBucket(status string) string {
	switch status {
	case "completed":
		return "completed"
	case "returned":
		return "returned"
	case "failed", "screening_failed", "velocity_blocked", "cancelled":
		return "failed"
	}
	return ""
}

func (s *currencySums) summary(cur string) CurrencySummary {
	return CurrencySummary{
		Currency: cur, Requested: s.requested.bucket(cur), Submitted: s.submitted.bucket(cur),
		Completed: s.completed.bucket(cur), Failed: s.failed.bucket(cur),
		Returned: s.returned.bucket(cur), InFlight: s.inFlight.bucket(cur),
		Rejected: s.rejected.bucket(cur), Skipped: s.skipped.bucket(cur),
		Pending: s.pending.bucket(cur), Unclassified: s.unclassified.bucket(cur),
	}
}

// discrepancyOf returns the discrepancy of a row, if it has one.
func discrepancyOf(r *state.ReportRow, opts ReportOptions) (Discrepancy, bool) {
	d := Discrepancy{FileID: r.FileID, Row: r.RowNum, Reference: r.Reference, State: string(r.State),
		AntonStatus: r.AntonStatus, PayoutID: r.PayoutID, Currency: r.Currency, Since: r.UpdatedAt,
		Detail: joinDetail(r.ErrorCode, r.ErrorMessage)}
	if r.Currency != "" {
		d.Amount = payrun.FormatMinor(r.AmountMinor, r.Currency)
	}

	switch r.State {
	case state.Submitted:
		return submittedDiscrepancy(d, r, opts)
	case state.Rejected:
		d.Kind = "rejected"
	case state.Conflict:
		d.Kind = "conflict"
	case state.Held:
		d.Kind = "held"
	case state.Submitting:
		d.Kind = "outcome_unknown"
		d.Detail = firstNonEmpty(d.Detail, "sent, but Anton's answer was not recorded; the next run resolves it with the same idempotency key")
	case state.Retryable:
		d.Kind = "retryable"
	case state.Invalid:
		d.Kind = "invalid"
	default:
		return d, false
	}
	return d, true
}

func submittedDiscrepancy(d Discrepancy, r *state.ReportRow, opts ReportOptions) (Discrepancy, bool) {
	d.Detail = joinDetail(r.FailureCode, r.FailureMessage)
	d.Since = firstNonEmpty(r.PayoutUpdated, r.PayoutCreated, r.UpdatedAt)
	switch {
	case r.PayoutID == "":
		d.Kind = "missing_payout_id"
		d.Detail = "the row is submitted but the ledger has no payout id for it; run 'payrun sync' and check the row in Anton by reference"
	case outcomeBucket(r.AntonStatus) == "failed":
		d.Kind = "payout_failed"
	case outcomeBucket(r.AntonStatus) == "returned":
		d.Kind = "payout_returned"
	case outcomeBucket(r.AntonStatus) == "":
		since, err := time.Parse(time.RFC3339Nano, d.Since)
		if err != nil || opts.Now.Sub(since) < opts.StaleAfter {
			return d, false
		}
		d.Kind = "stale_status"
		d.Detail = fmt.Sprintf("status %s unchanged for %s (more than %s); run 'payrun sync' or ask Anton support",
			firstNonEmpty(r.AntonStatus, "unknown"), opts.Now.Sub(since).Round(time.Hour), opts.StaleAfter)
	default:
		return d, false
	}
	return d, true
}

func joinDetail(code, message string) string {
	switch {
	case code == "":
		return message
	case message == "":
		return code
	}
	return code + ": " + message
}

// checks runs the control checks of a file's rows.
func checks(rows []*state.ReportRow, rec Reconciliation, file *state.File) []Check {
	out := []Check{fileTotalsCheck(rec, file), fileRowsCheck(rec, file), statesCheck(rec)}

	missing := 0
	for _, r := range rows {
		if r.State == state.Submitted && r.PayoutID == "" {
			missing++
		}
	}
	ids := Check{Name: CheckPayoutIDs, Passed: missing == 0, Detail: "every submitted row has a payout id"}
	if missing > 0 {
		ids.Detail = fmt.Sprintf("%d submitted rows have no payout id", missing)
	}
	return append(out, ids)
}

// fileTotalsCheck compares the valid-row totals that ingest recorded with
// the sums of the rows in the ledger now.
func fileTotalsCheck(rec Reconciliation, file *state.File) Check {
	c := Check{Name: CheckFileTotals}
	if file == nil {
		c.Passed, c.Detail = true, checkNotAvailable
		return c
	}
	recorded := map[string]string{}
	if err := json.Unmarshal([]byte(firstNonEmpty(file.Totals, "{}")), &recorded); err != nil {
		c.Detail = fmt.Sprintf("the file's recorded totals %q are not valid JSON", file.Totals)
		return c
	}
	computed := map[string]string{}
	for _, cs := range rec.Currencies {
		computed[cs.Currency] = cs.Requested.Amount
	}

	var diffs []string
	for _, cur := range sortedKeys(union(recorded, computed)) {
		if !sameAmount(recorded[cur], computed[cur], cur) {
			diffs = append(diffs, fmt.Sprintf("%s recorded %s, rows sum to %s", cur,
				firstNonEmpty(recorded[cur], "nothing"), firstNonEmpty(computed[cur], "nothing")))
		}
	}
	c.Passed = len(diffs) == 0
	c.Detail = "valid rows sum to the totals recorded at ingest"
	if !c.Passed {
		c.Detail = strings.Join(diffs, "; ")
	}
	return c
}

// fileRowsCheck compares the row counts that ingest recorded with the rows
// in the ledger now.
func fileRowsCheck(rec Reconciliation, file *state.File) Check {
	c := Check{Name: CheckFileRows}
	if file == nil {
		c.Passed, c.Detail = true, checkNotAvailable
		return c
	}
	c.Passed = file.TotalRows == rec.Rows && file.ValidRows == rec.ValidRows && file.InvalidRows == rec.InvalidRows
	c.Detail = fmt.Sprintf("recorded %d rows (%d valid, %d invalid); the ledger has %d (%d valid, %d invalid)",
		file.TotalRows, file.ValidRows, file.InvalidRows, rec.Rows, rec.ValidRows, rec.InvalidRows)
	return c
}

// statesCheck checks per currency that the requested total equals the sum
// of the submitted, rejected, skipped and pending rows.
func statesCheck(rec Reconciliation) Check {
	c := Check{Name: CheckStatesSum, Passed: true,
		Detail: "requested = submitted + rejected + skipped + pending in every currency"}
	var diffs []string
	for _, cs := range rec.Currencies {
		sum := addAmounts(cs.Currency, cs.Submitted.Amount, cs.Rejected.Amount, cs.Skipped.Amount, cs.Pending.Amount)
		if cs.Unclassified.Rows > 0 || !sameAmount(sum, cs.Requested.Amount, cs.Currency) {
			diffs = append(diffs, fmt.Sprintf("%s requested %s, final and pending states sum to %s (%d rows in an unknown state)",
				cs.Currency, cs.Requested.Amount, sum, cs.Unclassified.Rows))
		}
	}
	if len(diffs) > 0 {
		c.Passed, c.Detail = false, strings.Join(diffs, "; ")
	}
	return c
}

func union(a, b map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// sameAmount compares two decimal strings in minor units of currency. An
// empty string is zero.
func sameAmount(a, b, currency string) bool {
	ma, okA := toMinor(a, currency)
	mb, okB := toMinor(b, currency)
	return okA && okB && ma == mb
}

// addAmounts sums decimal strings of one currency in minor units.
func addAmounts(currency string, amounts ...string) string {
	var total int64
	for _, a := range amounts {
		m, ok := toMinor(a, currency)
		if !ok {
			return "invalid"
		}
		total += m
	}
	return payrun.FormatMinor(total, currency)
}

// toMinor converts a decimal string to minor units of currency. The empty
// string is zero.
func toMinor(s, currency string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return 0, false
	}
	minor, err := payrun.Amount{Value: d, Currency: currency}.Minor()
	return minor, err == nil
}
