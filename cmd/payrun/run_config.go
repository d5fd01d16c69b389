package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/pflag"

	"github.com/payrun/payrun/reconcile"
	"github.com/payrun/payrun/state"
)

// applyConfig fills options that the command line did not set from the [run]
// table of the config file.
func (o *runOptions) applyConfig(cfg *config, flags *pflag.FlagSet) error {
	run := cfg.Run
	set := func(name string) bool { return flags.Changed(name) }
	if !set("reports") && run.Reports != "" {
		o.reports = run.Reports
	}
	if !set("report-format") && len(run.ReportFormats) > 0 {
		o.formats = strings.Join(run.ReportFormats, ",")
	}
	if !set("metrics-file") && run.MetricsFile != "" {
		o.metrics = run.MetricsFile
	}
	if !set("rate") && run.Rate > 0 {
		o.api.rate = run.Rate
	}
	if !set("concurrency") && run.Concurrency > 0 {
		o.api.concurrency = run.Concurrency
	}
	if !set("max-invalid") && run.MaxInvalid != "" {
		o.maxInvalid = run.MaxInvalid
	}
	if !set("fee-buffer") && run.FeeBuffer != "" {
		o.feeBuffer = run.FeeBuffer
	}
	if !set("min-balance") && len(run.MinBalance) > 0 {
		for _, cur := range sortedKeys(run.MinBalance) {
			o.minBalance = append(o.minBalance, cur+"="+run.MinBalance[cur])
		}
	}
	if !set("settle") && run.Settle != "" {
		d, err := time.ParseDuration(run.Settle)
		if err != nil {
			return fmt.Errorf("config [run] settle %q: use a duration such as 2m", run.Settle)
		}
		o.settle = d
	}
	if !set("s3-endpoint") && run.S3Endpoint != "" {
		o.s3Endpoint = run.S3Endpoint
	}
	if !set("key-namespace") && run.KeyNamespace != "" {
		o.api.namespace = run.KeyNamespace
	}
	return nil
}

// parseAmounts parses repeated CUR=AMOUNT flags whose amounts are decimals of
// 0 or more.
func parseAmounts(flag string, values []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range values {
		cur, amount, ok := strings.Cut(v, "=")
		cur, amount = strings.ToUpper(strings.TrimSpace(cur)), strings.TrimSpace(amount)
		if !ok || cur == "" || amount == "" {
			return nil, fmt.Errorf("invalid %s %q: use CUR=AMOUNT, for example EUR=1000.00", flag, v)
		}
		if value, err := decimal.NewFromString(amount); err != nil || value.IsNegative() {
			return nil, fmt.Errorf("invalid %s %q: the amount must be a decimal of 0 or more, for example EUR=1000.00", flag, v)
		}
		out[cur] = amount
	}
	return out, nil
}

// validate checks the options that steps late in the run use, so a typo
// fails at once instead of after files were recorded and moved.
func (o *runOptions) validate() error {
	if _, err := reconcile.ParseFormats(o.formats); err != nil {
		return fmt.Errorf("invalid --report-format: %w", err)
	}
	if o.maxInvalid != "" {
		if _, err := invalidLimit(o.maxInvalid, 0); err != nil {
			return err
		}
	}
	if o.feeBuffer != "" {
		if _, err := percent(o.feeBuffer); err != nil {
			return fmt.Errorf("invalid --fee-buffer %q: use a percentage such as 2%%", o.feeBuffer)
		}
	}
	if _, err := parseAmounts("--min-balance", o.minBalance); err != nil {
		return err
	}
	if _, err := o.flagControl(); err != nil {
		return err
	}
	if o.settle < 0 {
		return fmt.Errorf("invalid --settle %s: use a duration of 0 or more, such as 2m", o.settle)
	}
	if o.adoptWindow < 0 {
		return fmt.Errorf("invalid --adopt-window %s: use a duration of 0 or more, such as 720h", o.adoptWindow)
	}
	return o.api.validate()
}

// validate checks the numeric flags that every command talking to Anton has.
func (o *apiOptions) validate() error {
	if o.rate < 0 {
		return fmt.Errorf("invalid --rate %d: use requests per minute above 0, or 0 for the merchant's limit", o.rate)
	}
	if o.concurrency < 1 {
		return fmt.Errorf("invalid --concurrency %d: use 1 or more", o.concurrency)
	}
	if o.retryBudget < 0 {
		return fmt.Errorf("invalid --retry-budget %d: use a number of retries of 0 or more", o.retryBudget)
	}
	return nil
}

// loadRunConfig reads the config file and applies its [run] table to the
// options that the command line did not set.
func loadRunConfig(o *runOptions, flags *pflag.FlagSet) (*config, error) {
	cfg, err := loadConfig(o.configPath)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	if err := o.applyConfig(cfg, flags); err != nil {
		return nil, withCode(exitUsage, err)
	}
	return cfg, nil
}

// acquireLock takes the run lock of a ledger: exit 3 when another run holds it.
func acquireLock(path string) (*state.RunLock, error) {
	lock, err := state.AcquireRunLock(path)
	if errors.Is(err, state.ErrLocked) {
		return nil, withCode(exitLocked, err)
	}
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return lock, nil
}
