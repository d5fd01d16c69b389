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
}

func (o *ledgerOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.path, "ledger", "", "ledger file (default $PAYRUN_LEDGER, else payrun.db; payrun-sandbox.db with --sandbox)")
	cmd.Flags().BoolVar(&o.sandbox, "sandbox", false, "use the sandbox ledger (payrun-sandbox.db)")
}

// open opens an existing ledger. A missing ledger is a usage error rather
// than a new empty file.
func (o *ledgerOptions) open(ctx context.Context) (*state.Ledger, error) {
	path := ledgerPath(o.path, o.sandbox)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, usageError("ledger %s not found: pass --ledger, set PAYRUN_LEDGER, or add --sandbox for the sandbox ledger", path)
	}
	led, err := state.Open(ctx, path)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return led, nil
}
