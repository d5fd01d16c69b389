package reconcile

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/state"
)

// Line is one row of a reconciliation report. The JSON names are also the CSV
// header. Amounts are decimal strings at the currency's scale.
type Line struct {
	FileID          string `json:"file_id"`
	FileName        string `json:"file_name"`
	Row             int    `json:"row"`
	Line            int    `json:"line"`
	Reference       string `json:"reference"`
	Beneficiary     string `json:"beneficiary"`
	Account         string `json:"account"`
	Email           string `json:"email"`
	ExternalRef     string `json:"external_ref"`
	Amount          string `json:"amount"`
	Currency        string `json:"currency"`
	SourceAmount    string `json:"source_amount"`
	SourceCurrency  string `json:"source_currency"`
	Fee             string `json:"fee"`
	FeeCurrency     string `json:"fee_currency"`
	TotalDebited    string `json:"total_debited"`
	Method          string `json:"method"`
	IdempotencyKey  string `json:"idempotency_key"`
	PayoutID        string `json:"payout_id"`
	State           string `json:"state"`
	AntonStatus     string `json:"anton_status"`
	ErrorCode       string `json:"error_code"`
	ErrorMessage    string `json:"error_message"`
	FailureCode     string `json:"failure_code"`
	FailureMessage  string `json:"failure_message"`
	RecordedAt      string `json:"recorded_at"`
	FirstAttemptAt  string `json:"first_attempt_at"`
	PayoutCreatedAt string `json:"payout_created_at"`
	CompletedAt     string `json:"completed_at"`
	FailedAt        string `json:"failed_at"`
	UpdatedAt       string `json:"updated_at"`
}

// lineColumns is the CSV header, in field order.
var lineColumns = []string{"file_id", "file_name", "row", "line", "reference", "beneficiary",
	"account", "email", "external_ref", "amount", "currency", "source_amount", "source_currency",
	"fee", "fee_currency", "total_debited", "method", "idempotency_key", "payout_id", "state",
	"anton_status", "error_code", "error_message", "failure_code", "failure_message",
	"recorded_at", "first_attempt_at", "payout_created_at", "completed_at", "failed_at",
	"updated_at"}

func (l *Line) values() []string {
	return []string{l.FileID, l.FileName, fmt.Sprint(l.Row), fmt.Sprint(l.Line), l.Reference,
		l.Beneficiary, l.Account, l.Email, l.ExternalRef, l.Amount, l.Currency, l.SourceAmount,
		l.SourceCurrency, l.Fee, l.FeeCurrency, l.TotalDebited, l.Method, l.IdempotencyKey,
		l.PayoutID, l.State, l.AntonStatus, l.ErrorCode, l.ErrorMessage, l.FailureCode,
		l.FailureMessage, l.RecordedAt, l.FirstAttemptAt, l.PayoutCreatedAt, l.CompletedAt,
		l.FailedAt, l.UpdatedAt}
}

