package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/payrun/payrun"
)

// StatusUpdate is a newer view of a payout, from a webhook, a sync or a lookup.
type StatusUpdate struct {
	PayoutID       string
	Status         string
	Fee            string
	FeeCurrency    string
	TotalDebited   string
	SourceAmount   string
	FailureCode    string
	FailureMessage string
	AntonUpdatedAt string
	CompletedAt    string
	FailedAt       string
	// Source names what reported it: webhook, sync or submit.
	Source string
}

// UpdatePayoutStatus applies a status update unless it would move the payout
// backwards: a terminal status is final, except completed to returned.
// It returns whether the status changed. Unknown payouts are ignored.
func (l *Ledger) UpdatePayoutStatus(ctx context.Context, u StatusUpdate) (bool, error) {
	changed := false
	err := l.tx(ctx, func(tx *sql.Tx) error {
		var err error
		_, changed, err = l.updatePayoutStatusTx(ctx, tx, u)
		return err
	})
	return changed, err
}

// updatePayoutStatusTx is UpdatePayoutStatus inside the caller's transaction.
// It returns whether the payout is recorded and whether its status changed.
func (l *Ledger) updatePayoutStatusTx(ctx context.Context, tx *sql.Tx, u StatusUpdate) (found, changed bool, err error) {
	var current string
	err = tx.QueryRowContext(ctx, `SELECT status FROM payouts WHERE id = ?`, u.PayoutID).Scan(&current)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("read payout %s: %w", u.PayoutID, err)
	}
	now := l.stamp()
	// Fees and amounts may arrive with any event; keep the latest non-empty ones.
	_, err = tx.ExecContext(ctx, `UPDATE payouts SET
		fee = CASE WHEN ? != '' THEN ? ELSE fee END,
		fee_currency = CASE WHEN ? != '' THEN ? ELSE fee_currency END,
		total_debited = CASE WHEN ? != '' THEN ? ELSE total_debited END,
		source_amount = CASE WHEN ? != '' THEN ? ELSE source_amount END,
		updated_at = ? WHERE id = ?`,
		u.Fee, u.Fee, u.FeeCurrency, u.FeeCurrency, u.TotalDebited, u.TotalDebited,
		u.SourceAmount, u.SourceAmount, now, u.PayoutID)
	if err != nil {
		return true, false, fmt.Errorf("update payout %s: %w", u.PayoutID, err)
	}
	if !payrun.CanMoveStatus(current, u.Status) {
		return true, false, nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE payouts SET status = ?, failure_code = ?, failure_message = ?,
		anton_updated_at = ?, completed_at = CASE WHEN ? != '' THEN ? ELSE completed_at END,
		failed_at = CASE WHEN ? != '' THEN ? ELSE failed_at END, status_source = ?
		WHERE id = ?`,
		u.Status, u.FailureCode, u.FailureMessage, u.AntonUpdatedAt, u.CompletedAt, u.CompletedAt,
		u.FailedAt, u.FailedAt, u.Source, u.PayoutID)
	if err != nil {
		return true, false, fmt.Errorf("update status of payout %s: %w", u.PayoutID, err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE rows SET anton_status = ?, updated_at = ?
		WHERE payout_id = ? AND state IN (?, ?)`, u.Status, now, u.PayoutID, Submitted, Duplicate)
	if err != nil {
		return true, false, fmt.Errorf("update rows of payout %s: %w", u.PayoutID, err)
	}
	return true, true, nil
}

// PayoutsNotTerminal returns the ids of recorded payouts whose status is not
// final, oldest first.
func (l *Ledger) PayoutsNotTerminal(ctx context.Context) ([]string, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT id, status FROM payouts ORDER BY recorded_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list payouts: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id, status string
		if err := rows.Scan(&id, &status); err != nil {
			return nil, fmt.Errorf("list payouts: %w", err)
		}
		if !payrun.IsTerminalStatus(status) {
			ids = append(ids, id)
		}
	}
	return ids, rows.Err()
}

// PayoutByID returns a recorded payout, or nil.
func (l *Ledger) PayoutByID(ctx context.Context, id string) (*Payout, error) {
	var p Payout
	var row sql.NullInt64
	err := l.db.QueryRowContext(ctx, `SELECT id, row_id, reference, status, source_amount,
		source_currency, dest_amount, dest_currency, fee, fee_currency, total_debited, failure_code,
		failure_message, created_at, anton_updated_at, completed_at, failed_at, status_source
		FROM payouts WHERE id = ?`, id).Scan(&p.ID, &row, &p.Reference, &p.Status, &p.SourceAmount,
		&p.SourceCurrency, &p.DestAmount, &p.DestCurrency, &p.Fee, &p.FeeCurrency, &p.TotalDebited,
		&p.FailureCode, &p.FailureMessage, &p.CreatedAt, &p.AntonUpdatedAt, &p.CompletedAt,
		&p.FailedAt, &p.StatusSource)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read payout %s: %w", id, err)
	}
	p.RowID = row.Int64
	return &p, nil
}

// AdoptPayout records a payout that Anton has and the ledger may not know, for
// example after a ledger restored from a backup. An unfinished row with the
// same reference becomes submitted with that payout, so it is never paid again.
// It returns whether the payout was new to the ledger.
func (l *Ledger) AdoptPayout(ctx context.Context, p *Payout) (bool, error) {
	adopted := false
	err := l.tx(ctx, func(tx *sql.Tx) error {
		var known string
		err := tx.QueryRowContext(ctx, `SELECT id FROM payouts WHERE id = ?`, p.ID).Scan(&known)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("look up payout %s: %w", p.ID, err)
		}
		adopted = true
		now := l.stamp()
		var rowID, amountMinor int64
		var currency string
		err = tx.QueryRowContext(ctx, `SELECT id, amount_minor, currency FROM rows
			WHERE reference = ? AND state IN (?, ?, ?, ?) LIMIT 1`,
			p.Reference, Held, Pending, Submitting, Retryable).Scan(&rowID, &amountMinor, &currency)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("look up rows of reference %s: %w", p.Reference, err)
		}
		p.RowID, p.StatusSource = rowID, "adopt"
		if rowID != 0 && (p.DestCurrency != currency || !sameAmount(p.DestAmount, amountMinor, currency)) {
			// Anton's payout is not this row's: never send the row, and let a
			// person decide.
			p.RowID = 0
			if err := upsertPayout(ctx, tx, p, now); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE rows SET state = ?, payout_id = ?, anton_status = ?,
				error_code = ?, error_message = ?, updated_at = ? WHERE id = ?`,
				Conflict, p.ID, p.Status, CodeReferenceReused,
				fmt.Sprintf("Anton already has payout %s for reference %s with %s %s; re-drop this row under a new reference if it is a different payout",
					p.ID, p.Reference, p.DestAmount, p.DestCurrency), now, rowID)
			return err
		}
		if err := upsertPayout(ctx, tx, p, now); err != nil {
			return err
		}
		if rowID == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE rows SET state = ?, payout_id = ?, anton_status = ?,
			error_code = '', error_message = 'adopted: Anton already had this payout', updated_at = ?
			WHERE id = ?`, Submitted, p.ID, p.Status, now, rowID)
		if err != nil {
			return fmt.Errorf("adopt payout %s for row %d: %w", p.ID, rowID, err)
		}
		return nil
	})
	return adopted, err
}
