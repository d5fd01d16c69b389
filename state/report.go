package state

import (
	"context"
	"fmt"
	"strings"
)

// ReportRow is one row with its file and payout, as reports show it.
type ReportRow struct {
	Row
	FileName       string
	FileSource     string
	SourceAmount   string
	SourceCurrency string
	Fee            string
	FeeCurrency    string
	TotalDebited   string
	FailureCode    string
	FailureMessage string
	PayoutCreated  string
	PayoutUpdated  string
	CompletedAt    string
	FailedAt       string
}

// ReportFilter selects rows for a report: one file, the files a run touched,
// or the files ingested since a time (RFC 3339). Zero fields select all.
type ReportFilter struct {
	FileID string
	RunID  string
	Since  string
}

// ReportRows returns the rows of the selected files in file and row order.
func (l *Ledger) ReportRows(ctx context.Context, f ReportFilter) ([]*ReportRow, error) {
	cols := prefixColumns(rowColumns, "r.")
	query := `SELECT ` + cols + `, f.name, f.source, COALESCE(p.source_amount, ''),
		COALESCE(p.source_currency, ''), COALESCE(p.fee, ''), COALESCE(p.fee_currency, ''),
		COALESCE(p.total_debited, ''), COALESCE(p.failure_code, ''), COALESCE(p.failure_message, ''),
		COALESCE(p.created_at, ''), COALESCE(p.anton_updated_at, ''), COALESCE(p.completed_at, ''),
		COALESCE(p.failed_at, '')
		FROM rows r JOIN files f ON f.id = r.file_id
		LEFT JOIN payouts p ON p.id = r.payout_id AND r.payout_id != ''
		WHERE 1 = 1`
	var args []any
	if f.FileID != "" {
		query, args = query+` AND r.file_id = ?`, append(args, f.FileID)
	}
	if f.RunID != "" {
		query += ` AND r.file_id IN (SELECT file_id FROM rows WHERE run_id = ? UNION SELECT id FROM files WHERE run_id = ?)`
		args = append(args, f.RunID, f.RunID)
	}
	if f.Since != "" {
		query, args = query+` AND f.ingested_at >= ?`, append(args, f.Since)
	}
	query += ` ORDER BY f.ingested_at, r.file_id, r.row_num`

	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query report rows: %w", err)
	}
	defer rows.Close()
	var out []*ReportRow
	for rows.Next() {
		var rr ReportRow
		r := &rr.Row
		err := rows.Scan(&r.ID, &r.FileID, &r.RowNum, &r.LineNum, &r.Reference, &r.State, &r.Key,
			&r.KeyAttempt, &r.ContentHash, &r.AmountMinor, &r.Currency, &r.SourceCurrency, &r.Method,
			&r.Purpose, &r.BeneficiaryID, &r.InstrumentID, &r.ExternalRef, &r.BankFingerprint,
			&r.BeneficiaryName, &r.AccountMasked, &r.EmailMasked, &r.RequestBody, &r.PayoutID,
			&r.AntonStatus, &r.ErrorCode, &r.ErrorMessage, &r.Problems, &r.RelatedRow,
			&r.FirstAttemptAt, &r.LastAttemptAt, &r.RunID, &r.CreatedAt, &r.UpdatedAt,
			&rr.FileName, &rr.FileSource, &rr.SourceAmount, &rr.SourceCurrency, &rr.Fee,
			&rr.FeeCurrency, &rr.TotalDebited, &rr.FailureCode, &rr.FailureMessage,
			&rr.PayoutCreated, &rr.PayoutUpdated, &rr.CompletedAt, &rr.FailedAt)
		if err != nil {
			return nil, fmt.Errorf("read report row: %w", err)
		}
		out = append(out, &rr)
	}
	return out, rows.Err()
}

// prefixColumns qualifies each column of a comma-separated list with a table
// alias. A COALESCE(column, default) entry gets the alias inside.
func prefixColumns(cols, prefix string) string {
	parts := strings.Split(strings.ReplaceAll(cols, "COALESCE(related_row, 0)", "COALESCE(related_row : 0)"), ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if strings.HasPrefix(p, "COALESCE(") {
			p = "COALESCE(" + prefix + strings.Replace(strings.TrimPrefix(p, "COALESCE("), " : ", ", ", 1)
		} else {
			p = prefix + p
		}
		parts[i] = p
	}
	return strings.Join(parts, ", ")
}
