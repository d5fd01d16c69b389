package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

const rowColumns = `id, file_id, row_num, line_num, reference, state, idem_key, key_attempt,
	content_hash, amount_minor, currency, source_currency, method, purpose, beneficiary_id,
	instrument_id, external_ref, bank_fingerprint, beneficiary_name, account_masked, email_masked,
	request_body, payout_id, anton_status, error_code, error_message, problems,
	COALESCE(related_row, 0), first_attempt_at, last_attempt_at, run_id, created_at, updated_at`

func scanRow(s interface{ Scan(...any) error }) (*Row, error) {
	var r Row
	err := s.Scan(&r.ID, &r.FileID, &r.RowNum, &r.LineNum, &r.Reference, &r.State, &r.Key,
		&r.KeyAttempt, &r.ContentHash, &r.AmountMinor, &r.Currency, &r.SourceCurrency, &r.Method,
		&r.Purpose, &r.BeneficiaryID, &r.InstrumentID, &r.ExternalRef, &r.BankFingerprint,
		&r.BeneficiaryName, &r.AccountMasked, &r.EmailMasked, &r.RequestBody, &r.PayoutID,
		&r.AntonStatus, &r.ErrorCode, &r.ErrorMessage, &r.Problems, &r.RelatedRow,
		&r.FirstAttemptAt, &r.LastAttemptAt, &r.RunID, &r.CreatedAt, &r.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// Reference-rule error codes stored on rows that the ledger does not send.
const (
	CodeAlreadySubmitted = "already_submitted"
	CodeRejectedBefore   = "rejected_before"
	CodeReferenceReused  = "reference_conflict"
)

// RecordRows inserts rows of one file in a single transaction. Rows given as
// Pending are checked against earlier rows with the same reference:
//   - an earlier row that may be or was sent, with the same content, makes the
//     new row a Duplicate of it;
//   - such an earlier row with other content makes it a Conflict;
//   - an earlier Rejected row with the same content makes it a Duplicate coded
//     rejected_before, which 'payrun retry --reference' can resend;
//   - an earlier Invalid row, or a Rejected one with other content, leaves the
//     new row Pending: this is how a corrected re-drop gets paid.
//
// Payouts that the ledger adopted from Anton without a row count as sent rows.
// The rows' ID, State and related fields are updated in place.
func (l *Ledger) RecordRows(ctx context.Context, rows []*Row) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		now := l.stamp()
		for _, r := range rows {
			if r.State == Pending {
				if err := l.applyReferenceRules(ctx, tx, r); err != nil {
					return err
				}
			}
			if err := insertRow(ctx, tx, r, now); err != nil {
				return err
			}
		}
		return nil
	})
}

func (l *Ledger) applyReferenceRules(ctx context.Context, tx *sql.Tx, r *Row) error {
	earlier, err := scanRow(tx.QueryRowContext(ctx, `SELECT `+rowColumns+` FROM rows
		WHERE reference = ? AND state IN (?, ?, ?, ?, ?) LIMIT 1`,
		r.Reference, Held, Pending, Submitting, Submitted, Retryable))
	switch {
	case err == nil:
		r.RelatedRow = earlier.ID
		if earlier.ContentHash == r.ContentHash {
			r.State, r.PayoutID, r.AntonStatus = Duplicate, earlier.PayoutID, earlier.AntonStatus
			r.ErrorCode = CodeAlreadySubmitted
			r.ErrorMessage = fmt.Sprintf("reference %s is already in the ledger (file %s, row %d, state %s); this row is not sent again",
				r.Reference, earlier.FileID, earlier.RowNum, earlier.State)
			return nil
		}
		r.State, r.ErrorCode = Conflict, CodeReferenceReused
		r.ErrorMessage = fmt.Sprintf("reference %s is already used by file %s, row %d (state %s) with other content; cancel that payout in Anton and re-drop this row under a new reference, or fix the row",
			r.Reference, earlier.FileID, earlier.RowNum, earlier.State)
		if earlier.State == Held || earlier.State == Pending {
			r.ErrorMessage = fmt.Sprintf("reference %s is already used by file %s, row %d, which is %s and not paid; if this file replaces that one, run 'payrun discard %s' and drop this file again, else use a new reference",
				r.Reference, earlier.FileID, earlier.RowNum, earlier.State, earlier.FileID)
		}
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("check reference %s: %w", r.Reference, err)
	}

	if adopted, err := adoptedPayout(ctx, tx, r.Reference); err != nil {
		return err
	} else if adopted != nil {
		return matchAdopted(r, adopted)
	}

	rejected, err := scanRow(tx.QueryRowContext(ctx, `SELECT `+rowColumns+` FROM rows
		WHERE reference = ? AND state = ? AND content_hash = ? ORDER BY id DESC LIMIT 1`,
		r.Reference, Rejected, r.ContentHash))
	switch {
	case err == nil:
		r.State, r.RelatedRow, r.ErrorCode = Duplicate, rejected.ID, CodeRejectedBefore
		r.ErrorMessage = fmt.Sprintf("the same payout was rejected before (file %s, row %d: %s %s); fix the row, or run 'payrun retry --reference %s' to send it again",
			rejected.FileID, rejected.RowNum, rejected.ErrorCode, rejected.ErrorMessage, r.Reference)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("check rejected rows of reference %s: %w", r.Reference, err)
	}
	return nil
}

