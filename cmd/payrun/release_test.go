package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit/sandbox"
)

// fileIDOf returns the file id of the first file line of a run summary.
func fileIDOf(t *testing.T, stdout string) string {
	t.Helper()
	lines := strings.Split(stdout, "\n")
	if len(lines) < 2 || len(strings.Fields(lines[1])) == 0 {
		t.Fatalf("no file line in the summary:\n%s", stdout)
	}
	return strings.Fields(lines[1])[0]
}

// ledgerFile reads one file record from the ledger of dir.
func ledgerFile(t *testing.T, dir, fileID string) *state.File {
	t.Helper()
	led, err := state.Open(context.Background(), filepath.Join(dir, "payrun.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	f, err := led.File(context.Background(), fileID)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRelease_RejectsBalanceHold(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{Balances: map[string]string{"EUR": "50.00", "USD": "1000.00", "GBP": "1000.00"}})
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "p.csv"),
		beneficiaryRow("B-1", "30.00", "EUR", "", "", "DE89370400440532013000", ""),
		beneficiaryRow("B-2", "30.00", "EUR", "", "", "DE89370400440532013000", ""))

	code, stdout, _ := runPayrun(t, dir, "run", "p.csv")
	if code != exitStopped {
		t.Fatalf("run exit=%d, want 4 (balance hold)\n%s", code, stdout)
	}
	if strings.Contains(stdout, "release a checked file") {
		t.Errorf("summary of a balance hold suggests a release:\n%s", stdout)
	}
	if !strings.Contains(stdout, "rows held for insufficient balance: 2; top up the account") {
		t.Errorf("summary does not tell to top up the account:\n%s", stdout)
	}
	fileID := fileIDOf(t, stdout)

	code, stdout, _, message := runPayrunErr(t, context.Background(), dir, "release", fileID, "--approver", "Second Person")
	if code != exitUsage {
		t.Errorf("release of a balance hold: exit=%d, want 2\n%s", code, stdout)
	}
	if !strings.Contains(message, "held because the balance does not cover it") {
		t.Errorf("release error does not name the balance hold: %q", message)
	}
	if !strings.Contains(message, "top up the account and run payrun again") {
		t.Errorf("release error does not say what to do: %q", message)
	}
	if n := srv.Stats().PayoutsCreated; n != 0 {
		t.Errorf("release of a balance hold created %d payouts", n)
	}
	if f := ledgerFile(t, dir, fileID); f.Status != state.FileHeld || f.HoldKind != state.HoldBalance {
		t.Errorf("file after the rejected release: status %s, hold %s; want held for balance", f.Status, f.HoldKind)
	}
}

// Releasing an approval hold lifts only the approval: the balance check
// still runs and holds the file instead of paying part of it.
func TestRelease_ApprovalKeepsBalanceGuard(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{Balances: map[string]string{"EUR": "50.00", "USD": "1000.00", "GBP": "1000.00"}})
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "p.csv"),
		beneficiaryRow("A-1", "30.00", "EUR", "", "", "DE89370400440532013000", ""),
		beneficiaryRow("A-2", "30.00", "EUR", "", "", "DE89370400440532013000", ""))

	code, stdout, _ := runPayrun(t, dir, "run", "--require-approval", "p.csv")
	if code != exitStopped || !strings.Contains(stdout, "awaiting approval") {
		t.Fatalf("run --require-approval: exit=%d, want 4 with 'awaiting approval'\n%s", code, stdout)
	}
	fileID := fileIDOf(t, stdout)

	code, stdout, stderr := runPayrun(t, dir, "release", fileID, "--approver", "Second Person")
	if code != exitStopped {
		t.Errorf("release of a file the balance cannot cover: exit=%d, want 4\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "available balance does not cover") {
		t.Errorf("release summary does not show the balance hold:\n%s", stdout)
	}
	if n := srv.Stats().PayoutsCreated; n != 0 {
		t.Errorf("released file paid in part: %d payouts", n)
	}
	if f := ledgerFile(t, dir, fileID); f.Status != state.FileHeld || f.HoldKind != state.HoldBalance {
		t.Errorf("file after the release: status %s, hold %s; want held for balance", f.Status, f.HoldKind)
	}
	if f := ledgerFile(t, dir, fileID); !strings.Contains(f.ReleasedBy, "Second Person") {
		t.Errorf("released_by=%q, want the approver", f.ReleasedBy)
	}
}
