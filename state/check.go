package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/payrun/payrun"
)

// Finding is one problem that Check found in a ledger.
type Finding struct {
	// Check is the stable snake_case name of the check that failed, such as
	// integrity or duplicate_key.
	Check string
	// Message is what is wrong, on which rows or files, and what to do next.
	Message string
}

func (f Finding) String() string { return f.Check + ": " + f.Message }

// maxFindingsPerCheck caps the findings one check lists, so a badly damaged
// ledger still prints a readable report. The last finding then gives the count.
const maxFindingsPerCheck = 50

// sendableStates are the states the partial unique indexes on idem_key and
// reference cover: rows that may be sent or were sent.
const sendableStates = `('held', 'pending', 'submitting', 'submitted', 'retryable')`

// Check verifies the ledger: SQLite's integrity and foreign key checks, the
// invariants that keep a payout from being sent twice, the agreement of rows
// with the payouts table, private file modes, and a fingerprint key that
// exists and matches the ledger. It returns every finding,
// and an error only when a check could not run.
func (l *Ledger) Check(ctx context.Context) ([]Finding, error) {
	checks := []func(context.Context) ([]Finding, error){
		l.checkIntegrity,
		l.checkForeignKeys,
		l.checkSendableUnique,
		l.checkSendableKeys,
		l.checkSubmitted,
		l.checkPayoutStatus,
		l.checkPayoutLinks,
		l.checkPayoutReferences,
		l.checkFileModes,
		l.checkFingerprintKey,
	}
	var all []Finding
	for _, check := range checks {
		found, err := check(ctx)
		if err != nil {
			return all, err
		}
		all = append(all, found...)
	}
	return all, nil
}

// collector gathers the findings of one check up to maxFindingsPerCheck.
type collector struct {
	check string
	list  []Finding
	count int
}

func (c *collector) add(format string, args ...any) {
	c.count++
	if c.count <= maxFindingsPerCheck {
		c.list = append(c.list, Finding{Check: c.check, Message: fmt.Sprintf(format, args...)})
	}
}

func (c *collector) findings() []Finding {
	if c.count > maxFindingsPerCheck {
		c.list = append(c.list, Finding{Check: c.check,
			Message: fmt.Sprintf("%d more findings of this check are not listed", c.count-maxFindingsPerCheck)})
	}
	return c.list
}

// each runs query and calls scan for every result row.
func (l *Ledger) each(ctx context.Context, what, query string, scan func(*sql.Rows) error) error {
	rows, err := l.db.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("check ledger: %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("check ledger: %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check ledger: %s: %w", what, err)
	}
	return nil
}

// checkIntegrity runs PRAGMA integrity_check, which reads every page, index
// and constraint of the database file.
func (l *Ledger) checkIntegrity(ctx context.Context) ([]Finding, error) {
	c := &collector{check: "integrity"}
	err := l.each(ctx, "integrity_check", `PRAGMA integrity_check(100)`, func(rows *sql.Rows) error {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			return err
		}
		if msg != "ok" {
			c.add("%s. Restore the ledger from the last backup", msg)
		}
		return nil
	})
	return c.findings(), err
}

func (l *Ledger) checkForeignKeys(ctx context.Context) ([]Finding, error) {
	c := &collector{check: "foreign_key"}
	err := l.each(ctx, "foreign_key_check", `PRAGMA foreign_key_check`, func(rows *sql.Rows) error {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return err
		}
		c.add("%s row %d refers to a missing %s row", table, rowid.Int64, parent)
		return nil
	})
	return c.findings(), err
}

// checkSendableUnique finds idempotency keys and references shared by two
// rows that may be sent. NOT INDEXED makes SQLite scan the table instead of
// trusting the unique indexes that this check verifies.
func (l *Ledger) checkSendableUnique(ctx context.Context) ([]Finding, error) {
	var out []Finding
	for _, col := range []struct{ column, check string }{
		{"idem_key", "duplicate_key"},
		{"reference", "duplicate_reference"},
	} {
		c := &collector{check: col.check}
		query := `SELECT ` + col.column + `, COUNT(*), group_concat(id, ', ') FROM rows NOT INDEXED
			WHERE state IN ` + sendableStates + ` AND ` + col.column + ` != ''
			GROUP BY ` + col.column + ` HAVING COUNT(*) > 1 ORDER BY ` + col.column
		err := l.each(ctx, col.check, query, func(rows *sql.Rows) error {
			var value, ids string
			var n int
			if err := rows.Scan(&value, &n, &ids); err != nil {
				return err
			}
			c.add("%s %s is on %d rows that may be sent (row ids %s), but only one of them may be sent. Check them with 'payrun status' and in Anton",
				col.column, value, n, ids)
			return nil
		})
		if err != nil {
			return out, err
		}
		out = append(out, c.findings()...)
	}
	return out, nil
}

// checkSendableKeys finds rows that may be sent but have no idempotency key.
func (l *Ledger) checkSendableKeys(ctx context.Context) ([]Finding, error) {
	c := &collector{check: "missing_key"}
	query := `SELECT id, file_id, row_num, reference, state FROM rows
		WHERE state IN ` + sendableStates + ` AND idem_key = '' ORDER BY id`
	err := l.each(ctx, "rows without key", query, func(rows *sql.Rows) error {
		var id int64
		var file, ref, st string
		var num int
		if err := rows.Scan(&id, &file, &num, &ref, &st); err != nil {
			return err
		}
		c.add("row %d (file %s, row %d, reference %s) is %s but has no idempotency key", id, file, num, ref, st)
		return nil
	})
	return c.findings(), err
}

