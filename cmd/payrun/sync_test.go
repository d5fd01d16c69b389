package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
	"github.com/payrun/payrun/submit/sandbox"
)

func TestSync_SandboxFlagReachesRunMerchant(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ANTON_BASE_URL", "")
	t.Setenv("PAYRUN_LEDGER", "")
	ledgerPath := filepath.Join(dir, "payrun-sandbox.db")
	metricsPath := filepath.Join(dir, "sync.prom")

	// Build what payrun run --sandbox leaves behind: a sandbox state file beside
	// the ledger, and the sandbox key in the ledger. The payout completes in the
	// sandbox while no webhook receiver runs.
	key := sandbox.NewTestKey()
	srv, err := sandbox.New(sandbox.Options{StateFile: filepath.Join(dir, "payrun-sandbox.state"), TimeScale: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	sb := newReconSandbox(t, srv, key)
	p := sb.payout(t, "CLI-SYNC-1")
	sb.advance(t, "2h")
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	reconLedger(t, ledgerPath, p)
	led, err := state.Open(context.Background(), ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	led.SetMeta(context.Background(), metaSandboxKey, key)
	led.Close()

	code, stdout, stderr := runPayrun(t, dir, "sync", "--sandbox", "--metrics-file", metricsPath)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr %s", code, stderr)
	}
	if !strings.Contains(stdout, "checked 1 payouts, 1 changed (1 completed)") {
		t.Errorf("summary does not report the change:\n%s", stdout)
	}
	if got := ledgerStatus(t, ledgerPath, p.ID); got != "completed" {
		t.Errorf("payout status %s, want completed", got)
	}

	f, err := os.Open(metricsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("metrics file is not Prometheus text format: %v", err)
	}
	changes := families["payrun_sync_status_changes_total"]
	if changes == nil || changes.GetMetric()[0].GetCounter().GetValue() != 1 {
		t.Errorf("payrun_sync_status_changes_total missing or not 1: %v", changes)
	}
	if exit := families["payrun_last_exit_code"]; exit == nil || exit.GetMetric()[0].GetGauge().GetValue() != 0 {
		t.Errorf("payrun_last_exit_code missing or not 0: %v", exit)
	}
}

func TestSync_EnvironmentAndExitCodes(t *testing.T) {
	dir := t.TempDir()
	srv := startSandbox(t, sandbox.Options{TimeScale: 1e-3})
	sb := newReconSandbox(t, srv, os.Getenv("ANTON_API_KEY"))
	ledgerPath := filepath.Join(dir, "payrun.db")
	p := sb.payout(t, "CLI-SYNC-2")
	gone := &submit.Payout{ID: "pay_01HX8ZNOTTHERE", Reference: "CLI-GONE", Status: "processing"}
	reconLedger(t, ledgerPath, p, gone)
	sb.advance(t, "2h")

	code, stdout, stderr := runPayrun(t, dir, "sync", "--ledger", ledgerPath, "--json")
	if code != exitRowProblems {
		t.Fatalf("exit %d, want 1 for a payout Anton does not have; stderr %s", code, stderr)
	}
	for _, want := range []string{`"checked": 1`, `"missing": 1`, `"completed": 1`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("JSON summary lacks %s:\n%s", want, stdout)
		}
	}
	if got := ledgerStatus(t, ledgerPath, p.ID); got != "completed" {
		t.Errorf("payout status %s, want completed", got)
	}

	t.Setenv("ANTON_API_KEY", "")
	if code, _, _ := runPayrun(t, dir, "sync", "--ledger", ledgerPath); code != exitUsage {
		t.Errorf("sync without a key: exit %d, want 2", code)
	}
	t.Setenv("ANTON_API_KEY", sandbox.NewTestKey())
	revoke := `{"key":"` + os.Getenv("ANTON_API_KEY") + `"}`
	postAdmin(t, srv, "/_sandbox/keys/revoke", revoke)
	if code, _, _ := runPayrun(t, dir, "sync", "--ledger", ledgerPath); code != exitStopped {
		t.Errorf("sync with a revoked key: exit %d, want 4", code)
	}
	if code, _, _ := runPayrun(t, dir, "sync", "--ledger", filepath.Join(dir, "missing.db")); code != exitUsage {
		t.Errorf("sync with a missing ledger: exit %d, want 2", code)
	}
}