// adoptedPayout returns a payout recorded without a row (adopted from Anton's
// list) that carries the reference, or nil.
func adoptedPayout(ctx context.Context, tx *sql.Tx, reference string) (*Payout, error) {
	var p Payout
	err := tx.QueryRowContext(ctx, `SELECT id, status, dest_amount, dest_currency FROM payouts
		WHERE reference = ? AND row_id IS NULL LIMIT 1`, reference).
		Scan(&p.ID, &p.Status, &p.DestAmount, &p.DestCurrency)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("check adopted payouts of reference %s: %w", reference, err)
	}
	return &p, nil
}

// matchAdopted marks a new row whose reference Anton already paid: a Duplicate
// when the amount and currency agree, else a Conflict.
func matchAdopted(r *Row, p *Payout) error {
	r.PayoutID, r.AntonStatus = p.ID, p.Status
	if p.DestCurrency == r.Currency && sameAmount(p.DestAmount, r.AmountMinor, r.Currency) {
		r.State, r.ErrorCode = Duplicate, CodeAlreadySubmitted
		r.ErrorMessage = fmt.Sprintf("Anton already has payout %s for reference %s; this row is not sent again", p.ID, r.Reference)
		return nil
	}
	r.State, r.ErrorCode = Conflict, CodeReferenceReused
	r.ErrorMessage = fmt.Sprintf("Anton already has payout %s for reference %s with %s %s; re-drop this row under a new reference if it is a different payout",
		p.ID, r.Reference, p.DestAmount, p.DestCurrency)
	return nil
}

func insertRow(ctx context.Context, tx *sql.Tx, r *Row, now string) error {
	var related any
	if r.RelatedRow != 0 {
		related = r.RelatedRow
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO rows (file_id, row_num, line_num, reference, state,
		idem_key, key_attempt, content_hash, amount_minor, currency, source_currency, method, purpose,
		beneficiary_id, instrument_id, external_ref, bank_fingerprint, beneficiary_name,
		account_masked, email_masked, request_body, payout_id, anton_status, error_code,
		error_message, problems, related_row, run_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.FileID, r.RowNum, r.LineNum, r.Reference, r.State, r.Key, r.KeyAttempt, r.ContentHash,
		r.AmountMinor, r.Currency, r.SourceCurrency, r.Method, r.Purpose, r.BeneficiaryID,
		r.InstrumentID, r.ExternalRef, r.BankFingerprint, r.BeneficiaryName, r.AccountMasked,
		r.EmailMasked, r.RequestBody, r.PayoutID, r.AntonStatus, r.ErrorCode, r.ErrorMessage,
		r.Problems, related, r.RunID, now, now)
	if err != nil {
		return fmt.Errorf("record row %d of file %s (reference %s): %w", r.RowNum, r.FileID, r.Reference, err)
	}
	r.ID, _ = res.LastInsertId()
	r.CreatedAt, r.UpdatedAt = now, now
	return nil
}

// RowFilter selects rows. Zero fields select everything.
type RowFilter struct {
	FileID    string
	RunID     string
	Reference string
	States    []State
	// AfterID and Limit page through rows in id order.
	AfterID int64
	Limit   int
}

// Rows returns the rows that match f, in id order.
func (l *Ledger) Rows(ctx context.Context, f RowFilter) ([]*Row, error) {
	where, args := []string{"id > ?"}, []any{f.AfterID}
	if f.FileID != "" {
		where, args = append(where, "file_id = ?"), append(args, f.FileID)
	}
	if f.RunID != "" {
		where, args = append(where, "run_id = ?"), append(args, f.RunID)
	}
	if f.Reference != "" {
		where, args = append(where, "reference = ?"), append(args, f.Reference)
	}
	if len(f.States) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(f.States)), ", ")
		where = append(where, "state IN ("+marks+")")
		for _, s := range f.States {
			args = append(args, s)
		}
	}
	query := `SELECT ` + rowColumns + ` FROM rows WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id`
	if f.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query rows: %w", err)
	}
	defer rows.Close()
	var out []*Row
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, fmt.Errorf("read row: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Row returns one row by id.
func (l *Ledger) Row(ctx context.Context, id int64) (*Row, error) {
	r, err := scanRow(l.db.QueryRowContext(ctx, `SELECT `+rowColumns+` FROM rows WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("read row %d: %w", id, err)
	}
	return r, nil
}

// StateCounts returns the number of rows per state, of one file or of all
// files when fileID is empty.
func (l *Ledger) StateCounts(ctx context.Context, fileID string) (map[State]int, error) {
	query, args := `SELECT state, COUNT(*) FROM rows GROUP BY state`, []any{}
	if fileID != "" {
		query, args = `SELECT state, COUNT(*) FROM rows WHERE file_id = ? GROUP BY state`, []any{fileID}
	}
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("count rows: %w", err)
	}
	defer rows.Close()
	out := map[State]int{}
	for rows.Next() {
		var s State
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("count rows: %w", err)
		}
		out[s] = n
	}
	return out, rows.Err()
}

func sameAmount(decimalString string, minor int64, currency string) bool {
	return normaliseAmount(decimalString, currency) == minor
}
