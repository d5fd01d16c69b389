package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// RowError is an error found for a row of a file after the row was recorded,
// such as a later row of the same file that repeats its reference.
type RowError struct {
	RowNum  int
	Code    string
	Message string
	// Problem is the JSON object of the validation problem, appended to the
	// row's Problems list; empty to append none.
	Problem string
}

// InvalidateRows moves recorded rows of a file from pending to invalid, with
// their error codes and messages, and returns every named row as it is now,
// moved or not. Rows in any other state stay as they are: a duplicate or
// conflict row is never sent anyway, and a row that moved on towards Anton is
// not undone. A row number that the file does not have is an error.
func (l *Ledger) InvalidateRows(ctx context.Context, fileID string, errs []RowError) ([]*Row, error) {
	var named []*Row
	err := l.tx(ctx, func(tx *sql.Tx) error {
		var err error
		named, err = l.invalidateRows(ctx, tx, fileID, errs)
		return err
	})
	return named, err
}

// RecordRowsInvalidating is RecordRows followed by InvalidateRows in one
// transaction. A row and the errors it reveals about earlier rows are then
// committed together, so a crash between the two can never leave the
// earlier rows pending and sendable.
func (l *Ledger) RecordRowsInvalidating(ctx context.Context, rows []*Row, fileID string, errs []RowError) ([]*Row, error) {
	var named []*Row
	err := l.tx(ctx, func(tx *sql.Tx) error {
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
		var err error
		named, err = l.invalidateRows(ctx, tx, fileID, errs)
		return err
	})
	return named, err
}

func (l *Ledger) invalidateRows(ctx context.Context, tx *sql.Tx, fileID string, errs []RowError) ([]*Row, error) {
	var named []*Row
	now := l.stamp()
	for _, e := range errs {
		r, err := scanRow(tx.QueryRowContext(ctx, `SELECT `+rowColumns+` FROM rows
			WHERE file_id = ? AND row_num = ?`, fileID, e.RowNum))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("invalidate row %d of file %s: the file has no such row", e.RowNum, fileID)
		}
		if err != nil {
			return nil, fmt.Errorf("invalidate row %d of file %s: %w", e.RowNum, fileID, err)
		}
		named = append(named, r)
		if r.State != Pending {
			continue
		}

		problems, err := appendProblem(r.Problems, e.Problem)
		if err != nil {
			return nil, fmt.Errorf("invalidate row %d of file %s: %w", e.RowNum, fileID, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE rows SET state = ?, error_code = ?, error_message = ?,
			problems = ?, updated_at = ? WHERE id = ? AND state = ?`,
			Invalid, e.Code, e.Message, problems, now, r.ID, Pending)
		if err != nil {
			return nil, fmt.Errorf("invalidate row %d of file %s: %w", e.RowNum, fileID, err)
		}
		r.State, r.ErrorCode, r.ErrorMessage, r.Problems, r.UpdatedAt = Invalid, e.Code, e.Message, problems, now
	}
	return named, nil
}

// appendProblem appends one JSON object to a JSON list that may be empty text.
func appendProblem(list, problem string) (string, error) {
	if problem == "" {
		return list, nil
	}
	var items []json.RawMessage
	if list != "" {
		if err := json.Unmarshal([]byte(list), &items); err != nil {
			return "", fmt.Errorf("read stored problems: %w", err)
		}
	}
	if !json.Valid([]byte(problem)) {
		return "", fmt.Errorf("problem %q is not JSON", problem)
	}
	data, err := json.Marshal(append(items, json.RawMessage(problem)))
	if err != nil {
		return "", fmt.Errorf("store problems: %w", err)
	}
	return string(data), nil
}

// RejectRecordedFile marks a file rejected with f's ErrorCode and
// ErrorMessage after some of its rows were recorded, as when the file turns
// out to be damaged below rows already read. Its pending rows become invalid
// with the same error, so none of them is ever sent.
func (l *Ledger) RejectRecordedFile(ctx context.Context, f *File) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE files SET status = ?, error_code = ?, error_message = ?,
			total_rows = ?, valid_rows = ?, invalid_rows = ?, totals = ? WHERE id = ?`,
			FileRejected, f.ErrorCode, f.ErrorMessage, f.TotalRows, f.ValidRows, f.InvalidRows, f.Totals, f.ID)
		if err != nil {
			return fmt.Errorf("reject file %s: %w", f.ID, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE rows SET state = ?, error_code = ?, error_message = ?,
			updated_at = ? WHERE file_id = ? AND state = ?`,
			Invalid, f.ErrorCode, f.ErrorMessage, l.stamp(), f.ID, Pending)
		if err != nil {
			return fmt.Errorf("reject rows of file %s: %w", f.ID, err)
		}
		return nil
	})
}