// checkSubmitted finds submitted rows without a payout id, without a recorded
// payout, or without any recorded attempt. Rows adopted from Anton's payout
// list were never sent by this ledger, so they need no attempt.
func (l *Ledger) checkSubmitted(ctx context.Context) ([]Finding, error) {
	c := &collector{check: "submitted_row"}
	query := `SELECT r.id, r.file_id, r.row_num, r.reference, r.payout_id, p.id IS NOT NULL,
		EXISTS (SELECT 1 FROM attempts a WHERE a.row_id = r.id),
		r.error_message LIKE 'adopted%' OR COALESCE(p.status_source, '') = 'adopt'
		FROM rows r LEFT JOIN payouts p ON p.id = r.payout_id AND r.payout_id != ''
		WHERE r.state = 'submitted' ORDER BY r.id`
	err := l.each(ctx, "submitted rows", query, func(rows *sql.Rows) error {
		var id int64
		var file, ref, payout string
		var num int
		var recorded, attempted, adopted bool
		if err := rows.Scan(&id, &file, &num, &ref, &payout, &recorded, &attempted, &adopted); err != nil {
			return err
		}
		where := fmt.Sprintf("row %d (file %s, row %d, reference %s)", id, file, num, ref)
		switch {
		case payout == "":
			c.add("%s is submitted but has no payout id. Look the reference up in Anton", where)
		case !recorded:
			c.add("%s is submitted with payout %s, which is missing from the payouts table. Look the payout up in Anton", where, payout)
		case !attempted && !adopted:
			c.add("%s is submitted with payout %s but no attempt is recorded for it", where, payout)
		}
		return nil
	})
	return c.findings(), err
}

// checkPayoutStatus compares the Anton status stored on rows with the payouts
// table, which the ledger updates together. A row whose terminal status the
// payouts table no longer shows means a terminal status moved back.
func (l *Ledger) checkPayoutStatus(ctx context.Context) ([]Finding, error) {
	c := &collector{check: "payout_status"}
	query := `SELECT r.id, r.reference, p.id, r.anton_status, p.status
		FROM rows r JOIN payouts p ON p.id = r.payout_id
		WHERE r.state IN ('submitted', 'duplicate') AND r.payout_id != '' AND r.anton_status != p.status
		ORDER BY r.id`
	err := l.each(ctx, "payout statuses", query, func(rows *sql.Rows) error {
		var id int64
		var ref, payout, rowStatus, payoutStatus string
		if err := rows.Scan(&id, &ref, &payout, &rowStatus, &payoutStatus); err != nil {
			return err
		}
		if payrun.IsTerminalStatus(rowStatus) && !payrun.CanMoveStatus(rowStatus, payoutStatus) {
			c.add("payout %s (reference %s) moved back from the terminal status %s on row %d to %s, but a terminal status is final. Check the payout in Anton",
				payout, ref, rowStatus, id, payoutStatus)
			return nil
		}
		c.add("row %d (reference %s) shows Anton status %q but payout %s is %q. Run 'payrun sync' to fetch the current status",
			id, ref, rowStatus, payout, payoutStatus)
		return nil
	})
	return c.findings(), err
}

// checkPayoutLinks finds payouts whose row records another payout.
func (l *Ledger) checkPayoutLinks(ctx context.Context) ([]Finding, error) {
	c := &collector{check: "payout_row"}
	query := `SELECT p.id, p.row_id, r.payout_id FROM payouts p JOIN rows r ON r.id = p.row_id
		WHERE r.payout_id != p.id ORDER BY p.id`
	err := l.each(ctx, "payout rows", query, func(rows *sql.Rows) error {
		var payout, rowPayout string
		var rowID int64
		if err := rows.Scan(&payout, &rowID, &rowPayout); err != nil {
			return err
		}
		c.add("payout %s belongs to row %d, but that row records payout %q", payout, rowID, rowPayout)
		return nil
	})
	return c.findings(), err
}

// checkPayoutReferences finds references with more than one payout, which
// means a payout may have been paid twice.
func (l *Ledger) checkPayoutReferences(ctx context.Context) ([]Finding, error) {
	c := &collector{check: "duplicate_payout"}
	query := `SELECT reference, COUNT(*), group_concat(id, ', ') FROM payouts
		GROUP BY reference HAVING COUNT(*) > 1 ORDER BY reference`
	err := l.each(ctx, "payout references", query, func(rows *sql.Rows) error {
		var ref, ids string
		var n int
		if err := rows.Scan(&ref, &n, &ids); err != nil {
			return err
		}
		c.add("reference %s has %d payouts (%s). Check in Anton whether it was paid twice",
			ref, n, ids)
		return nil
	})
	return c.findings(), err
}

// checkFileModes finds ledger files that others than the owner can read or
// write: the database, its WAL and shared-memory files, and the key file.
func (l *Ledger) checkFileModes(ctx context.Context) ([]Finding, error) {
	c := &collector{check: "file_mode"}
	for _, path := range []string{l.path, l.path + "-wal", l.path + "-shm", KeyPath(l.path)} {
		info, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("check ledger: %w", err)
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			c.add("%s has mode %04o, so others than the owner can open it. Run 'chmod 600 %s'",
				path, perm, shellQuote(path))
		}
	}
	return c.findings(), nil
}

// shellQuote quotes a path for a command a person copies into a shell.
func shellQuote(s string) string {
	if !strings.ContainsAny(s, " \t'\"$`\\;&|<>()*?[]{}!#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
