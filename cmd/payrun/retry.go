package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/spf13/cobra"

	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
)

func (a *app) retryCmd() *cobra.Command {
	o := &runOptions{}
	var fileID, runID, reference string
	cmd := &cobra.Command{
		Use:   "retry",
		Short: "Resubmit retryable rows with their original keys and bodies",
		Long: `Retry resubmits rows whose outcome is unknown (retryable, or submitting after a
crash), with the idempotency key and the exact request body of their first
attempt, so Anton replays a payout that already exists instead of paying again.

With --reference, a rejected row of that reference is sent again under a new key
(Anton created no payout for it). Exit codes are those of payrun run.`,
		Example: `  payrun retry --sandbox
  payrun retry --file 3f2a9c1b7d4e
  payrun retry --reference INV-2026-0042`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.only = state.RowFilter{FileID: fileID, RunID: runID, Reference: reference}
			return a.resubmit(cmd.Context(), o, cmd, "retry")
		},
	}
	o.api.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.ledger, "ledger", "", "ledger file (default $PAYRUN_LEDGER, else payrun.db; payrun-sandbox.db with --sandbox)")
	f.StringVar(&o.configPath, "config", "", "config file (default $PAYRUN_CONFIG, else payrun.toml if present)")
	f.StringVar(&o.reports, "reports", "payrun-reports", "directory (or s3:// URL) that receives the reports")
	f.StringVar(&o.formats, "report-format", "csv,json,xlsx", "report formats, comma-separated: csv, json, xlsx")
	f.StringVar(&o.metrics, "metrics-file", "", "write Prometheus text-format metrics to this file at the end")
	f.StringVar(&fileID, "file", "", "only rows of this file id")
	f.StringVar(&runID, "run", "", "only rows last sent by this run id")
	f.StringVar(&reference, "reference", "", "only the row of this reference; a rejected row is sent again under a new key")
	f.BoolVar(&o.allowBankChange, "allow-bank-change", false, "let a known external_ref be paid to new bank details")
	f.StringVar(&o.feeBuffer, "fee-buffer", "2%", "margin over the payout amounts that the balance must cover before pending rows are sent, in percent")
	return cmd
}

// resubmit runs retry or release: lock, recover, submit the selected rows,
// report. It shares every step after ingest with payrun run.
func (a *app) resubmit(ctx context.Context, o *runOptions, cmd *cobra.Command, command string) error {
	cfg, lock, led, err := openForSubmit(ctx, o, cmd)
	if err != nil {
		return err
	}
	defer lock.Release()
	defer led.Close()

	r := &runner{a: a, o: o, cfg: cfg, runID: ulid.Make().String(), started: time.Now().UTC(),
		user: currentUser(), metrics: newRunMetrics(), ledger: led, only: o.only}
	if command == "retry" {
		r.onlyStates = []state.State{state.Retryable, state.Submitting}
	}
	if err := r.setup(ctx); err != nil {
		return err
	}
	defer r.api.Close()
	if err := led.StartRun(ctx, r.runID, command); err != nil {
		return err
	}
	stepErr := r.resubmitSteps(ctx, command)
	return r.finish(ctx, stepErr)
}

func (r *runner) resubmitSteps(ctx context.Context, command string) error {
	if err := sizeRateLimit(ctx, r.api, &r.o.api, r.a.logger); err != nil {
		return r.apiStop("read the merchant", err)
	}
	if err := r.recover(ctx); err != nil {
		return err
	}
	if err := r.checkSelection(ctx); err != nil {
		return err
	}
	if command == "retry" && r.only.Reference != "" {
		if err := r.reopenRejected(ctx, r.only.Reference); err != nil {
			return err
		}
	}
	if r.sendsPending() {
		if err := r.checkBalances(ctx); err != nil {
			return err
		}
	}
	return r.submit(ctx)
}

// sendsPending reports whether the rows selected for submission include
// pending ones, which must pass the balance check first. Retry alone sends
// only rows whose first attempt was already made.
func (r *runner) sendsPending() bool {
	return len(r.onlyStates) == 0 || slices.Contains(r.onlyStates, state.Pending)
}

// openForSubmit loads the config, takes the run lock and opens the existing
// ledger, for retry and release. The caller releases the lock and closes the
// ledger.
func openForSubmit(ctx context.Context, o *runOptions, cmd *cobra.Command) (*config, *state.RunLock, *state.Ledger, error) {
	cfg, err := loadRunConfig(o, cmd.Flags())
	if err != nil {
		return nil, nil, nil, err
	}
	if err := o.validate(); err != nil {
		return nil, nil, nil, withCode(exitUsage, err)
	}
	path := configLedgerPath(o.ledger, cfg.Run.Ledger, o.api.sandbox)
	lock, err := acquireLock(path)
	if err != nil {
		return nil, nil, nil, err
	}
	lo := ledgerOptions{path: path, sandbox: o.api.sandbox}
	led, err := lo.open(ctx)
	if err != nil {
		lock.Release()
		return nil, nil, nil, err
	}
	return cfg, lock, led, nil
}

// reopenRejected sends a rejected reference again under the next key attempt,
// when the reference has no sendable row. It prefers the newest row recorded
// as "rejected before", because that row comes from the corrected re-drop and
// its source file has the corrected data, for example beneficiary details.
func (r *runner) reopenRejected(ctx context.Context, reference string) error {
	rows, err := r.ledger.Rows(ctx, state.RowFilter{Reference: reference})
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return usageError("reference %s is not in the ledger %s", reference, r.ledger.Path())
	}
	var target *state.Row
	attempt := 0
	for _, row := range rows {
		if row.State.Unfinished() || row.State == state.Submitted {
			return nil
		}
		if row.State == state.Rejected || (row.State == state.Duplicate && row.ErrorCode == state.CodeRejectedBefore) {
			target = row
			attempt = max(attempt, row.KeyAttempt)
		}
	}
	if target == nil {
		return nil
	}
	attempt++
	if err := r.ledger.ResendRejected(ctx, target.ID, rekey(target, attempt), attempt, r.runID); err != nil {
		return err
	}
	r.onlyStates = append(r.onlyStates, state.Pending)
	r.a.logger.Info("rejected row reopened", "row_id", target.ID, "reference", reference, "key_attempt", attempt)
	fmt.Fprintf(r.a.stdout, "reference %s: row %d of file %s is sent again (key attempt %d)\n",
		reference, target.RowNum, target.FileID, attempt)
	return nil
}

// rekey derives the key of a later attempt of a rejected row. The ledger
// stores the content hash, which is the attempt-0 key of the same material,
// so the new key is derived from it and the attempt number.
func rekey(row *state.Row, attempt int) string {
	return submit.PayoutKey(submit.KeyInput{Namespace: "resend", Reference: row.ContentHash}, attempt)
}

// checkSelection rejects a --file or --run that the ledger does not know, so
// a mistyped id is an error instead of a run that quietly does nothing.
func (r *runner) checkSelection(ctx context.Context) error {
	if r.only.FileID != "" {
		if _, err := r.ledger.File(ctx, r.only.FileID); err != nil {
			return withCode(exitUsage, err)
		}
	}
	if r.only.RunID != "" {
		known, err := r.ledger.RunExists(ctx, r.only.RunID)
		if err != nil {
			return err
		}
		if !known {
			return usageError("run %s not found in the ledger %s: the run ids are in the reports folder names and in 'payrun report --since'", r.only.RunID, r.ledger.Path())
		}
	}
	return nil
}
