package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func openTest(t *testing.T) *Ledger {
	t.Helper()
	l, err := Open(context.Background(), filepath.Join(t.TempDir(), "ledger", "payrun.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestOpen_PragmasOnEveryConnection(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	l.db.SetMaxOpenConns(4)

	// Hold several connections at once so the pool must open new ones.
	var conns []interface{ Close() error }
	for i := 0; i < 4; i++ {
		c, err := l.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var mode string
		var timeout, fk, sync int
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&timeout); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" {
			t.Errorf("conn %d: journal_mode=%s, want wal", i, mode)
		}
		if timeout != int(BusyTimeout.Milliseconds()) {
			t.Errorf("conn %d: busy_timeout=%d, want %d", i, timeout, BusyTimeout.Milliseconds())
		}
		if fk != 1 {
			t.Errorf("conn %d: foreign_keys=%d, want 1", i, fk)
		}
		if sync != 2 {
			t.Errorf("conn %d: synchronous=%d, want 2 (FULL)", i, sync)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

func TestOpen_PrivateFileAndIdempotentMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "payrun.db")
	ctx := context.Background()
	l, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	l, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer l.Close()

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("ledger mode=%o, want 600", perm)
	}
	var n int
	if err := l.db.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(migrations))
	}
}

func TestTransactions_BeginImmediate(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()

	tx1, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback()
	// A second BEGIN IMMEDIATE must wait for the first; with the first held, it
	// can only finish after tx1 ends.
	done := make(chan error, 1)
	go func() {
		tx2, err := l.db.BeginTx(ctx, nil)
		if err == nil {
			tx2.Rollback()
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("second transaction began while the first held the write lock (err=%v)", err)
	default:
	}
	tx1.Rollback()
	if err := <-done; err != nil {
		t.Fatalf("second transaction after the first ended: %v", err)
	}
}

func TestRunLock_Exclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "payrun.db")
	first, err := AcquireRunLock(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = AcquireRunLock(path)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second AcquireRunLock err=%v, want ErrLocked", err)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := AcquireRunLock(path)
	if err != nil {
		t.Fatalf("AcquireRunLock after release: %v", err)
	}
	again.Release()
}

func TestFingerprintKey_CreatedOncePrivate(t *testing.T) {
	t.Setenv("PAYRUN_FINGERPRINT_KEY", "")
	path := filepath.Join(t.TempDir(), "payrun.db")
	var wg sync.WaitGroup
	keys := make([][]byte, 4)
	for i := range keys {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			k, err := LoadFingerprintKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}(i)
	}
	wg.Wait()
	for i := range keys {
		if string(keys[i]) != string(keys[0]) {
			t.Fatalf("key %d differs from key 0", i)
		}
	}
	info, err := os.Stat(KeyPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode=%o, want 600", perm)
	}
	if len(keys[0]) != 32 {
		t.Errorf("key length=%d, want 32", len(keys[0]))
	}
}
