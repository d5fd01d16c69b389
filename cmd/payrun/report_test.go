package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payrun/payrun/reconcile"
	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
)

func TestReportCommand_ReconciliationAndStaleAfter(t *testing.T) {
	dir := t.TempDir()
	ledgerPath := filepath.Join(dir, "payrun.db")
	out := filepath.Join(dir, "reports")
	reconLedger(t, ledgerPath,
		&submit.Payout{ID: "pay_1", Reference: "REP-1", Status: "processing", CreatedAt: "2026-01-01T00:00:00Z", UpdatedAt: "2026-01-01T00:00:00Z"})

	code, stdout, stderr := runPayrun(t, dir, "report", "--ledger", ledgerPath, "--format", "json,xlsx,csv",
		"--out", out, "--stale-after", "1h")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr %s", code, stderr)
	}
	if !strings.Contains(stdout, "aaaaaaaaaaaa: control checks passed, 1 discrepancies") {
		t.Errorf("stdout lacks the reconciliation line:\n%s", stdout)
	}
	for _, ext := range []string{"csv", "json", "xlsx"} {
		if _, err := os.Stat(filepath.Join(out, "aaaaaaaaaaaa."+ext)); err != nil {
			t.Errorf("%s report: %v", ext, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(out, "aaaaaaaaaaaa.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc reconcile.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if d := doc.Reconciliation.Discrepancies; len(d) != 1 || d[0].Kind != "stale_status" {
		t.Errorf("discrepancies %+v, want one stale_status", d)
	}
	for _, c := range doc.Reconciliation.Checks {
		if strings.HasPrefix(c.Detail, "not checked") {
			t.Errorf("check %s was not run: the command must pass the file record", c.Name)
		}
	}
}

func TestReportCommand_FailedControlCheck(t *testing.T) {
	dir := t.TempDir()
	ledgerPath := filepath.Join(dir, "payrun.db")
	reconLedger(t, ledgerPath, &submit.Payout{ID: "pay_1", Reference: "REP-2", Status: "completed"})
	led, err := state.Open(context.Background(), ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := led.DB().Exec(`UPDATE files SET totals = '{"EUR":"99.00"}'`); err != nil {
		t.Fatal(err)
	}
	led.Close()

	code, stdout, _ := runPayrun(t, dir, "report", "--ledger", ledgerPath, "--out", filepath.Join(dir, "r"))
	if code != exitRowProblems {
		t.Errorf("exit %d, want 1 for a failed control check", code)
	}
	if !strings.Contains(stdout, "control checks FAILED: "+reconcile.CheckFileTotals) {
		t.Errorf("stdout does not name the failed check:\n%s", stdout)
	}

	if code, _, _ := runPayrun(t, dir, "report", "--ledger", ledgerPath, "--stale-after", "0s"); code != exitUsage {
		t.Errorf("--stale-after 0s: exit %d, want 2", code)
	}
}