// NewLine converts a ledger row. The ledger holds only masked bank details
// and emails, so nothing here can reveal them.
func NewLine(r *state.ReportRow) Line {
	amount := ""
	if r.Currency != "" {
		amount = payrun.FormatMinor(r.AmountMinor, r.Currency)
	}
	return Line{
		FileID: r.FileID, FileName: r.FileName, Row: r.RowNum, Line: r.LineNum,
		Reference: r.Reference, Beneficiary: r.BeneficiaryName, Account: r.AccountMasked,
		Email: r.EmailMasked, ExternalRef: r.ExternalRef, Amount: amount, Currency: r.Currency,
		SourceAmount: r.SourceAmount, SourceCurrency: firstNonEmpty(r.SourceCurrency, r.Row.SourceCurrency),
		Fee: r.Fee, FeeCurrency: r.FeeCurrency, TotalDebited: r.TotalDebited, Method: r.Method,
		IdempotencyKey: r.Key, PayoutID: r.PayoutID, State: string(r.State),
		AntonStatus: r.AntonStatus, ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage,
		FailureCode: r.FailureCode, FailureMessage: r.FailureMessage, RecordedAt: r.CreatedAt,
		FirstAttemptAt: r.FirstAttemptAt, PayoutCreatedAt: r.PayoutCreated,
		CompletedAt: r.CompletedAt, FailedAt: r.FailedAt, UpdatedAt: r.UpdatedAt,
	}
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// Summary counts rows and sums amounts per state and currency.
type Summary struct {
	Rows   int            `json:"rows"`
	States map[string]int `json:"states"`
	// Totals maps currency to state to the sum of destination amounts.
	Totals map[string]map[string]string `json:"totals"`
	// Valid is the sum per currency of every row that passed validation.
	Valid map[string]string `json:"valid_totals"`
}

// Summarise builds the summary of report lines. Sums run in integer minor units.
func Summarise(rows []*state.ReportRow) Summary {
	s := Summary{States: map[string]int{}, Totals: map[string]map[string]string{}, Valid: map[string]string{}}
	sums := map[string]map[string]int64{}
	valid := payrun.Totals{}
	for _, r := range rows {
		s.Rows++
		s.States[string(r.State)]++
		if r.Currency == "" || r.State == state.Invalid {
			continue
		}
		if sums[r.Currency] == nil {
			sums[r.Currency] = map[string]int64{}
		}
		sums[r.Currency][string(r.State)] += r.AmountMinor
		valid.Add(r.Currency, r.AmountMinor)
	}
	for cur, byState := range sums {
		s.Totals[cur] = map[string]string{}
		for st, minor := range byState {
			s.Totals[cur][st] = payrun.FormatMinor(minor, cur)
		}
	}
	s.Valid = valid.Strings()
	return s
}

// Document is the JSON report of one file.
type Document struct {
	GeneratedAt    string         `json:"generated_at"`
	FileID         string         `json:"file_id"`
	FileName       string         `json:"file_name"`
	Summary        Summary        `json:"summary"`
	Reconciliation Reconciliation `json:"reconciliation"`
	Rows           []Line         `json:"rows"`
}

// WriteCSV writes report lines as CSV, with text cells neutralised against
// formula injection.
func WriteCSV(w io.Writer, rows []*state.ReportRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(lineColumns); err != nil {
		return err
	}
	for _, r := range rows {
		line := NewLine(r)
		values := line.values()
		for i, v := range values {
			if !numericColumn[lineColumns[i]] || !isDecimal(v) {
				values[i] = NeutraliseCell(v)
			}
		}
		if err := cw.Write(values); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// numericColumn marks the CSV columns that contain numbers. A plain decimal in
// these columns stays as it is, so a spreadsheet can sum it, negative amounts
// included. Any other value, such as a fee Anton sent in an unexpected form,
// is neutralised like text.
var numericColumn = map[string]bool{"row": true, "line": true, "amount": true,
	"source_amount": true, "fee": true, "total_debited": true}

// NeutraliseCell prefixes a text cell with a single quote when a spreadsheet
// would read it as a formula: a leading =, +, -, @, tab or carriage return.
func NeutraliseCell(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}

// isDecimal reports whether v is a plain decimal number such as "-12.50".
func isDecimal(v string) bool {
	if v == "" {
		return false
	}
	for i, r := range v {
		if (r < '0' || r > '9') && r != '.' && !(r == '-' && i == 0) {
			return false
		}
	}
	_, err := decimal.NewFromString(v)
	return err == nil
}

// WriteJSON writes the JSON report of one file, with a reconciliation that
// has no file record to check against (see WriteJSONReport).
func WriteJSON(w io.Writer, fileID, fileName string, rows []*state.ReportRow, now time.Time) error {
	rec := Reconcile(rows, nil, ReportOptions{Now: now})
	return WriteJSONReport(w, fileID, fileName, rows, rec, now)
}

// WriteJSONReport writes the JSON report of one file with its reconciliation.
func WriteJSONReport(w io.Writer, fileID, fileName string, rows []*state.ReportRow, rec Reconciliation, now time.Time) error {
	doc := Document{GeneratedAt: now.UTC().Format(time.RFC3339), FileID: fileID, FileName: fileName,
		Summary: Summarise(rows), Reconciliation: rec, Rows: make([]Line, 0, len(rows))}
	for _, r := range rows {
		doc.Rows = append(doc.Rows, NewLine(r))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// GroupByFile splits report rows by file, keeping their order.
func GroupByFile(rows []*state.ReportRow) (ids []string, byFile map[string][]*state.ReportRow) {
	byFile = map[string][]*state.ReportRow{}
	for _, r := range rows {
		if _, ok := byFile[r.FileID]; !ok {
			ids = append(ids, r.FileID)
		}
		byFile[r.FileID] = append(byFile[r.FileID], r)
	}
	return ids, byFile
}

// Formats are the report formats payrun writes.
var Formats = []string{"csv", "json", "xlsx"}

// ParseFormats parses a comma-separated list of report formats.
func ParseFormats(list string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(list, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		if !contains(Formats, f) {
			return nil, fmt.Errorf("unknown report format %q: use csv, json or xlsx", f)
		}
		out = append(out, f)
	}
	sort.Strings(out)
	return out, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// WriteReports writes one report per file and format below prefix, for
// example "01J…/3f2a9c1b7d4e.csv". It returns the locations written. The
// reconciliation uses the default options at time now, without file records;
// WriteReportsWith adds them.
func WriteReports(ctx context.Context, sink Sink, prefix string, rows []*state.ReportRow, formats []string, now time.Time) ([]string, error) {
	return WriteReportsWith(ctx, sink, prefix, rows, formats, ReportOptions{Now: now})
}

// WriteReportsWith writes one report per file and format below prefix, with
// the reconciliation options opts, and returns the locations written.
func WriteReportsWith(ctx context.Context, sink Sink, prefix string, rows []*state.ReportRow, formats []string, opts ReportOptions) ([]string, error) {
	opts = opts.withDefaults()
	ids, byFile := GroupByFile(rows)
	var written []string
	for _, id := range ids {
		fileRows := byFile[id]
		rec := Reconcile(fileRows, opts.Files[id], opts)
		for _, format := range formats {
			name := prefix + id + "." + format
			var write func(io.Writer) error
			switch format {
			case "csv":
				write = func(w io.Writer) error { return WriteCSV(w, fileRows) }
			case "json":
				write = func(w io.Writer) error {
					return WriteJSONReport(w, id, fileRows[0].FileName, fileRows, rec, opts.Now)
				}
			case "xlsx":
				write = func(w io.Writer) error { return WriteXLSXReport(w, id, fileRows, rec, opts.Now) }
			default:
				return written, fmt.Errorf("unknown report format %q: use csv, json or xlsx", format)
			}
			if err := sink.Put(ctx, name, write); err != nil {
				return written, fmt.Errorf("write %s report of file %s: %w", format, id, err)
			}
			written = append(written, sink.Location(name))
		}
	}
	return written, nil
}
