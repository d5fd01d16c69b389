package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/payrun/payrun"
)

// ErrStateChanged means a row was not in the state a transition expected, for
// example because another process moved it first.
var ErrStateChanged = errors.New("row state changed underneath")

// MarkSubmitting commits the intent to send a row before any request goes out:
// the row moves from pending, retryable or submitting to submitting with its
// key and the exact request body. The body of the first attempt is kept: later
// calls must pass the stored body, and a different one is an error.
func (l *Ledger) MarkSubmitting(ctx context.Context, rowID int64, key, body, runID string) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		var state State
		var storedKey, storedBody string
		err := tx.QueryRowContext(ctx, `SELECT state, idem_key, request_body FROM rows WHERE id = ?`, rowID).
			Scan(&state, &storedKey, &storedBody)
		if err != nil {
			return fmt.Errorf("read row %d: %w", rowID, err)
		}
		if state != Pending && state != Retryable && state != Submitting {
			return fmt.Errorf("mark row %d submitting from %s: %w", rowID, state, ErrStateChanged)
		}
		if storedBody != "" && (storedBody != body || storedKey != key) {
			return fmt.Errorf("mark row %d submitting: the request differs from the stored first attempt; resend the stored body", rowID)
		}
		now := l.stamp()
		_, err = tx.ExecContext(ctx, `UPDATE rows SET state = ?, idem_key = ?, request_body = ?,
			first_attempt_at = CASE WHEN first_attempt_at = '' THEN ? ELSE first_attempt_at END,
			last_attempt_at = ?, run_id = ?, updated_at = ? WHERE id = ?`,
			Submitting, key, body, now, now, runID, now, rowID)
		if err != nil {
			return fmt.Errorf("mark row %d submitting: %w", rowID, err)
		}
		return nil
	})
}

// MarkSubmitted records the payout Anton created for a row, moving the row to
// submitted in the same transaction.
func (l *Ledger) MarkSubmitted(ctx context.Context, rowID int64, p *Payout) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		now := l.stamp()
		p.RowID = rowID
		if err := upsertPayout(ctx, tx, p, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE rows SET state = ?, payout_id = ?, anton_status = ?,
			error_code = '', error_message = '', updated_at = ? WHERE id = ?`,
			Submitted, p.ID, p.Status, now, rowID)
		if err != nil {
			return fmt.Errorf("mark row %d submitted: %w", rowID, err)
		}
		return nil
	})
}

// SetRowState moves a row to state with an error code and message (both may be
// empty). Only unfinished rows move, so a late response can never undo a
// submitted row.
func (l *Ledger) SetRowState(ctx context.Context, rowID int64, state State, code, message string) error {
	res, err := l.db.ExecContext(ctx, `UPDATE rows SET state = ?, error_code = ?, error_message = ?,
		updated_at = ? WHERE id = ? AND state IN (?, ?, ?, ?)`,
		state, code, message, l.stamp(), rowID, Held, Pending, Submitting, Retryable)
	if err != nil {
		return fmt.Errorf("set row %d to %s: %w", rowID, state, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set row %d to %s: %w", rowID, state, ErrStateChanged)
	}
	return nil
}

// ResendRejected moves a row back to pending under a new key, for 'payrun
// retry --reference': a rejected row, or a later row that was recorded as
// "rejected before" because it repeats a rejected row's content. Anton created
// no payout for either, so a new key cannot pay twice. The row is tagged with
// runID so the run's report shows it.
func (l *Ledger) ResendRejected(ctx context.Context, rowID int64, newKey string, attempt int, runID string) error {
	res, err := l.db.ExecContext(ctx, `UPDATE rows SET state = ?, idem_key = ?, key_attempt = ?,
		request_body = '', first_attempt_at = '', error_code = '', error_message = '', run_id = ?,
		updated_at = ? WHERE id = ? AND (state = ? OR (state = ? AND error_code = ?))`,
		Pending, newKey, attempt, runID, l.stamp(), rowID, Rejected, Duplicate, CodeRejectedBefore)
	if err != nil {
		return fmt.Errorf("resend rejected row %d: %w", rowID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("resend row %d: %w", rowID, ErrStateChanged)
	}
	return nil
}

// SetBeneficiary stores the resolved beneficiary and instrument ids of a row.
func (l *Ledger) SetBeneficiary(ctx context.Context, rowID int64, beneficiaryID, instrumentID string) error {
	_, err := l.db.ExecContext(ctx, `UPDATE rows SET beneficiary_id = ?, instrument_id = ?,
		updated_at = ? WHERE id = ?`, beneficiaryID, instrumentID, l.stamp(), rowID)
	if err != nil {
		return fmt.Errorf("store beneficiary of row %d: %w", rowID, err)
	}
	return nil
}

// RecordAttempt appends one HTTP attempt.
func (l *Ledger) RecordAttempt(ctx context.Context, a *Attempt) error {
	if a.StartedAt == "" {
		a.StartedAt = l.stamp()
	}
	var row any
	if a.RowID != 0 {
		row = a.RowID
	}
	_, err := l.db.ExecContext(ctx, `INSERT INTO attempts (row_id, run_id, method, path, idem_key,
		request_id, http_status, error_code, error, replayed, duration_ms, started_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		row, a.RunID, a.Method, a.Path, a.Key, a.RequestID, a.HTTPStatus, a.ErrorCode, a.Error,
		a.Replayed, a.DurationMS, a.StartedAt)
	if err != nil {
		return fmt.Errorf("record attempt %s %s: %w", a.Method, a.Path, err)
	}
	return nil
}

func upsertPayout(ctx context.Context, tx *sql.Tx, p *Payout, now string) error {
	var row any
	if p.RowID != 0 {
		row = p.RowID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO payouts (id, row_id, reference, status, source_amount,
		source_currency, dest_amount, dest_currency, fee, fee_currency, total_debited, failure_code,
		failure_message, created_at, anton_updated_at, completed_at, failed_at, status_source,
		recorded_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET row_id = COALESCE(payouts.row_id, excluded.row_id),
			updated_at = excluded.updated_at`,
		p.ID, row, p.Reference, p.Status, p.SourceAmount, p.SourceCurrency, p.DestAmount,
		p.DestCurrency, p.Fee, p.FeeCurrency, p.TotalDebited, p.FailureCode, p.FailureMessage,
		p.CreatedAt, p.AntonUpdatedAt, p.CompletedAt, p.FailedAt, p.StatusSource, now, now)
	if err != nil {
		return fmt.Errorf("record payout %s: %w", p.ID, err)
	}
	return nil
}

// normaliseAmount converts a decimal string to minor units of currency, or -1
// when it does not parse.
func normaliseAmount(s, currency string) int64 {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return -1
	}
	minor, err := payrun.Amount{Value: d, Currency: currency}.Minor()
	if err != nil {
		return -1
	}
	return minor
}
