package main

import (
	"context"
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/payrun/payrun/state"
)

// ledgerOptions are the flags of commands that read the ledger.
type ledgerOptions struct {
	path    string
	sandbox bool
	config  string
}

func (o *ledgerOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.path, "ledger", "", "ledger file (default $PAYRUN_LEDGER, else payrun.db; payrun-sandbox.db with --sandbox)")
	cmd.Flags().BoolVar(&o.sandbox, "sandbox", false, "use the sandbox ledger (payrun-sandbox.db)")
	cmd.Flags().StringVar(&o.config, "config", "", "config file whose [run] ledger to use (default $PAYRUN_CONFIG, else payrun.toml if present)")
}

// resolve returns the ledger path: --ledger, PAYRUN_LEDGER, the config file's
// [run] ledger, then the default, the same order as payrun run. A config file
// that cannot be read is ignored here, because run reports it.
func (o *ledgerOptions) resolve() string {
	if o.path != "" {
		return o.path
	}
	configured := ""
	if cfg, err := loadConfig(o.config); err == nil {
		configured = cfg.Run.Ledger
	}
	return configLedgerPath("", configured, o.sandbox)
}

// open opens an existing ledger. A missing ledger is a usage error rather
// than a new empty file.
func (o *ledgerOptions) open(ctx context.Context) (*state.Ledger, error) {
	path := o.resolve()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, usageError("ledger %s not found: pass --ledger, set PAYRUN_LEDGER, or add --sandbox for the sandbox ledger", path)
	}
	led, err := state.Open(ctx, path)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return led, nil
}
