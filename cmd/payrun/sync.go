package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/payrun/payrun/reconcile"
	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
)

// metaLastSync is the ledger meta key of the time the last sync finished.
const metaLastSync = "last_sync"

// syncOptions are the flags of payrun sync.
type syncOptions struct {
	api     apiOptions
	ledger  string
	metrics string
	asJSON  bool
}

func (a *app) syncCmd() *cobra.Command {
	o := &syncOptions{}
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Fetch the Anton status of payouts that are not terminal and record the changes",
		Long: `Sync reads the current status of every recorded payout whose status is not
terminal, from GET /v1/payouts/{id}, or from the payout list filtered by
created_after when that takes fewer requests. It records each change in the
ledger, which repairs statuses whose webhooks never arrived. A terminal status
never moves, except completed to returned.

Sync takes no run lock, so it can run from cron beside payrun run and payrun
webhooks serve. With --sandbox it reaches the same sandbox merchant as
payrun run --sandbox, through the key stored in the sandbox ledger and the
sandbox state file beside it.

Exit status: 0 every status read; 1 some payouts not found in Anton or not
read; 2 usage or configuration error; 4 stopped (authentication, breaker);
130 interrupted.`,
		Example: `  payrun sync --sandbox
  ANTON_API_KEY=ak_live_... payrun sync --ledger /var/lib/payrun/payrun.db --metrics-file /var/lib/node_exporter/payrun-sync.prom`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.sync(cmd.Context(), o)
		},
	}
	o.api.addFlags(cmd)
	f := cmd.Flags()
	f.Lookup("concurrency").Usage = "number of payout lookups in flight at the same time"
	f.MarkHidden("key-namespace")
	f.StringVar(&o.ledger, "ledger", "", "ledger file (default $PAYRUN_LEDGER, else payrun.db; payrun-sandbox.db with --sandbox)")
	f.StringVar(&o.metrics, "metrics-file", "", "write Prometheus text-format metrics to this file at the end")
	f.BoolVar(&o.asJSON, "json", false, "print the summary as JSON")
	return cmd
}

func (a *app) sync(ctx context.Context, o *syncOptions) error {
	if err := o.api.validate(); err != nil {
		return withCode(exitUsage, err)
	}
	started := time.Now()
	lo := ledgerOptions{path: o.ledger, sandbox: o.api.sandbox}
	led, err := lo.open(ctx)
	if err != nil {
		return err
	}
	defer led.Close()

	m := reconcile.NewCommandMetrics("sync")
	m.RegisterAPIMetrics()
	m.RegisterCommandEndMetrics()
	m.RegisterSyncMetrics()
	api, err := a.openAPI(ctx, &o.api, led, newAttemptCounter(m).observe)
	if err != nil {
		return err
	}
	defer api.Close()

	res, err := a.runSync(ctx, o, led, api, m)
	code := syncExit(res, err)
	writeCommandMetrics(ctx, a, led, m, o.metrics, started, code)
	if err != nil {
		return withCode(code, err)
	}
	if code != exitOK {
		return withCode(code, nil)
	}
	return nil
}

// runSync sizes the rate limit, syncs and prints the summary.
func (a *app) runSync(ctx context.Context, o *syncOptions, led *state.Ledger, api *apiSession, m *reconcile.Metrics) (reconcile.SyncResult, error) {
	if err := sizeRateLimit(ctx, api, &o.api, a.logger); err != nil {
		return reconcile.SyncResult{}, fmt.Errorf("read the merchant: %w", err)
	}
	syncer := &reconcile.Syncer{Ledger: led, Client: api.client, Logger: a.logger, Metrics: m,
		Concurrency: o.api.concurrency}
	res, err := syncer.Sync(ctx)

	// The summary of what was done is printed even when the sync stopped early.
	now := time.Now()
	if err == nil {
		if metaErr := led.SetMeta(context.WithoutCancel(ctx), metaLastSync, now.UTC().Format(time.RFC3339)); metaErr != nil {
			a.logger.Error("time of the sync not recorded", "error", metaErr)
		}
		m.LastSync.Set(float64(now.Unix()))
	}
	a.printSync(res, o.asJSON)
	a.logger.Info("sync finished", "checked", res.Checked, "changed", res.Changed, "missing", res.Missing,
		"failed", res.Failed, "listed", res.Listed)
	return res, err
}

// syncExit returns the exit code of a sync.
func syncExit(res reconcile.SyncResult, err error) int {
	switch {
	case err == nil && (res.Missing > 0 || res.Failed > 0):
		return exitRowProblems
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	var apiErr *submit.APIError
	var reqErr *submit.RequestError
	if errors.As(err, &apiErr) || errors.As(err, &reqErr) || errors.Is(err, submit.ErrBreakerOpen) {
		return exitStopped
	}
	return exitUsage
}

// printSync writes the summary to standard output.
func (a *app) printSync(res reconcile.SyncResult, asJSON bool) {
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
		return
	}
	fmt.Fprintf(a.stdout, "payrun sync: checked %d payouts, %d changed", res.Checked, res.Changed)
	if res.Changed > 0 {
		fmt.Fprintf(a.stdout, " (%s)", formatCounts(res.ChangedTo))
	}
	fmt.Fprintln(a.stdout)
	if len(res.ByStatus) > 0 {
		fmt.Fprintf(a.stdout, "statuses: %s\n", formatCounts(res.ByStatus))
	}
	if res.Missing > 0 {
		fmt.Fprintf(a.stdout, "not found in Anton: %d (check that the API key belongs to the merchant that created them)\n", res.Missing)
	}
	if res.Failed > 0 {
		fmt.Fprintf(a.stdout, "not read: %d (the next sync tries again; see the log for the errors)\n", res.Failed)
	}
}

// formatCounts formats {"completed": 2, "failed": 1} as "2 completed, 1 failed".
func formatCounts(counts map[string]int) string {
	parts := make([]string, 0, len(counts))
	for _, k := range sortedKeys(counts) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	return strings.Join(parts, ", ")
}

// attemptCounter counts the HTTP attempts of a command into its metrics. An
// attempt that reuses a request id is a retry.
type attemptCounter struct {
	m    *reconcile.Metrics
	mu   sync.Mutex
	seen map[string]bool
}

func newAttemptCounter(m *reconcile.Metrics) *attemptCounter {
	return &attemptCounter{m: m, seen: map[string]bool{}}
}

func (c *attemptCounter) observe(at submit.Attempt) {
	c.m.Requests.WithLabelValues(strconv.Itoa(at.Status)).Inc()
	if at.Status == 429 {
		c.m.RateLimited.Inc()
	}
	c.mu.Lock()
	retry := c.seen[at.RequestID]
	c.seen[at.RequestID] = true
	c.mu.Unlock()
	if retry {
		c.m.Retries.Inc()
	}
}

// writeCommandMetrics writes the metrics file of a command that ended with
// code, when path is set. Failures are only logged, because the command's own
// result matters more than its metrics.
func writeCommandMetrics(ctx context.Context, a *app, led *state.Ledger, m *reconcile.Metrics, path string, started time.Time, code int) {
	if path == "" {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if err := m.LoadLedger(ctx, led); err != nil {
		a.logger.Error("metrics not written", "path", path, "error", err)
		return
	}
	m.RunDuration.Set(time.Since(started).Seconds())
	m.LastExitCode.Set(float64(code))
	if err := m.Write(path); err != nil {
		a.logger.Error("metrics not written", "path", path, "error", err)
	}
}
