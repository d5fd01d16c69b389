package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/payrun/payrun/state"
)

func (a *app) ledgerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Back up or check the ledger",
		Long: `Ledger backs up the SQLite ledger with its fingerprint key, or checks its
integrity and the invariants that keep every payout from being sent twice.
Both work beside a running payrun run.`,
	}
	cmd.AddCommand(a.ledgerBackupCmd(), a.ledgerCheckCmd())
	return cmd
}

func (a *app) ledgerBackupCmd() *cobra.Command {
	var lo ledgerOptions
	cmd := &cobra.Command{
		Use:   "backup PATH",
		Short: "Write a consistent copy of the ledger and its key file",
		Long: `Backup writes a consistent copy of the ledger to PATH (SQLite's VACUUM INTO,
safe while a run is in progress) and copies the fingerprint key file LEDGER.key
to PATH.key, both with mode 0600. PATH must not exist.

The key file belongs with the backup: without it the fingerprints of bank details
in the copy match nothing, and known beneficiaries cannot be recognised. When
the key comes from PAYRUN_FINGERPRINT_KEY, keep that value with the backup.

To restore, stop the timer or cron job, copy PATH to the ledger path and PATH.key
to LEDGER.key, then run payrun run: it adopts the payouts that Anton created
after the backup, so none is paid twice.`,
		Example: `  payrun ledger backup /var/backups/payrun/payrun-$(date +%F).db
  payrun ledger backup --sandbox backups/sandbox.db`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.ledgerBackup(cmd.Context(), &lo, args[0])
		},
	}
	lo.addFlags(cmd)
	return cmd
}

func (a *app) ledgerBackup(ctx context.Context, lo *ledgerOptions, dest string) error {
	keyDest := state.KeyPath(dest)
	for _, p := range []string{dest, keyDest} {
		if _, err := os.Lstat(p); err == nil {
			return usageError("backup target %s already exists: choose a new path", p)
		}
	}
	led, err := lo.open(ctx)
	if err != nil {
		return err
	}
	defer led.Close()

	if err := led.Backup(ctx, dest); err != nil {
		return withCode(exitUsage, err)
	}
	copied, err := copyKeyFile(state.KeyPath(led.Path()), keyDest)
	if err != nil {
		os.Remove(dest)
		return withCode(exitUsage, fmt.Errorf("back up fingerprint key (the ledger copy was removed, so run the backup again once this is fixed): %w", err))
	}

	fmt.Fprintf(a.stdout, "ledger %s backed up to %s\n", led.Path(), dest)
	switch {
	case copied:
		fmt.Fprintf(a.stdout, "fingerprint key copied to %s: keep both files together\n", keyDest)
	case os.Getenv("PAYRUN_FINGERPRINT_KEY") != "":
		fmt.Fprintln(a.stdout, "fingerprint key comes from PAYRUN_FINGERPRINT_KEY: keep that value with the backup")
	default:
		if err := a.reportMissingKey(ctx, led); err != nil {
			return err
		}
	}
	a.logger.Info("ledger backed up", "ledger", led.Path(), "backup", dest, "key_copied", copied)
	return nil
}

// reportMissingKey prints why the backup has no key file. A ledger with data
// has lost its key, which the backup cannot replace.
func (a *app) reportMissingKey(ctx context.Context, led *state.Ledger) error {
	keyFile := state.KeyPath(led.Path())
	used, err := led.HasData(ctx)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if !used {
		fmt.Fprintf(a.stdout, "no fingerprint key file %s exists yet, so there was no key to copy\n", keyFile)
		return nil
	}
	fmt.Fprintf(a.stdout, "fingerprint key file %s is missing, so the backup has no key: restore the key file from the .key file of an earlier backup before the next run\n", keyFile)
	a.logger.Warn("fingerprint key file missing for a ledger with data", "ledger", led.Path(), "key_file", keyFile)
	return nil
}

// copyKeyFile copies the key file to dest with mode 0600 and reports whether
// there was one to copy.
func copyKeyFile(src, dest string) (bool, error) {
	in, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer in.Close()
	out, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false, err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dest)
		return false, err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(dest)
		return false, err
	}
	if err := out.Close(); err != nil {
		os.Remove(dest)
		return false, err
	}
	return true, nil
}

func (a *app) ledgerCheckCmd() *cobra.Command {
	var lo ledgerOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the ledger's integrity and payout invariants",
		Long: `Check runs SQLite's integrity_check and foreign_key_check on the ledger and
verifies its invariants: no idempotency key or reference on two rows that may be
sent, every submitted row with a payout id and a recorded attempt (adopted rows
excepted), row and payout statuses that agree, no terminal status moved back, no
reference with two payouts, ledger and key files with mode 0600, and a
fingerprint key (LEDGER.key or PAYRUN_FINGERPRINT_KEY) that exists whenever the
ledger contains data and matches the key check value stored in the ledger.

Exit status: 0 no findings, 1 findings (each printed on its own line), 2 the
ledger cannot be opened.`,
		Example: `  payrun ledger check
  payrun ledger check --ledger /var/lib/payrun/payrun.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.ledgerCheck(cmd.Context(), &lo)
		},
	}
	lo.addFlags(cmd)
	return cmd
}

func (a *app) ledgerCheck(ctx context.Context, lo *ledgerOptions) error {
	led, err := lo.open(ctx)
	if err != nil {
		return err
	}
	defer led.Close()

	findings, err := led.Check(ctx)
	if err != nil {
		return withCode(exitUsage, err)
	}
	for _, f := range findings {
		fmt.Fprintln(a.stdout, f.String())
	}
	if len(findings) > 0 {
		a.logger.Warn("ledger check found problems", "ledger", led.Path(), "findings", len(findings))
		return withCode(exitRowProblems, fmt.Errorf("ledger %s has %d findings, listed above", led.Path(), len(findings)))
	}
	fmt.Fprintf(a.stdout, "ledger %s: no findings\n", led.Path())
	return nil
}

// Default ledger files, in the working directory.
const (
	defaultLedger = "payrun.db"
	sandboxLedger = "payrun-sandbox.db"
)

// configLedgerPath returns the ledger path of a command that reads the [run]
// table: --ledger, then PAYRUN_LEDGER, then the config file's ledger, then
// payrun.db. With --sandbox only --ledger replaces payrun-sandbox.db, so that
// sandbox payouts never reach a configured real ledger. The configured path
// that --sandbox sets aside is logged through slog's default logger, which
// the root command points at the app's logger.
func configLedgerPath(flag, configured string, sandboxMode bool) string {
	if flag != "" {
		return flag
	}
	env := os.Getenv("PAYRUN_LEDGER")
	if sandboxMode {
		logSetAsideLedger(env, configured)
		return sandboxLedger
	}
	if env != "" {
		return env
	}
	if configured != "" {
		return configured
	}
	return defaultLedger
}

// logSetAsideLedger logs the configured ledger that --sandbox does not use:
// PAYRUN_LEDGER if set, else the config file's [run] ledger.
func logSetAsideLedger(env, configured string) {
	setAside, source := env, "PAYRUN_LEDGER"
	if setAside == "" {
		setAside, source = configured, "config file [run] ledger"
	}
	if setAside == "" || setAside == sandboxLedger {
		return
	}
	slog.Info("--sandbox does not use the configured ledger, so sandbox payouts stay out of it; pass --ledger to choose the sandbox ledger",
		"configured_ledger", setAside, "configured_by", source, "ledger", sandboxLedger)
}
