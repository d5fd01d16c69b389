package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/spf13/cobra"

	"github.com/payrun/payrun/state"
)

func (a *app) releaseCmd() *cobra.Command {
	o := &runOptions{}
	var approver string
	cmd := &cobra.Command{
		Use:   "release FILE_ID",
		Short: "Submit a file held by a guard, after a person has checked it",
		Long: `Release records who released a held file and when, then submits its rows.
A file held for approval needs --approver, and the approver must not be the
operating-system user who ingested the file. Release lifts only the hold of the
file: its rows still pass the balance check before they are submitted. Files
held for insufficient balance cannot be released, because every run checks
their balance again and pays them once the account covers them.`,
		Example: `  payrun release 3f2a9c1b7d4e --approver "Dana Fischer"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.release(cmd.Context(), o, cmd, args[0], strings.TrimSpace(approver))
		},
	}
	o.api.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.ledger, "ledger", "", "ledger file (default $PAYRUN_LEDGER, else payrun.db; payrun-sandbox.db with --sandbox)")
	f.StringVar(&o.configPath, "config", "", "config file (default $PAYRUN_CONFIG, else payrun.toml if present)")
	f.StringVar(&o.reports, "reports", "payrun-reports", "directory (or s3:// URL) that receives the reports")
	f.StringVar(&o.formats, "report-format", "csv,json,xlsx", "report formats, comma-separated: csv, json, xlsx")
	f.StringVar(&o.metrics, "metrics-file", "", "write Prometheus text-format metrics to this file at the end")
	f.StringVar(&approver, "approver", "", "name of the person who checked and approves the file (required for files held for approval)")
	f.BoolVar(&o.allowBankChange, "allow-bank-change", false, "let a known external_ref be paid to new bank details")
	f.StringVar(&o.feeBuffer, "fee-buffer", "2%", "margin over the payout amounts that the balance must cover before pending rows are sent, in percent")
	return cmd
}

func (a *app) release(ctx context.Context, o *runOptions, cmd *cobra.Command, fileID, approver string) error {
	cfg, lock, led, err := openForSubmit(ctx, o, cmd)
	if err != nil {
		return err
	}
	defer lock.Release()
	defer led.Close()

	file, err := led.File(ctx, fileID)
	if err != nil {
		return withCode(exitUsage, err)
	}
	releasedBy, err := checkRelease(file, approver, currentUser())
	if err != nil {
		return err
	}
	if err := led.ReleaseFile(ctx, file.ID, releasedBy); err != nil {
		return withCode(exitUsage, err)
	}
	a.logger.Info("file released", "file_id", file.ID, "hold", file.HoldKind, "released_by", releasedBy)
	fmt.Fprintf(a.stdout, "file %s (%s) released by %s; submitting its rows\n", file.ID, file.Name, releasedBy)

	r := &runner{a: a, o: o, cfg: cfg, runID: ulid.Make().String(), started: time.Now().UTC(),
		user: currentUser(), metrics: newRunMetrics(), ledger: led,
		only: state.RowFilter{FileID: file.ID}}
	file.Status = state.FileActive
	r.files = []*fileOutcome{{source: &sourceFile{Location: file.Source, Name: file.Name}, file: file, status: "released"}}
	if err := r.setup(ctx); err != nil {
		return err
	}
	defer r.api.Close()
	if err := led.StartRun(ctx, r.runID, "release"); err != nil {
		return err
	}
	return r.finish(ctx, r.resubmitSteps(ctx, "release"))
}

// checkRelease returns who releases the file. An approval hold needs an
// approver other than the user who ingested the file (four-eyes rule). A
// balance hold is rejected, because a release would skip the balance check
// that lifts it.
func checkRelease(file *state.File, approver, user string) (string, error) {
	if file.Status != state.FileHeld {
		return "", usageError("file %s is not held (status %s): nothing to release", file.ID, file.Status)
	}
	if file.HoldKind == state.HoldBalance {
		return "", usageError("file %s is held because the balance does not cover it: every run rechecks the balance, so top up the account and run payrun again", file.ID)
	}
	if file.HoldKind != state.HoldApproval {
		if approver != "" {
			return approver + " (os user " + user + ")", nil
		}
		return user, nil
	}
	if approver == "" {
		return "", usageError("file %s awaits approval: pass --approver NAME with the name of the person who checked it", file.ID)
	}
	if strings.EqualFold(approver, file.IngestedBy) {
		return "", usageError("file %s was ingested by %s, who may not approve it: another person must approve the release", file.ID, file.IngestedBy)
	}
	return approver + " (os user " + user + ")", nil
}
