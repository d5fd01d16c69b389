package state

import (
	"context"
	"database/sql"
	"fmt"
)

// Move states. A move is pending from before its copy until after the delete of
// its source. A failed move was given up and stays in the table for people to read.
const (
	MovePending = "pending"
	MoveDone    = "done"
	MoveFailed  = "failed"
)

// Move is one inbox object moved by copy and delete, such as an S3 object
// moving from inbox/ to processed/. It is recorded before the copy and marked
// done after the delete, so a run that stops in between leaves a pending move
// that the next run finishes.
type Move struct {
	ID     int64
	FileID string
	// Source and Dest are the locations before and after the move, such as
	// s3://bucket/inbox/payouts.csv and s3://bucket/processed/payouts.csv.
	Source string
	Dest   string
	// ETag is the entity tag of the source object that was recorded. A source
	// with another ETag was replaced by a new upload, so it is not deleted.
	ETag      string
	State     string
	Error     string
	RunID     string
	CreatedAt string
	UpdatedAt string
}

// StartMove records a pending move before its copy starts and sets m.ID.
func (l *Ledger) StartMove(ctx context.Context, m *Move) error {
	now := l.stamp()
	m.State, m.CreatedAt, m.UpdatedAt = MovePending, now, now
	res, err := l.db.ExecContext(ctx, `INSERT INTO moves (file_id, source, dest, etag, state,
		run_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		m.FileID, m.Source, m.Dest, m.ETag, m.State, m.RunID, now, now)
	if err != nil {
		return fmt.Errorf("record move of %s to %s: %w", m.Source, m.Dest, err)
	}
	m.ID, err = res.LastInsertId()
	if err != nil {
		return fmt.Errorf("record move of %s to %s: %w", m.Source, m.Dest, err)
	}
	return nil
}

// FinishMove marks a move done and, in the same transaction, records the
// destination as the file's location when the file was still recorded at the
// source. A sidecar such as FILE.control moves without changing the location.
func (l *Ledger) FinishMove(ctx context.Context, m *Move) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		now := l.stamp()
		_, err := tx.ExecContext(ctx, `UPDATE moves SET state = ?, error = '', updated_at = ?
			WHERE id = ?`, MoveDone, now, m.ID)
		if err != nil {
			return fmt.Errorf("finish move %d of %s: %w", m.ID, m.Source, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE files SET source = ? WHERE id = ? AND source = ?`,
			m.Dest, m.FileID, m.Source)
		if err != nil {
			return fmt.Errorf("record new location of file %s: %w", m.FileID, err)
		}
		m.State, m.Error, m.UpdatedAt = MoveDone, "", now
		return nil
	})
}

// FailMove gives a pending move up with the reason, for example because its
// source was replaced by a new upload before the copy.
func (l *Ledger) FailMove(ctx context.Context, m *Move, reason string) error {
	now := l.stamp()
	_, err := l.db.ExecContext(ctx, `UPDATE moves SET state = ?, error = ?, updated_at = ?
		WHERE id = ?`, MoveFailed, reason, now, m.ID)
	if err != nil {
		return fmt.Errorf("give up move %d of %s: %w", m.ID, m.Source, err)
	}
	m.State, m.Error, m.UpdatedAt = MoveFailed, reason, now
	return nil
}

// PendingMoves returns the moves that are not done or given up, oldest first.
func (l *Ledger) PendingMoves(ctx context.Context) ([]*Move, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT id, file_id, source, dest, etag, state, error,
		run_id, created_at, updated_at FROM moves WHERE state = ? ORDER BY id`, MovePending)
	if err != nil {
		return nil, fmt.Errorf("list pending moves: %w", err)
	}
	defer rows.Close()
	var out []*Move
	for rows.Next() {
		var m Move
		err := rows.Scan(&m.ID, &m.FileID, &m.Source, &m.Dest, &m.ETag, &m.State, &m.Error,
			&m.RunID, &m.CreatedAt, &m.UpdatedAt)
		if err != nil {
			return nil, fmt.Errorf("list pending moves: %w", err)
		}
		out = append(out, &m)
	}
	return out, rows.Err()
}
