package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/payrun/payrun"
)

// Outcomes of a status update from a webhook event or a sync. Every outcome
// except UpdateDuplicate is stored in webhook_events.outcome.
const (
	// UpdateApplied means the payout's status changed.
	UpdateApplied = "applied"
	// UpdateUnchanged means the payout is known and its status stayed, because
	// it already had the status or a terminal one that may not move.
	UpdateUnchanged = "unchanged"
	// UpdateStale means the update is older (by Anton's updated_at) than the
	// status the ledger holds, so nothing of it was applied.
	UpdateStale = "stale"
	// UpdateUnknownPayout means the ledger has no payout with that id.
	UpdateUnknownPayout = "unknown_payout"
	// UpdateIgnored means the event is not about a payout.
	UpdateIgnored = "ignored"
	// UpdateDuplicate means the event id was recorded before, so nothing
	// changed.
	UpdateDuplicate = "duplicate"
)

// WebhookEvent is a verified webhook delivery to record.
type WebhookEvent struct {
	ID   string
	Type string
	// Update is the payout status the event carries, or nil for events that
	// are not about a payout.
	Update *StatusUpdate
}

// ApplyWebhookEvent records a webhook event id and applies its status update
// in one transaction, so a crash can neither lose the update nor apply it
// twice. An id recorded before returns UpdateDuplicate and changes nothing.
// Events of unknown payouts and events without a payout are recorded too.
func (l *Ledger) ApplyWebhookEvent(ctx context.Context, ev WebhookEvent) (string, error) {
	if ev.ID == "" {
		return "", errors.New("record webhook event: empty event id")
	}
	outcome := ""
	err := l.tx(ctx, func(tx *sql.Tx) error {
		var seen int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM webhook_events WHERE id = ?`, ev.ID).Scan(&seen)
		if err == nil {
			outcome = UpdateDuplicate
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("look up webhook event %s: %w", ev.ID, err)
		}

		outcome = UpdateIgnored
		payoutID, status := "", ""
		if ev.Update != nil {
			payoutID, status = ev.Update.PayoutID, ev.Update.Status
			if outcome, err = l.applyUpdateTx(ctx, tx, *ev.Update); err != nil {
				return err
			}
		}

		_, err = tx.ExecContext(ctx, `INSERT INTO webhook_events (id, type, payout_id, status, outcome,
			received_at) VALUES (?, ?, ?, ?, ?, ?)`, ev.ID, ev.Type, payoutID, status, outcome, l.stamp())
		if err != nil {
			return fmt.Errorf("record webhook event %s: %w", ev.ID, err)
		}
		return nil
	})
	return outcome, err
}

// ApplyPayoutUpdate applies a status update as UpdatePayoutStatus does, and
// also skips an update older than the recorded status. It returns
// UpdateApplied, UpdateUnchanged, UpdateStale or UpdateUnknownPayout.
func (l *Ledger) ApplyPayoutUpdate(ctx context.Context, u StatusUpdate) (string, error) {
	outcome := ""
	err := l.tx(ctx, func(tx *sql.Tx) error {
		var err error
		outcome, err = l.applyUpdateTx(ctx, tx, u)
		return err
	})
	return outcome, err
}

// applyUpdateTx compares the update's Anton updated_at with the stored one
// before it applies the update. Without that check, a reordered delivery could
// move a payout from sent back to processing, because the status rules allow
// any move between statuses that are not terminal.
func (l *Ledger) applyUpdateTx(ctx context.Context, tx *sql.Tx, u StatusUpdate) (string, error) {
	var stored string
	err := tx.QueryRowContext(ctx, `SELECT anton_updated_at FROM payouts WHERE id = ?`, u.PayoutID).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return UpdateUnknownPayout, nil
	}
	if err != nil {
		return "", fmt.Errorf("read payout %s: %w", u.PayoutID, err)
	}
	if isOlder(u.AntonUpdatedAt, stored) {
		return UpdateStale, nil
	}

	_, changed, err := l.updatePayoutStatusTx(ctx, tx, u)
	if err != nil {
		return "", err
	}
	if changed {
		return UpdateApplied, nil
	}
	return UpdateUnchanged, nil
}

// isOlder reports whether RFC 3339 time a is before b. When either does not
// parse, for example because Anton sent no updated_at, nothing is older.
func isOlder(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339Nano, a)
	tb, errB := time.Parse(time.RFC3339Nano, b)
	return errA == nil && errB == nil && ta.Before(tb)
}

// PayoutToSync is a recorded payout whose status is not final.
type PayoutToSync struct {
	ID        string
	Status    string
	CreatedAt string
}

// PayoutsToSync returns the recorded payouts whose status is not terminal,
// oldest first.
func (l *Ledger) PayoutsToSync(ctx context.Context) ([]PayoutToSync, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT id, status, created_at FROM payouts
		ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list payouts to sync: %w", err)
	}
	defer rows.Close()
	var out []PayoutToSync
	for rows.Next() {
		var p PayoutToSync
		if err := rows.Scan(&p.ID, &p.Status, &p.CreatedAt); err != nil {
			return nil, fmt.Errorf("list payouts to sync: %w", err)
		}
		if !payrun.IsTerminalStatus(p.Status) {
			out = append(out, p)
		}
	}
	return out, rows.Err()
}

// CountPayoutsCreatedSince returns how many recorded payouts were created at
// or after an RFC 3339 time.
//
// NOTE: the comparison is on the stored strings, so timestamps with a
// different number of fractional digits may sort a few nanoseconds off. Sync
// only uses the count to choose between listing and single lookups.
func (l *Ledger) CountPayoutsCreatedSince(ctx context.Context, since string) (int, error) {
	var n int
	err := l.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM payouts WHERE created_at >= ?`, since).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count payouts created since %s: %w", since, err)
	}
	return n, nil
}

// RowTotal is the number of rows and the sum of their amounts, in minor units,
// of one state and currency. Invalid rows have no currency.
type RowTotal struct {
	State       State
	Currency    string
	Rows        int
	AmountMinor int64
}

// RowTotals returns the row counts and amount sums per state and currency of
// the whole ledger, for metrics.
func (l *Ledger) RowTotals(ctx context.Context) ([]RowTotal, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT state, currency, COUNT(*), COALESCE(SUM(amount_minor), 0)
		FROM rows GROUP BY state, currency ORDER BY state, currency`)
	if err != nil {
		return nil, fmt.Errorf("sum rows by state: %w", err)
	}
	defer rows.Close()
	var out []RowTotal
	for rows.Next() {
		var t RowTotal
		if err := rows.Scan(&t.State, &t.Currency, &t.Rows, &t.AmountMinor); err != nil {
			return nil, fmt.Errorf("sum rows by state: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// PayoutStatusCounts returns the number of recorded payouts per Anton status.
func (l *Ledger) PayoutStatusCounts(ctx context.Context) (map[string]int, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM payouts GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("count payouts by status: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("count payouts by status: %w", err)
		}
		out[status] = n
	}
	return out, rows.Err()
}
