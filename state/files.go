package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const fileColumns = `id, sha256, source, name, size, format, sheet, etag, version_id, status,
	hold_kind, hold_reason, error_code, error_message, total_rows, valid_rows, invalid_rows,
	totals, ingested_by, ingested_at, run_id, released_by, released_at`

func scanFile(s interface{ Scan(...any) error }) (*File, error) {
	var f File
	err := s.Scan(&f.ID, &f.SHA256, &f.Source, &f.Name, &f.Size, &f.Format, &f.Sheet, &f.ETag,
		&f.VersionID, &f.Status, &f.HoldKind, &f.HoldReason, &f.ErrorCode, &f.ErrorMessage,
		&f.TotalRows, &f.ValidRows, &f.InvalidRows, &f.Totals, &f.IngestedBy, &f.IngestedAt,
		&f.RunID, &f.ReleasedBy, &f.ReleasedAt)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// FileBySHA256 returns the file with these contents, or nil when the ledger
// has never seen them.
func (l *Ledger) FileBySHA256(ctx context.Context, sha string) (*File, error) {
	f, err := scanFile(l.db.QueryRowContext(ctx,
		`SELECT `+fileColumns+` FROM files WHERE sha256 = ?`, sha))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up file %.12s: %w", sha, err)
	}
	return f, nil
}

// File returns the file with this id, or an error naming the id when the
// ledger has none.
func (l *Ledger) File(ctx context.Context, id string) (*File, error) {
	f, err := scanFile(l.db.QueryRowContext(ctx,
		`SELECT `+fileColumns+` FROM files WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("file %s not found in the ledger %s: run 'payrun status' to list file ids", id, l.path)
	}
	if err != nil {
		return nil, fmt.Errorf("read file %s: %w", id, err)
	}
	return f, nil
}

// Files returns every file, oldest first.
func (l *Ledger) Files(ctx context.Context) ([]*File, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+fileColumns+` FROM files ORDER BY ingested_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	defer rows.Close()
	var out []*File
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("list files: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// InsertFile records a new file.
func (l *Ledger) InsertFile(ctx context.Context, f *File) error {
	if f.IngestedAt == "" {
		f.IngestedAt = l.stamp()
	}
	if f.Totals == "" {
		f.Totals = "{}"
	}
	_, err := l.db.ExecContext(ctx, `INSERT INTO files (`+fileColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.SHA256, f.Source, f.Name, f.Size, f.Format, f.Sheet, f.ETag, f.VersionID, f.Status,
		f.HoldKind, f.HoldReason, f.ErrorCode, f.ErrorMessage, f.TotalRows, f.ValidRows,
		f.InvalidRows, f.Totals, f.IngestedBy, f.IngestedAt, f.RunID, f.ReleasedBy, f.ReleasedAt)
	if err != nil {
		return fmt.Errorf("record file %s (%s): %w", f.ID, f.Name, err)
	}
	return nil
}

// UpdateFileCounts stores the row counts and totals of a file after ingest.
func (l *Ledger) UpdateFileCounts(ctx context.Context, f *File) error {
	_, err := l.db.ExecContext(ctx, `UPDATE files SET total_rows = ?, valid_rows = ?,
		invalid_rows = ?, totals = ?, sheet = ? WHERE id = ?`,
		f.TotalRows, f.ValidRows, f.InvalidRows, f.Totals, f.Sheet, f.ID)
	if err != nil {
		return fmt.Errorf("update counts of file %s: %w", f.ID, err)
	}
	return nil
}

// HoldFile holds a file and moves its pending and retryable rows to held, in
// one transaction.
func (l *Ledger) HoldFile(ctx context.Context, fileID, kind, reason string) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE files SET status = ?, hold_kind = ?, hold_reason = ?
			WHERE id = ?`, FileHeld, kind, reason, fileID)
		if err != nil {
			return fmt.Errorf("hold file %s: %w", fileID, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE rows SET state = ?, error_code = ?, error_message = ?,
			updated_at = ? WHERE file_id = ? AND state IN (?, ?)`,
			Held, kind, reason, l.stamp(), fileID, Pending, Retryable)
		if err != nil {
			return fmt.Errorf("hold rows of file %s: %w", fileID, err)
		}
		return nil
	})
}

// ReleaseFile releases a held file: its held rows become pending again, and the
// release records who released it and when.
func (l *Ledger) ReleaseFile(ctx context.Context, fileID, releasedBy string) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		now := l.stamp()
		res, err := tx.ExecContext(ctx, `UPDATE files SET status = ?, hold_kind = '', hold_reason = '',
			released_by = ?, released_at = ? WHERE id = ? AND status = ?`,
			FileActive, releasedBy, now, fileID, FileHeld)
		if err != nil {
			return fmt.Errorf("release file %s: %w", fileID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("file %s is not held: run 'payrun status %s' to see its state", fileID, fileID)
		}
		_, err = tx.ExecContext(ctx, `UPDATE rows SET state = ?, error_code = '', error_message = '',
			updated_at = ? WHERE file_id = ? AND state = ?`, Pending, now, fileID, Held)
		if err != nil {
			return fmt.Errorf("release rows of file %s: %w", fileID, err)
		}
		return nil
	})
}

// UnholdBalance releases a file held for insufficient balance, so the next run
// checks the balance again. Holds of other kinds wait for 'payrun release'.
func (l *Ledger) UnholdBalance(ctx context.Context, fileID string) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE files SET status = ?, hold_kind = '', hold_reason = ''
			WHERE id = ? AND status = ? AND hold_kind = ?`, FileActive, fileID, FileHeld, HoldBalance)
		if err != nil {
			return fmt.Errorf("recheck balance hold of file %s: %w", fileID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE rows SET state = ?, error_code = '', error_message = '',
			updated_at = ? WHERE file_id = ? AND state = ?`, Pending, l.stamp(), fileID, Held)
		return err
	})
}

// UpdateFileLocation records where a file is now, after an inbox move.
func (l *Ledger) UpdateFileLocation(ctx context.Context, fileID, location string) error {
	_, err := l.db.ExecContext(ctx, `UPDATE files SET source = ? WHERE id = ?`, location, fileID)
	if err != nil {
		return fmt.Errorf("record new location of file %s: %w", fileID, err)
	}
	return nil
}

// PendingTotals returns, per source currency, the destination amounts in minor
// units of the file's pending rows whose destination currency is the source
// currency, and the rows whose currencies differ.
func (l *Ledger) PendingTotals(ctx context.Context, fileID string) (map[string]int64, []*Row, error) {
	rows, err := l.Rows(ctx, RowFilter{FileID: fileID, States: []State{Pending}})
	if err != nil {
		return nil, nil, err
	}
	same := map[string]int64{}
	var cross []*Row
	for _, r := range rows {
		if r.SourceCurrency == "" || r.SourceCurrency == r.Currency {
			same[r.Currency] += r.AmountMinor
			continue
		}
		cross = append(cross, r)
	}
	return same, cross, nil
}
