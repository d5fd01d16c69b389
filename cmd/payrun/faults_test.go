package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payrun/payrun/ingest"
	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit/sandbox"
)

func postAdmin(t *testing.T, srv *sandbox.Server, path, body string) {
	t.Helper()
	resp, err := http.Post(srv.URL()+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: status %d", path, resp.StatusCode)
	}
}

func ledgerCounts(t *testing.T, path string) map[state.State]int {
	t.Helper()
	led, err := state.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	counts, err := led.StateCounts(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

// When every response is lost after Anton created the payout, the rows stay
// retryable. A day later Anton has forgotten the keys, so a resend would pay
// again; payrun must find the payouts by reference instead.
func TestRun_OldUnknownRowsLookedUpByReference(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{Faults: sandbox.Faults{DropAfterRate: 1}})
	dir := t.TempDir()
	src, _ := filepath.Abs("testdata/mixed.csv")
	copyFile(t, src, filepath.Join(dir, "payouts.csv"))

	code, stdout, _ := runPayrun(t, dir, "run", "--max-invalid", "20%", "--retry-budget", "20", "payouts.csv")
	if code != exitRowProblems {
		t.Fatalf("run with every answer dropped: exit=%d, want 1\n%s", code, stdout)
	}
	if n := ledgerCounts(t, filepath.Join(dir, "payrun.db"))[state.Retryable]; n == 0 {
		t.Fatalf("no retryable rows after dropped answers; counts %v", ledgerCounts(t, filepath.Join(dir, "payrun.db")))
	}
	created := srv.Stats().PayoutsCreated

	srv.SetFaults(sandbox.Faults{})
	postAdmin(t, srv, "/_sandbox/clock", `{"advance": "25h"}`)
	code, stdout, stderr := runPayrun(t, dir, "run", "--max-invalid", "20%", "payouts.csv")
	if code != exitRowProblems {
		t.Fatalf("rerun a day later: exit=%d, want 1 (the invalid row)\n%s\n%s", code, stdout, stderr)
	}
	stats := srv.Stats()
	if len(stats.DuplicateReferences) != 0 {
		t.Errorf("duplicate payouts for %v", stats.DuplicateReferences)
	}
	if stats.PayoutsCreated != 10 {
		t.Errorf("payouts_created=%d (was %d before the rerun), want 10", stats.PayoutsCreated, created)
	}
	if stats.BeneficiariesCreated != 9 {
		t.Errorf("beneficiaries_created=%d, want 9", stats.BeneficiariesCreated)
	}
	if n := ledgerCounts(t, filepath.Join(dir, "payrun.db"))[state.Submitted]; n != 10 {
		t.Errorf("%d rows submitted, want 10", n)
	}
}

// Retry-After in HTTP-date form pauses the workers; the run still pays every
// row exactly once.
func TestRun_RetryAfterHTTPDate(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{Faults: sandbox.Faults{ThrottleRate: 0.1, RetryAfterHTTPDate: true}, Seed: 3})
	dir := t.TempDir()
	src, _ := filepath.Abs("testdata/mixed.csv")
	copyFile(t, src, filepath.Join(dir, "payouts.csv"))

	code, stdout, stderr := runPayrun(t, dir, "run", "--max-invalid", "20%", "payouts.csv")
	if code != exitRowProblems {
		t.Fatalf("exit=%d, want 1 (one invalid row)\n%s\n%s", code, stdout, stderr)
	}
	stats := srv.Stats()
	if stats.Requests.ByStatus["429"] == 0 {
		t.Errorf("the sandbox answered no 429; the test did not exercise Retry-After")
	}
	if stats.PayoutsCreated != 10 || len(stats.DuplicateReferences) != 0 {
		t.Errorf("payouts_created=%d duplicates=%v, want 10 and none", stats.PayoutsCreated, stats.DuplicateReferences)
	}
}

