package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/payrun/payrun/state"
)

// ledgerOptions are the flags of commands that read the ledger.
type ledgerOptions struct {
	path    string
	sandbox bool
	config  string

	// resolved caches resolve's result, so the ledger that --sandbox sets
	// aside is logged once per command.
	resolved string
}

func (o *ledgerOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.path, "ledger", "", "ledger file (default $PAYRUN_LEDGER, else payrun.db; with --sandbox only this flag replaces payrun-sandbox.db)")
	cmd.Flags().BoolVar(&o.sandbox, "sandbox", false, "use the sandbox ledger payrun-sandbox.db in the working directory, not PAYRUN_LEDGER or the config file's ledger")
	cmd.Flags().StringVar(&o.config, "config", "", "config file whose [run] ledger to use (default $PAYRUN_CONFIG, else payrun.toml if present)")
}

// resolve returns the ledger path in the order of payrun run: --ledger,
// PAYRUN_LEDGER, the config file's [run] ledger, then the default. With
// --sandbox only --ledger replaces payrun-sandbox.db. A config file that
// cannot be read is ignored here, because run reports it.
func (o *ledgerOptions) resolve() string {
	if o.resolved != "" {
		return o.resolved
	}
	configured := ""
	if o.path == "" && !o.sandbox {
		if cfg, err := loadConfig(o.config); err == nil {
			configured = cfg.Run.Ledger
		}
	}
	o.resolved = configLedgerPath(o.path, configured, o.sandbox)
	return o.resolved
}

// open opens an existing ledger. A missing ledger is a usage error rather
// than a new empty file. With --sandbox, a ledger of real Anton payouts is a
// usage error too.
func (o *ledgerOptions) open(ctx context.Context) (*state.Ledger, error) {
	path := o.resolve()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if o.sandbox {
			return nil, usageError("sandbox ledger %s not found: run 'payrun run --sandbox FILE' in this directory to create it, or pass --ledger with an existing sandbox ledger", path)
		}
		return nil, usageError("ledger %s not found: pass --ledger, set PAYRUN_LEDGER, or add --sandbox for the sandbox ledger", path)
	}
	led, err := state.Open(ctx, path)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	if !o.sandbox {
		return led, nil
	}

	api, _, err := ledgerAPI(ctx, led)
	if err != nil {
		led.Close()
		return nil, withCode(exitUsage, err)
	}
	if api == state.APIAnton {
		led.Close()
		return nil, wrongLedgerAPI(path, api)
	}
	return led, nil
}

// ledgerAPI returns the API recorded in the ledger, and whether it is
// recorded. A ledger from before the ledger_api table gets the API its
// contents show: sandbox when a --sandbox run stored its API key, anton when
// it contains other data, and "" when it is empty.
func ledgerAPI(ctx context.Context, led *state.Ledger) (state.API, bool, error) {
	recorded, err := led.RecordedAPI(ctx)
	if err != nil || recorded != "" {
		return recorded, recorded != "", err
	}

	sandboxKey, err := led.GetMeta(ctx, metaSandboxKey)
	if err != nil {
		return "", false, err
	}
	if sandboxKey != "" {
		return state.APISandbox, false, nil
	}
	used, err := led.HasData(ctx)
	if err != nil || !used {
		return "", false, err
	}
	return state.APIAnton, false, nil
}

// claimLedgerAPI records on first use whether the ledger's payouts go to the
// built-in sandbox or to Anton, and rejects a ledger that belongs to the other
// one. Mixing both in one ledger makes a real payout of a reference look like
// a conflict with its sandbox payout, so the real one is never sent.
func (a *app) claimLedgerAPI(ctx context.Context, led *state.Ledger, sandboxMode bool) error {
	want := state.APIAnton
	if sandboxMode {
		want = state.APISandbox
	}
	api, recorded, err := ledgerAPI(ctx, led)
	if err != nil {
		return withCode(exitUsage, err)
	}

	claim := want
	if !recorded && api == state.APIAnton {
		// Real payouts are never relabelled as sandbox ones.
		claim = state.APIAnton
	}
	if !recorded && api == state.APISandbox && want == state.APIAnton {
		a.logger.Warn("ledger was used with --sandbox before, so it may contain sandbox payouts that make real payouts of the same references look like conflicts; look for them with 'payrun status' before this run pays",
			"ledger", led.Path())
	}

	got, err := led.ClaimAPI(ctx, claim)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if got != want {
		return wrongLedgerAPI(led.Path(), got)
	}
	return nil
}

// wrongLedgerAPI is the usage error for a ledger that belongs to the other
// API than the command uses.
func wrongLedgerAPI(path string, recorded state.API) error {
	if recorded == state.APISandbox {
		return withCode(exitUsage, fmt.Errorf("ledger %s contains payouts of the built-in sandbox, so it cannot be used with the Anton API: add --sandbox to use it, or pass --ledger (or set PAYRUN_LEDGER) with the ledger of real payouts", path))
	}
	return withCode(exitUsage, fmt.Errorf("ledger %s contains payouts sent to the Anton API, so it cannot be used with --sandbox: drop --ledger to use %s in the working directory, or pass --ledger with a sandbox ledger", path, sandboxLedger))
}
