package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/payrun/payrun/submit/sandbox"
)

// sandboxFlags are the flags of payrun sandbox.
type sandboxFlags struct {
	addr            string
	allowRemote     bool
	state           string
	balances        []string
	rateLimit       int
	hiddenRateLimit int
	latency         string
	timeScale       float64
	seed            int64
	faults          sandbox.Faults
}

func (a *app) sandboxCmd() *cobra.Command {
	var f sandboxFlags
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve an Anton-compatible sandbox API on loopback",
		Long: `Serve an Anton-compatible sandbox of the Anton Payments API from memory.

Every ak_test_ key is its own merchant. The first line on standard output is
always "listening on http://ADDR"; the server then runs until SIGINT or SIGTERM
and saves its state file (--state) before it exits.

Point payrun at it with ANTON_BASE_URL=http://ADDR and any ak_test_ key.
References starting FAIL-, RETURN- or SCREEN- end failed, returned or
screening_failed; GET /_sandbox/stats shows what was paid, and
POST /_sandbox/clock {"advance": "25h"} moves the sandbox clock.`,
		Example: `  payrun sandbox --addr 127.0.0.1:8080 --state sandbox.state
  payrun sandbox --addr 127.0.0.1:0 --error-rate 0.05 --latency 20ms-80ms --time-scale 10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runSandbox(cmd, &f)
		},
	}

	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "listen address host:port; 127.0.0.1:0 picks a free port")
	fl.BoolVar(&f.allowRemote, "allow-remote", false, "allow a listen address that is not loopback")
	fl.StringVar(&f.state, "state", "", "state file to load at start and save after changes and at exit (JSON, mode 0600); default keeps state in memory only")
	fl.StringArrayVar(&f.balances, "balance", nil, "starting balance of each new merchant as CUR=AMOUNT, such as EUR=5000.00; repeatable (default USD, EUR and GBP at 1000000.00)")
	fl.IntVar(&f.rateLimit, "rate-limit", sandbox.DefaultRateLimit, "advertised and enforced rate limit in requests per minute per merchant")
	fl.IntVar(&f.hiddenRateLimit, "hidden-rate-limit", 0, "enforced rate limit in requests per minute while headers still advertise --rate-limit (0 = off)")
	fl.StringVar(&f.latency, "latency", "", "added latency per request: a duration such as 50ms, or a range such as 20ms-80ms")
	fl.Float64Var(&f.faults.ErrorRate, "error-rate", 0, "probability from 0 to 1 that a request gets 500 internal_error before any work")
	fl.Float64Var(&f.faults.DropAfterRate, "drop-after-rate", 0, "probability from 0 to 1 that a POST is carried out and its connection then closed without an answer")
	fl.Float64Var(&f.faults.SlowRate, "slow-rate", 0, "probability from 0 to 1 that the answer comes --slow-delay after the work is done")
	fl.DurationVar(&f.faults.SlowDelay, "slow-delay", sandbox.DefaultSlowDelay, "delay of a slow answer, as a duration such as 2s")
	fl.Float64Var(&f.faults.ThrottleRate, "throttle-rate", 0, "probability from 0 to 1 that a request starts a one-second burst of 429 answers")
	fl.Float64Var(&f.faults.IdempotencyUnavailableRate, "idempotency-unavailable-rate", 0, "probability from 0 to 1 that a request with an Idempotency-Key gets 503 idempotency_unavailable")
	fl.BoolVar(&f.faults.RetryAfterHTTPDate, "retry-after-http-date", false, "send Retry-After as an HTTP date (rotating through the three RFC 9110 forms) instead of seconds")
	fl.Float64Var(&f.faults.WebhookDuplicateRate, "webhook-duplicate-rate", 0, "probability from 0 to 1 that a webhook event is delivered twice")
	fl.BoolVar(&f.faults.WebhookReorder, "webhook-reorder", false, "delay webhook deliveries at random so events of one payout can arrive out of order")
	fl.Float64Var(&f.timeScale, "time-scale", 1, "speed-up factor of payout lifecycles and webhook retry delays: 10 runs them ten times faster")
	fl.Int64Var(&f.seed, "seed", 0, "seed of the random source of the faults, for repeatable runs (0 = random)")
	return cmd
}

// runSandbox starts the server, prints its address and serves until the
// command's context ends.
func (a *app) runSandbox(cmd *cobra.Command, f *sandboxFlags) error {
	opts, err := f.options()
	if err != nil {
		return err
	}
	opts.Logger = a.logger.With("component", "sandbox")

	srv, err := sandbox.New(opts)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		return withCode(exitUsage, fmt.Errorf("%w: pick another --addr, or 127.0.0.1:0 for a free port", err))
	}
	fmt.Fprintf(a.stdout, "listening on %s\n", srv.URL())
	fmt.Fprintf(a.stdout, "use ANTON_BASE_URL=%s and any ak_test_ key, for example %s\n", srv.URL(), sandbox.NewTestKey())

	<-cmd.Context().Done()
	a.logger.Info("sandbox stopping", "reason", "signal")
	if err := srv.Close(); err != nil {
		return withCode(exitStopped, fmt.Errorf("stop the sandbox: %w", err))
	}
	return nil
}

// options converts the flags to sandbox options; every error is a usage
// error.
func (f *sandboxFlags) options() (sandbox.Options, error) {
	if !f.allowRemote && !sandbox.IsLoopbackAddr(f.addr) {
		return sandbox.Options{}, usageError("--addr %q is not a loopback address: use 127.0.0.1:PORT or [::1]:PORT, or add --allow-remote", f.addr)
	}

	var balances map[string]string
	for _, entry := range f.balances {
		code, amount, ok := strings.Cut(entry, "=")
		if !ok || code == "" || amount == "" {
			return sandbox.Options{}, usageError("invalid --balance %q: use CUR=AMOUNT, such as EUR=5000.00", entry)
		}
		if balances == nil {
			balances = map[string]string{}
		}
		balances[strings.TrimSpace(code)] = strings.TrimSpace(amount)
	}

	latency, err := sandbox.ParseRange(f.latency)
	if err != nil {
		return sandbox.Options{}, usageError("invalid --latency: %v", err)
	}
	faults := f.faults
	faults.Latency = latency
	if faults.SlowRate == 0 {
		faults.SlowDelay = 0
	}
	if f.timeScale <= 0 {
		return sandbox.Options{}, usageError("invalid --time-scale %v: use a positive factor such as 1 or 10", f.timeScale)
	}

	return sandbox.Options{
		Addr:            f.addr,
		AllowRemote:     f.allowRemote,
		StateFile:       f.state,
		Balances:        balances,
		RateLimit:       f.rateLimit,
		HiddenRateLimit: f.hiddenRateLimit,
		TimeScale:       f.timeScale,
		Faults:          faults,
		Seed:            f.seed,
	}, nil
}
