package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/state"
)

// dryRun does every step up to the guards on a scratch copy of the ledger:
// ingest, validation, recovery look-ups, adoption and balance checks, with
// read-only requests only. It prints what would be paid and changes nothing:
// the real ledger, its key file and the inbox stay as they are.
func (r *runner) dryRun(ctx context.Context, path string, sources []string) error {
	dir, err := os.MkdirTemp("", "payrun-dry-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	scratch := filepath.Join(dir, "ledger.db")
	if err := copyLedger(ctx, path, scratch); err != nil {
		return withCode(exitUsage, err)
	}
	led, err := state.Open(ctx, scratch)
	if err != nil {
		return withCode(exitUsage, err)
	}
	defer led.Close()
	r.ledger = led
	r.o.noMove = true
	if r.o.api.sandbox {
		r.o.api.sandboxState = filepath.Join(filepath.Dir(path), "payrun-sandbox.state")
	}

	key, err := dryRunKey(path)
	if err != nil {
		return withCode(exitUsage, err)
	}
	r.fp = payrun.NewFingerprinter(key)
	if err := r.setupAPI(ctx); err != nil {
		return err
	}
	defer r.api.Close()
	if err := r.ledger.StartRun(ctx, r.runID, "dry-run"); err != nil {
		return err
	}
	if err := r.planSteps(ctx, sources); err != nil {
		return err
	}
	return r.printPlan(ctx)
}

// copyLedger copies an existing ledger consistently; a missing one leaves the
// scratch ledger new.
func copyLedger(ctx context.Context, path, scratch string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	real, err := state.Open(ctx, path)
	if err != nil {
		return err
	}
	defer real.Close()
	return real.Backup(ctx, scratch)
}

// dryRunKey returns the ledger's fingerprint key without creating one.
func dryRunKey(path string) ([]byte, error) {
	if os.Getenv("PAYRUN_FINGERPRINT_KEY") != "" {
		return state.LoadFingerprintKey(path)
	}
	if _, err := os.Stat(state.KeyPath(path)); err == nil {
		return state.LoadFingerprintKey(path)
	}
	key := make([]byte, 32)
	_, err := rand.Read(key)
	return key, err
}

func (r *runner) planSteps(ctx context.Context, sources []string) error {
	if err := sizeRateLimit(ctx, r.api, &r.o.api, r.a.logger); err != nil {
		return r.apiStop("read the merchant", err)
	}
	if err := r.recover(ctx); err != nil {
		return err
	}
	found, _, err := discover(ctx, sources, r.discoverOptions())
	if err != nil {
		return withCode(exitUsage, err)
	}
	defer cleanupSources(found)
	for _, src := range found {
		if err := r.ingestSource(ctx, src); err != nil {
			return err
		}
	}
	return r.checkBalances(ctx)
}

// printPlan prints, per file, what a run would pay now.
func (r *runner) printPlan(ctx context.Context) error {
	w := r.a.stdout
	fmt.Fprintf(w, "payrun run --dry-run: nothing was sent, recorded or moved\n")
	code := exitOK
	files, err := r.ledger.Files(ctx)
	if err != nil {
		return err
	}
	for _, f := range files {
		counts, err := r.ledger.StateCounts(ctx, f.ID)
		if err != nil {
			return err
		}
		toSend := counts[state.Pending] + counts[state.Submitting] + counts[state.Retryable]
		if f.Status == state.FileActive && toSend == 0 && !r.touched(f.ID) {
			continue
		}
		same, cross, err := r.ledger.PendingTotals(ctx, f.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %s  %s  %s: %s\n", f.ID, f.Name, f.Status, formatStates(stateNames(counts)))
		switch f.Status {
		case state.FileActive:
			totals := payrun.Totals(same).Strings()
			fmt.Fprintf(w, "      would pay %d rows: %s", toSend, formatTotals(totals))
			if len(cross) > 0 {
				fmt.Fprintf(w, " and %d cross-currency rows", len(cross))
			}
			fmt.Fprintln(w)
		case state.FileHeld:
			fmt.Fprintf(w, "      held: %s\n", f.HoldReason)
			code = rankExit(code, exitStopped)
		case state.FileRejected:
			fmt.Fprintf(w, "      rejected: %s\n", f.ErrorMessage)
			code = rankExit(code, exitRowProblems)
		}
		if counts[state.Invalid]+counts[state.Conflict] > 0 {
			code = rankExit(code, exitRowProblems)
		}
	}
	if code != exitOK {
		return withCode(code, nil)
	}
	return nil
}

func (r *runner) touched(fileID string) bool {
	for _, out := range r.files {
		if out.file.ID == fileID {
			return true
		}
	}
	return false
}

func stateNames(counts map[state.State]int) map[string]int {
	out := make(map[string]int, len(counts))
	for s, n := range counts {
		out[string(s)] = n
	}
	return out
}
