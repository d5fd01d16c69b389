package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit/sandbox"
)

// cancelOnLog is a log writer that cancels a context when a log line
// contains a marker, which interrupts a run at a known step.
type cancelOnLog struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (w *cancelOnLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte(w.marker)) {
		w.cancel()
	}
	return w.buf.Write(p)
}

// writeLongFile writes a payout file of n rows with known beneficiaries,
// whose second row repeats the reference of the first.
func writeLongFile(t *testing.T, path string, n int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("reference,amount,currency,beneficiary_id,instrument_id,method\n")
	for i := 0; i < n; i++ {
		ref := fmt.Sprintf("L-%05d", i)
		if i == 1 {
			ref = "L-00000"
		}
		fmt.Fprintf(&b, "%s,10.00,EUR,ben_01HZX3K9Q2M4N5P6%06d,ins_01HZX3K9Q2M4N5P6%06d,sepa\n", ref, i, i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// An interrupt between two batches of a file's rows exits 130, leaves no
// partial rows pending, and the next run records the whole file again.
func TestRun_InterruptDuringIngest(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{Balances: map[string]string{"EUR": "1.00"}})
	dir := t.TempDir()
	rows := 2*recordBatch + 100
	writeLongFile(t, filepath.Join(dir, "long.csv"), rows)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The first batch logs the late duplicate after it is recorded, so the
	// interrupt comes before the second batch.
	logs := &cancelOnLog{marker: "earlier rows invalid", cancel: cancel}
	var stdout bytes.Buffer
	a := newApp(&stdout, logs)
	cmd := a.root()
	cmd.SetArgs([]string{"run", "--max-invalid", "10", "long.csv"})
	old, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	err := cmd.ExecuteContext(ctx)
	os.Chdir(old)

	if code := exitCode(err); code != exitInterrupted {
		t.Fatalf("interrupted ingest: exit=%d, want 130 (%v)\n%s\n%s", code, err, stdout.String(), logs.buf.String())
	}
	if !strings.Contains(err.Error(), "not fully recorded, and the next run reads it again") {
		t.Errorf("error does not say the file is read again: %v", err)
	}
	out := stdout.String()
	if !strings.Contains(out, "interrupted before the file was fully recorded") {
		t.Errorf("summary does not show the interrupted file:\n%s", out)
	}
	for _, wrong := range []string{"pending", "continues them"} {
		if strings.Contains(out, wrong) {
			t.Errorf("summary of the interrupted file contains %q:\n%s", wrong, out)
		}
	}
	if counts := ledgerCounts(t, filepath.Join(dir, "payrun.db")); len(counts) != 0 {
		t.Errorf("ledger rows after the interrupt: %v, want none", counts)
	}

	// The balance holds the file, so the second run records it without
	// submitting 1,100 payouts.
	code, out2, _ := runPayrun(t, dir, "run", "--max-invalid", "10", "long.csv")
	if code != exitStopped {
		t.Fatalf("run after the interrupt: exit=%d, want 4 (balance hold)\n%s", code, out2)
	}
	counts := ledgerCounts(t, filepath.Join(dir, "payrun.db"))
	if counts[state.Held] != rows-2 {
		t.Errorf("held rows=%d, want %d", counts[state.Held], rows-2)
	}
	if counts[state.Invalid] != 2 {
		t.Errorf("invalid rows=%d, want 2 (the repeated reference)", counts[state.Invalid])
	}
	if n := srv.Stats().PayoutsCreated; n != 0 {
		t.Errorf("%d payouts created", n)
	}
}
