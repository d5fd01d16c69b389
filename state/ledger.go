// Package state is the SQLite ledger of payrun: files, rows and their states,
// attempts, payouts, resolved beneficiaries and webhook events. It is the only
// package that speaks SQL.
package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// BusyTimeout is how long a connection waits for another writer before it
// fails with SQLITE_BUSY.
const BusyTimeout = 10 * time.Second

// Ledger is an open ledger database.
type Ledger struct {
	db   *sql.DB
	path string
	now  func() time.Time
}

// Open opens the ledger at path, creating it with mode 0600 (its directory
// 0700) if needed, and applies pending migrations.
func Open(ctx context.Context, path string) (*Ledger, error) {
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	l := &Ledger{db: db, path: path, now: func() time.Time { return time.Now().UTC() }}
	if err := l.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return l, nil
}

// dsn builds the modernc.org/sqlite connection string. The driver applies each
// _pragma to every pooled connection; _txlock=immediate makes every transaction
// take the write lock at BEGIN, so a read-then-write transaction cannot fail
// with SQLITE_BUSY halfway through.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// createPrivate makes sure the ledger file and its directory exist with
// private permissions before SQLite opens it.
func createPrivate(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create ledger directory %s: %w", dir, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open ledger %s: %w", path, err)
	}
	return f.Close()
}

// Path returns the ledger file path.
func (l *Ledger) Path() string { return l.path }

// DB returns the database handle, for tests and integrity checks.
func (l *Ledger) DB() *sql.DB { return l.db }

// SetClock replaces the clock, for tests.
func (l *Ledger) SetClock(now func() time.Time) { l.now = now }

// Close closes the database.
func (l *Ledger) Close() error { return l.db.Close() }

func (l *Ledger) migrate(ctx context.Context) error {
	_, err := l.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at TEXT NOT NULL) STRICT`)
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range migrations {
		if err := l.applyMigration(ctx, m.name, m.sql); err != nil {
			return err
		}
	}
	return nil
}

func (l *Ledger) applyMigration(ctx context.Context, name, stmts string) error {
	return l.tx(ctx, func(tx *sql.Tx) error {
		var applied string
		err := tx.QueryRowContext(ctx,
			`SELECT name FROM schema_migrations WHERE name = ?`, name).Scan(&applied)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, stmts); err != nil {
			return fmt.Errorf("apply migration %s: %w", name, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`,
			name, l.stamp())
		return err
	})
}

// tx runs fn in one transaction, which begins IMMEDIATE (see dsn).
func (l *Ledger) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin ledger transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit ledger transaction: %w", err)
	}
	return nil
}

// stamp returns the current time as RFC 3339 UTC with nanoseconds.
func (l *Ledger) stamp() string { return l.now().UTC().Format(time.RFC3339Nano) }

// GetMeta returns a value of the meta table, or "" when it is not set.
func (l *Ledger) GetMeta(ctx context.Context, key string) (string, error) {
	var v string
	err := l.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read ledger meta %s: %w", key, err)
	}
	return v, nil
}

// SetMeta stores a value in the meta table.
func (l *Ledger) SetMeta(ctx context.Context, key, value string) error {
	_, err := l.db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("write ledger meta %s: %w", key, err)
	}
	return nil
}

// Backup writes a consistent copy of the ledger to path with VACUUM INTO,
// while other connections keep working. The copy is created with mode 0600.
// The fingerprint key file is not part of the copy and must be kept with it.
func (l *Ledger) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("back up ledger: %s already exists; choose a new path", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("back up ledger: %w", err)
	}
	if _, err := l.db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("back up ledger to %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("back up ledger: %w", err)
	}
	return nil
}
