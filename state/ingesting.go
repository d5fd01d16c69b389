package state

import (
	"context"
	"database/sql"
	"fmt"
)

// FileIngesting is the status of a file whose rows are still being recorded.
// A file keeps it until every row is in the ledger, so a run that crashes in
// the middle of a file leaves a mark that the next run acts on.
const FileIngesting = "ingesting"

// FinishIngest marks a completely recorded file active, with its counts and
// totals.
func (l *Ledger) FinishIngest(ctx context.Context, f *File) error {
	_, err := l.db.ExecContext(ctx, `UPDATE files SET status = ?, total_rows = ?, valid_rows = ?,
		invalid_rows = ?, totals = ?, sheet = ? WHERE id = ? AND status = ?`,
		FileActive, f.TotalRows, f.ValidRows, f.InvalidRows, f.Totals, f.Sheet, f.ID, FileIngesting)
	if err != nil {
		return fmt.Errorf("finish ingest of file %s: %w", f.ID, err)
	}
	f.Status = FileActive
	return nil
}

// DiscardIncompleteFiles deletes the files that a crashed run left in
// ingesting, with their rows, so the next discovery of the same bytes ingests
// them from the start. Their rows were never sent: submission only reads
// active files. It returns the names of the files discarded.
func (l *Ledger) DiscardIncompleteFiles(ctx context.Context) ([]string, error) {
	var names []string
	err := l.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, name FROM files WHERE status = ?`, FileIngesting)
		if err != nil {
			return fmt.Errorf("list incomplete files: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return fmt.Errorf("list incomplete files: %w", err)
			}
			ids, names = append(ids, id), append(names, name+" ("+id+")")
		}
		rows.Close()
		for _, id := range ids {
			if err := discardFile(ctx, tx, id); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	return names, err
}

func discardFile(ctx context.Context, tx *sql.Tx, id string) error {
	var sent int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rows WHERE file_id = ? AND
		(state IN (?, ?, ?) OR payout_id != '' OR request_body != '')`,
		id, Submitting, Submitted, Retryable).Scan(&sent)
	if err != nil {
		return fmt.Errorf("check rows of incomplete file %s: %w", id, err)
	}
	if sent > 0 {
		return fmt.Errorf("incomplete file %s has %d rows that were sent; run 'payrun ledger check' and resolve them before rerunning", id, sent)
	}
	stmts := []string{
		`UPDATE rows SET related_row = NULL WHERE related_row IN (SELECT id FROM rows WHERE file_id = ?)`,
		`DELETE FROM rows WHERE file_id = ?`,
		`DELETE FROM moves WHERE file_id = ?`,
		`DELETE FROM files WHERE id = ?`,
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("discard incomplete file %s: %w", id, err)
		}
	}
	return nil
}

// FileDiscarded is the status of a held file that a person discarded: none
// of its rows is sent, and a corrected re-drop of the file is paid normally.
const FileDiscarded = "discarded"

// CodeDiscarded is the error code of the rows of a discarded file.
const CodeDiscarded = "discarded"

// DiscardFile discards a held file: its held and pending rows become invalid
// with code discarded, which the reference rules treat like any invalid row,
// so a corrected re-drop of the same references is processed normally. Rows
// already sent keep their state. It records who discarded the file and why.
func (l *Ledger) DiscardFile(ctx context.Context, fileID, by, reason string) (int64, error) {
	var moved int64
	err := l.tx(ctx, func(tx *sql.Tx) error {
		now := l.stamp()
		res, err := tx.ExecContext(ctx, `UPDATE files SET status = ?, hold_reason = ?, released_by = ?,
			released_at = ? WHERE id = ? AND status = ?`,
			FileDiscarded, "discarded by "+by+": "+reason, by, now, fileID, FileHeld)
		if err != nil {
			return fmt.Errorf("discard file %s: %w", fileID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("file %s is not held, so it cannot be discarded: run 'payrun status %s'", fileID, fileID)
		}
		res, err = tx.ExecContext(ctx, `UPDATE rows SET state = ?, error_code = ?, error_message = ?,
			updated_at = ? WHERE file_id = ? AND state IN (?, ?)`,
			Invalid, CodeDiscarded, "file discarded by "+by+": "+reason, now, fileID, Held, Pending)
		if err != nil {
			return fmt.Errorf("discard rows of file %s: %w", fileID, err)
		}
		moved, _ = res.RowsAffected()
		return nil
	})
	return moved, err
}
