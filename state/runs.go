package state

import (
	"context"
	"fmt"
)

// StartRun records the start of a run (or of retry and release, which also
// submit).
func (l *Ledger) StartRun(ctx context.Context, id, command string) error {
	_, err := l.db.ExecContext(ctx, `INSERT INTO runs (id, command, started_at) VALUES (?, ?, ?)`,
		id, command, l.stamp())
	if err != nil {
		return fmt.Errorf("record run %s: %w", id, err)
	}
	return nil
}

// FinishRun records the end of a run with its exit code and JSON summary.
func (l *Ledger) FinishRun(ctx context.Context, id string, exitCode int, summary string) error {
	_, err := l.db.ExecContext(ctx, `UPDATE runs SET finished_at = ?, exit_code = ?, summary = ?
		WHERE id = ?`, l.stamp(), exitCode, summary, id)
	if err != nil {
		return fmt.Errorf("record end of run %s: %w", id, err)
	}
	return nil
}

// ReleaseBalanceHolds moves rows held for insufficient balance back to
// pending in files that are not held, so each run checks the balance again.
func (l *Ledger) ReleaseBalanceHolds(ctx context.Context) (int64, error) {
	return l.ReleaseRowHolds(ctx, HoldBalance)
}

// ReleaseRowHolds moves rows held with the given code back to pending in
// files that are not held.
func (l *Ledger) ReleaseRowHolds(ctx context.Context, code string) (int64, error) {
	res, err := l.db.ExecContext(ctx, `UPDATE rows SET state = ?, error_code = '', error_message = '',
		updated_at = ? WHERE state = ? AND error_code = ? AND file_id IN
		(SELECT id FROM files WHERE status = ?)`, Pending, l.stamp(), Held, code, FileActive)
	if err != nil {
		return 0, fmt.Errorf("release rows held for %s: %w", code, err)
	}
	return res.RowsAffected()
}

// RunExists reports whether the ledger has a run with this id.
func (l *Ledger) RunExists(ctx context.Context, id string) (bool, error) {
	var n int
	if err := l.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM runs WHERE id = ?`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("look up run %s: %w", id, err)
	}
	return n > 0, nil
}