// A key revoked in the middle of a run stops it with exit 4; unsent rows stay
// pending and nothing is paid twice.
func TestRun_RevokedKeyStopsRun(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{Faults: sandbox.Faults{
		Latency: sandbox.Range{Min: 30 * time.Millisecond, Max: 30 * time.Millisecond}}})
	dir := t.TempDir()
	src, _ := filepath.Abs("testdata/mixed.csv")
	copyFile(t, src, filepath.Join(dir, "payouts.csv"))

	go func() {
		for srv.Stats().PayoutsCreated < 2 {
			time.Sleep(5 * time.Millisecond)
		}
		http.Post(srv.URL()+"/_sandbox/keys/revoke", "application/json",
			strings.NewReader(`{"key": "`+os.Getenv("ANTON_API_KEY")+`"}`))
	}()
	code, stdout, stderr := runPayrun(t, dir, "run", "--concurrency", "1", "--max-invalid", "20%", "payouts.csv")
	if code != exitStopped {
		t.Fatalf("exit=%d, want 4\n%s\n%s", code, stdout, stderr)
	}
	counts := ledgerCounts(t, filepath.Join(dir, "payrun.db"))
	if counts[state.Pending] == 0 {
		t.Errorf("no row left pending after the stop: %v", counts)
	}
	if counts[state.Rejected]+counts[state.Conflict] != 0 {
		t.Errorf("a revoked key rejected rows instead of stopping: %v", counts)
	}
	if len(srv.Stats().DuplicateReferences) != 0 {
		t.Errorf("duplicate payouts after the stop")
	}
}

