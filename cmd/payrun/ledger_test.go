package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit/sandbox"
)

// paidLedger runs the S3 test file june.csv against a sandbox and returns the
// working directory with its ledger, payrun.db.
func paidLedger(t *testing.T) (string, *sandbox.Server) {
	t.Helper()
	srv := startSandbox(t, sandbox.Options{})
	t.Setenv("PAYRUN_FINGERPRINT_KEY", "")
	dir := t.TempDir()
	copyFile(t, filepath.Join("testdata", "s3", "june.csv"), filepath.Join(dir, "june.csv"))
	if code, stdout, stderr := runPayrun(t, dir, "run", "june.csv"); code != exitOK {
		t.Fatalf("run exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	return dir, srv
}

func checkPrivate(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", path, perm)
	}
}

func TestLedgerBackup_CopiesLedgerAndKey(t *testing.T) {
	dir, _ := paidLedger(t)
	backup := filepath.Join(dir, "backups", "payrun-backup.db")

	code, stdout, stderr := runPayrun(t, dir, "ledger", "backup", backup)
	if code != exitOK {
		t.Fatalf("ledger backup exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	checkPrivate(t, backup)
	checkPrivate(t, backup+".key")
	key, _ := os.ReadFile(filepath.Join(dir, "payrun.db.key"))
	copied, _ := os.ReadFile(backup + ".key")
	if len(key) == 0 || !bytes.Equal(key, copied) {
		t.Errorf("backup key file differs from the ledger's key file")
	}
	if !strings.Contains(stdout, "keep both files together") {
		t.Errorf("backup output does not tell to keep the key with the copy:\n%s", stdout)
	}

	led, err := state.Open(context.Background(), backup)
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	counts, err := led.StateCounts(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if counts[state.Submitted] != 3 {
		t.Errorf("backup row states = %v, want the 3 submitted rows", counts)
	}

	if code, _, _ := runPayrun(t, dir, "ledger", "backup", backup); code != exitUsage {
		t.Errorf("backup over an existing file exit=%d, want 2", code)
	}
}

func TestLedgerBackup_BesideAWriter(t *testing.T) {
	dir, _ := paidLedger(t)
	led, err := state.Open(context.Background(), filepath.Join(dir, "payrun.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	// Short write transactions, as a run recording rows makes them, go on
	// while the backup reads its snapshot.
	stop := make(chan struct{})
	writerErr := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				writerErr <- nil
				return
			default:
			}
			if _, err := led.DB().Exec(`UPDATE rows SET updated_at = updated_at`); err != nil {
				writerErr <- err
				return
			}
		}
	}()

	code, stdout, stderr := runPayrun(t, dir, "ledger", "backup", filepath.Join(dir, "online.db"))
	close(stop)
	if err := <-writerErr; err != nil {
		t.Errorf("writer beside the backup failed: %v", err)
	}
	if code != exitOK {
		t.Fatalf("backup beside a writer exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

func TestLedgerCheck_FindingsExit1(t *testing.T) {
	dir, _ := paidLedger(t)

	code, stdout, stderr := runPayrun(t, dir, "ledger", "check")
	if code != exitOK || !strings.Contains(stdout, "no findings") {
		t.Fatalf("check of a clean ledger exit=%d, want 0 and no findings\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	if err := os.Chmod(filepath.Join(dir, "payrun.db.key"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = runPayrun(t, dir, "ledger", "check")
	if code != exitRowProblems {
		t.Errorf("check with a readable key file exit=%d, want 1", code)
	}
	if !strings.Contains(stdout, "file_mode: ") || !strings.Contains(stdout, "payrun.db.key") {
		t.Errorf("check output does not name the key file's mode:\n%s", stdout)
	}
}

func TestLedgerCheck_MissingLedger(t *testing.T) {
	t.Setenv("PAYRUN_LEDGER", "")
	code, _, stderr := runPayrun(t, t.TempDir(), "ledger", "check")
	if code != exitUsage {
		t.Errorf("check without a ledger exit=%d, want 2\n%s", code, stderr)
	}
}

// TestLedgerRestore_PaysNothingTwice follows the restore steps of
// docs/operations.md: a backup taken before a night's run is restored after
// it, and the file of that night is dropped again.
func TestLedgerRestore_PaysNothingTwice(t *testing.T) {
	dir, srv := paidLedger(t)
	backup := filepath.Join(dir, "backup.db")
	if code, stdout, _ := runPayrun(t, dir, "ledger", "backup", backup); code != exitOK {
		t.Fatalf("ledger backup exit=%d\n%s", code, stdout)
	}
	copyFile(t, filepath.Join("testdata", "s3", "july.csv"), filepath.Join(dir, "july.csv"))
	if code, stdout, stderr := runPayrun(t, dir, "run", "july.csv"); code != exitOK {
		t.Fatalf("july run exit=%d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	paid := srv.Stats().PayoutsCreated

	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(filepath.Join(dir, "payrun.db"+suffix))
	}
	copyFile(t, backup, filepath.Join(dir, "payrun.db"))
	copyFile(t, backup+".key", filepath.Join(dir, "payrun.db.key"))
	code, stdout, stderr := runPayrun(t, dir, "run", "july.csv")
	if code != exitOK {
		t.Fatalf("run on the restored ledger exit=%d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	stats := srv.Stats()
	if stats.PayoutsCreated != paid {
		t.Errorf("payouts_created = %d after the restore, want %d: a payout was sent again", stats.PayoutsCreated, paid)
	}
	if len(stats.DuplicateReferences) != 0 {
		t.Errorf("duplicate_references = %v, want none", stats.DuplicateReferences)
	}
	if code, stdout, _ := runPayrun(t, dir, "ledger", "check"); code != exitOK {
		t.Errorf("check of the restored ledger exit=%d:\n%s", code, stdout)
	}
}

// TestLedgerRestore_WithoutKeyRejected restores a backup but not its key
// file: the run must stop instead of treating every payee as new.
func TestLedgerRestore_WithoutKeyRejected(t *testing.T) {
	dir, srv := paidLedger(t)
	backup := filepath.Join(dir, "backup.db")
	if code, stdout, _ := runPayrun(t, dir, "ledger", "backup", backup); code != exitOK {
		t.Fatalf("ledger backup exit=%d\n%s", code, stdout)
	}
	keyFile := filepath.Join(dir, "payrun.db.key")
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join("testdata", "s3", "july.csv"), filepath.Join(dir, "july.csv"))
	paid := srv.Stats().PayoutsCreated

	code, _, _, message := runPayrunErr(t, context.Background(), dir, "run", "july.csv")
	if code != exitUsage {
		t.Errorf("run without the key file exit=%d, want 2 (%s)", code, message)
	}
	if !strings.Contains(message, "payrun.db.key") || !strings.Contains(message, "next to the ledger backup") {
		t.Errorf("message = %q, want it to name the key file and where to restore it from", message)
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Errorf("the run created a new key file for a ledger with data: %v", err)
	}
	if n := srv.Stats().PayoutsCreated; n != paid {
		t.Errorf("payouts_created = %d after the rejected run, want %d", n, paid)
	}

	code, stdout, _ := runPayrun(t, dir, "ledger", "check")
	if code != exitRowProblems {
		t.Errorf("check without the key file exit=%d, want 1", code)
	}
	if !strings.Contains(stdout, "fingerprint_key: ") || !strings.Contains(stdout, "payrun.db.key") {
		t.Errorf("check output does not report the missing key file:\n%s", stdout)
	}

	copyFile(t, backup+".key", keyFile)
	if code, stdout, stderr := runPayrun(t, dir, "run", "july.csv"); code != exitOK {
		t.Errorf("run with the restored key file exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

func TestLedgerCheck_WrongKeyFinding(t *testing.T) {
	dir, _ := paidLedger(t)
	keyFile := filepath.Join(dir, "payrun.db.key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	code, stdout, _ := runPayrun(t, dir, "ledger", "check")
	if code != exitRowProblems {
		t.Errorf("check with another key file exit=%d, want 1", code)
	}
	if !strings.Contains(stdout, "fingerprint_key: ") || !strings.Contains(stdout, "is not the key that ledger") {
		t.Errorf("check output does not report the wrong key:\n%s", stdout)
	}

	copyFile(t, filepath.Join("testdata", "s3", "july.csv"), filepath.Join(dir, "july.csv"))
	code, _, _, message := runPayrunErr(t, context.Background(), dir, "run", "july.csv")
	if code != exitUsage {
		t.Errorf("run with another key file exit=%d, want 2 (%s)", code, message)
	}
}