// SIGINT stops dispatching, lets requests in flight finish and be recorded,
// and exits 130; no row is left submitting and a rerun finishes the file.
func TestRun_InterruptFinishesInFlight(t *testing.T) {
	bin := buildPayrun(t)
	srv := startSandbox(t, sandbox.Options{Faults: sandbox.Faults{
		Latency: sandbox.Range{Min: 150 * time.Millisecond, Max: 150 * time.Millisecond}}})
	dir := t.TempDir()
	file := filepath.Join(dir, "payouts.csv")
	writeChaosFile(t, file, 200)

	cmd := exec.Command(bin, "run", "--concurrency", "4", file)
	cmd.Dir, cmd.Env = dir, os.Environ()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for srv.Stats().PayoutsCreated < 3 {
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	exitErr, ok := err.(*exec.ExitError)
	if !ok || exitErr.ExitCode() != exitInterrupted {
		t.Fatalf("interrupted run: err=%v, want exit %d", err, exitInterrupted)
	}
	counts := ledgerCounts(t, filepath.Join(dir, "payrun.db"))
	if counts[state.Submitting] != 0 {
		t.Errorf("%d rows left submitting after a graceful stop", counts[state.Submitting])
	}
	if counts[state.Submitted] != srv.Stats().PayoutsCreated {
		t.Errorf("ledger has %d submitted rows, the sandbox %d payouts", counts[state.Submitted], srv.Stats().PayoutsCreated)
	}

	code, stdout, _ := runPayrun(t, dir, "run", file)
	if code != exitOK {
		t.Fatalf("rerun exit=%d\n%s", code, stdout)
	}
	if st := srv.Stats(); st.PayoutsCreated != 200 || len(st.DuplicateReferences) != 0 {
		t.Errorf("after the rerun: %d payouts, duplicates %v; want 200 and none", st.PayoutsCreated, st.DuplicateReferences)
	}
}

// Sustained 500s open the breaker: the run stops with exit 4 and leaves the
// unsent rows pending for the next run.
func TestRun_BreakerStopsOnSustained5xx(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	src, _ := filepath.Abs("testdata/mixed.csv")
	copyFile(t, src, filepath.Join(dir, "payouts.csv"))
	// Anton starts failing every request once the first payout exists.
	go func() {
		for srv.Stats().PayoutsCreated < 1 {
			time.Sleep(2 * time.Millisecond)
		}
		srv.SetFaults(sandbox.Faults{ErrorRate: 1})
	}()
	code, stdout, _ := runPayrun(t, dir, "run", "--concurrency", "2", "--max-invalid", "20%", "payouts.csv")
	if code != exitStopped {
		t.Fatalf("exit=%d, want 4\n%s", code, stdout)
	}
	counts := ledgerCounts(t, filepath.Join(dir, "payrun.db"))
	if counts[state.Pending] == 0 {
		t.Errorf("no rows left pending after the breaker opened: %v", counts)
	}

	srv.SetFaults(sandbox.Faults{})
	if code, stdout, _ := runPayrun(t, dir, "run", "--max-invalid", "20%", "payouts.csv"); code != exitRowProblems {
		t.Fatalf("rerun after recovery: exit=%d, want 1 (one invalid row)\n%s", code, stdout)
	}
	if n := srv.Stats().PayoutsCreated; n != 10 {
		t.Errorf("payouts after recovery=%d, want 10", n)
	}
}

// A run that dies while recording a file leaves it ingesting with part of its
// rows. The next run discards them and records the whole file again, so no
// row is lost and none is paid twice.
func TestRun_CrashDuringIngestLosesNoRow(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	file := filepath.Join(dir, "payouts.csv")
	writeChaosFile(t, file, 30)
	sum, _, err := ingest.FileSHA256(file)
	if err != nil {
		t.Fatal(err)
	}

	// Reproduce the ledger a crash after the first batch leaves behind. A run
	// creates the fingerprint key before it ingests, so the crashed one did.
	t.Setenv("PAYRUN_FINGERPRINT_KEY", "")
	ctx := context.Background()
	led, err := state.Open(ctx, filepath.Join(dir, "payrun.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := led.FingerprintKey(ctx); err != nil {
		t.Fatal(err)
	}
	led.StartRun(ctx, "crashed", "run")
	f := &state.File{ID: sum[:12], SHA256: sum, Source: file, Name: "payouts.csv", Format: "csv",
		Status: state.FileIngesting, RunID: "crashed"}
	if err := led.InsertFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	partial := &state.Row{FileID: f.ID, RowNum: 2, LineNum: 2, Reference: "CH-0000001", State: state.Pending,
		Key: "payrun-partial", ContentHash: "payrun-partial", AmountMinor: 100, Currency: "EUR"}
	if err := led.RecordRows(ctx, []*state.Row{partial}); err != nil {
		t.Fatal(err)
	}
	led.Close()

	code, stdout, stderr := runPayrun(t, dir, "run", file)
	if code != exitOK {
		t.Fatalf("run after the crash: exit=%d\n%s\n%s", code, stdout, stderr)
	}
	if st := srv.Stats(); st.PayoutsCreated != 30 || len(st.DuplicateReferences) != 0 {
		t.Errorf("%d payouts, duplicates %v; want 30 and none", st.PayoutsCreated, st.DuplicateReferences)
	}
	if n := ledgerCounts(t, filepath.Join(dir, "payrun.db"))[state.Submitted]; n != 30 {
		t.Errorf("%d rows submitted, want 30", n)
	}
}

// A failed look-up of a day-old unknown row keeps that row from being sent,
// and the rest of the run goes on.
func TestRun_FailedLookupSkipsOnlyThatRow(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{Faults: sandbox.Faults{DropAfterRate: 1}, Seed: 5})
	dir := t.TempDir()
	src, _ := filepath.Abs("testdata/mixed.csv")
	copyFile(t, src, filepath.Join(dir, "payouts.csv"))
	if code, _, _ := runPayrun(t, dir, "run", "--max-invalid", "20%", "--retry-budget", "20", "payouts.csv"); code != exitRowProblems {
		t.Fatalf("first run exit=%d, want 1", code)
	}
	postAdmin(t, srv, "/_sandbox/clock", `{"advance": "25h"}`)
	srv.SetFaults(sandbox.Faults{ErrorRate: 0.3})

	code, stdout, _ := runPayrun(t, dir, "run", "--max-invalid", "20%", "--retry-budget", "3", "payouts.csv")
	if code == exitStopped || code == exitUsage {
		t.Fatalf("a failed look-up stopped the whole run: exit=%d\n%s", code, stdout)
	}
	if st := srv.Stats(); len(st.DuplicateReferences) != 0 {
		t.Errorf("duplicate payouts %v", st.DuplicateReferences)
	}
}
