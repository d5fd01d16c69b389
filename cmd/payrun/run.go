package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/ingest"
	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
)

// runOptions are the flags of payrun run.
type runOptions struct {
	api        apiOptions
	ledger     string
	configPath string
	profile    string
	reports    string
	formats    string
	metrics    string
	dryRun     bool
	maxInvalid string
	feeBuffer  string
	minBalance []string
	settle     time.Duration
	noMove     bool
	s3Endpoint string

	requireApproval bool
	allowBankChange bool
	adoptWindow     time.Duration
	expectRows      int
	expectRowsSet   bool
	expectTotals    []string

	// only narrows the rows that retry submits.
	only state.RowFilter
}

func (a *app) runCmd() *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run [SOURCE...]",
		Short: "Ingest new payout files, resume unfinished rows, submit payouts and write reports",
		Long: `Run ingests each new payout file of the sources (a CSV or XLSX file, a folder
inbox, or an s3:// URL), records every row in the ledger, holds files that fail a
guard, submits the payouts of the valid rows with one idempotency key each, and
writes reconciliation reports. Rows left unfinished by an earlier run are resumed
first. Running it again is always safe: a row is paid at most once.

Without SOURCE arguments, run reads the [run] sources of the config file, and
exits 2 when there are none.

Exit status: 0 success or nothing new in the sources; 1 finished, but some rows
are invalid, rejected, conflict or retryable; 2 usage or configuration error, an
unreadable file, or no sources at all; 3 another run holds the ledger lock; 4 stopped or held (authentication,
breaker, insufficient balance, a guard, a balance below --min-balance);
130 interrupted (a file whose recording was interrupted is read again by the
next run).`,
		Example: `  payrun run --sandbox samples/payouts-clean.csv
  ANTON_API_KEY=ak_test_... payrun run --reports reports/ inbox/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.expectRowsSet = cmd.Flags().Changed("expect-rows")
			return a.run(cmd.Context(), o, args, cmd.Flags())
		},
	}
	o.api.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.ledger, "ledger", "", "ledger file (default $PAYRUN_LEDGER, else payrun.db; payrun-sandbox.db with --sandbox)")
	f.StringVar(&o.configPath, "config", "", "config file (default $PAYRUN_CONFIG, else payrun.toml if present)")
	f.StringVar(&o.profile, "profile", "", "source profile of the config file to read the files with (default: the first whose match fits)")
	f.StringVar(&o.reports, "reports", "payrun-reports", "directory (or s3:// URL) that receives the run's reports")
	f.StringVar(&o.formats, "report-format", "csv,json,xlsx", "report formats, comma-separated: csv, json, xlsx")
	f.StringVar(&o.metrics, "metrics-file", "", "write Prometheus text-format metrics to this file at the end")
	f.BoolVar(&o.dryRun, "dry-run", false, "ingest, validate and check guards and balances, print what would be paid, and change nothing")
	f.StringVar(&o.maxInvalid, "max-invalid", "10%", "hold a file whose invalid rows exceed this count or percentage of its rows")
	f.StringVar(&o.feeBuffer, "fee-buffer", "2%", "margin over the payout amounts that the balance must cover, in percent")
	f.StringArrayVar(&o.minBalance, "min-balance", nil, "warn and exit 4 when a balance ends below CUR=AMOUNT (repeatable)")
	f.DurationVar(&o.settle, "settle", 2*time.Minute, "inbox files modified more recently than this are left for the next run")
	f.BoolVar(&o.noMove, "no-move", false, "leave inbox files in place instead of moving them to processed/, held/ or rejected/")
	f.StringVar(&o.s3Endpoint, "s3-endpoint", "", "S3-compatible endpoint URL (default $AWS_ENDPOINT_URL_S3); uses path-style addressing")
	f.BoolVar(&o.requireApproval, "require-approval", false, "hold every new file until 'payrun release FILE_ID --approver NAME'")
	f.BoolVar(&o.allowBankChange, "allow-bank-change", false, "let a known external_ref be paid to new bank details (a new instrument); without it such rows are held")
	f.DurationVar(&o.adoptWindow, "adopt-window", 30*24*time.Hour, "how far back a new ledger looks for payouts Anton already has")
	f.IntVar(&o.expectRows, "expect-rows", 0, "hold the file unless exactly this many of its rows are valid (invalid rows are not counted), instead of FILE.control")
	f.StringArrayVar(&o.expectTotals, "expect-total", nil, "hold the file unless its valid rows sum to CUR=AMOUNT (repeatable), instead of FILE.control")
	return cmd
}

// runner holds the state of one payrun run.
type runner struct {
	a       *app
	o       *runOptions
	cfg     *config
	runID   string
	ledger  *state.Ledger
	api     *apiSession
	fp      *payrun.Fingerprinter
	engine  *submit.Engine
	user    string
	started time.Time

	files       []*fileOutcome
	metrics     *runMetrics
	lowBalances []string

	// only and onlyStates narrow the rows submitted, for retry and release.
	only       state.RowFilter
	onlyStates []state.State

	seenMu sync.Mutex
	seen   map[string]bool
}

// fileOutcome is the result of one source file in this run.
type fileOutcome struct {
	source *sourceFile
	file   *state.File
	// status is new, resumed, duplicate, rejected, held, released or
	// interrupted (recording stopped, partial rows discarded).
	status string
	note   string
}

func (a *app) run(ctx context.Context, o *runOptions, sources []string, flags *pflag.FlagSet) error {
	cfg, err := loadRunConfig(o, flags)
	if err != nil {
		return err
	}
	if err := o.validate(); err != nil {
		return withCode(exitUsage, err)
	}
	if len(sources) == 0 {
		sources = cfg.Run.Sources
	}
	if len(sources) == 0 {
		// A cron job started in the wrong directory finds no config file and
		// must not pass for a quiet night.
		return usageError("no payout sources: pass files or folders, or set [run] sources in the config file (--config, $PAYRUN_CONFIG, else payrun.toml in the working directory)")
	}
	path := configLedgerPath(o.ledger, cfg.Run.Ledger, o.api.sandbox)

	lock, err := acquireLock(path)
	if err != nil {
		return err
	}
	defer lock.Release()

	r := &runner{a: a, o: o, cfg: cfg, runID: ulid.Make().String(), started: time.Now().UTC(),
		user: currentUser(), metrics: newRunMetrics()}
	if o.dryRun {
		return r.dryRun(ctx, path, sources)
	}
	led, err := state.Open(ctx, path)
	if err != nil {
		return withCode(exitUsage, err)
	}
	defer led.Close()
	r.ledger = led
	return r.execute(ctx, sources)
}

// execute runs every step on an open ledger and returns the exit error.
func (r *runner) execute(ctx context.Context, sources []string) error {
	if err := r.setup(ctx); err != nil {
		return err
	}
	defer r.api.Close()
	log := r.a.logger.With("run_id", r.runID)
	log.Info("run started", "ledger", r.ledger.Path(), "api", r.api.baseURL, "sources", len(sources))

	if err := r.ledger.StartRun(ctx, r.runID, "run"); err != nil {
		return err
	}
	stepErr := r.steps(ctx, sources)
	return r.finish(ctx, stepErr)
}

func (r *runner) setup(ctx context.Context) error {
	key, err := state.LoadFingerprintKey(r.ledger.Path())
	if err != nil {
		return withCode(exitUsage, err)
	}
	r.fp = payrun.NewFingerprinter(key)
	return r.setupAPI(ctx)
}

// setupAPI opens the Anton client and builds the submission engine.
func (r *runner) setupAPI(ctx context.Context) error {
	var err error
	r.api, err = r.a.openAPI(ctx, &r.o.api, r.ledger, r.observeAttempt)
	if err != nil {
		return err
	}
	r.engine = &submit.Engine{
		Ledger: r.ledger, Client: r.api.client, Fingerprints: r.fp, Clock: r.api.clock,
		Logger: r.a.logger.With("run_id", r.runID), Namespace: r.api.namespace, RunID: r.runID,
		Concurrency: r.o.api.concurrency, AllowBankChange: r.o.allowBankChange,
	}
	return nil
}

// steps runs recovery, ingest, guards and submission. Its error is the first
// that stops the run; per-row problems only raise the exit code.
func (r *runner) steps(ctx context.Context, sources []string) error {
	if err := sizeRateLimit(ctx, r.api, &r.o.api, r.a.logger); err != nil {
		return r.apiStop("read the merchant", err)
	}
	if err := r.recover(ctx); err != nil {
		return err
	}
	r.finishPendingMoves(ctx)
	found, skipped, err := discover(ctx, sources, r.discoverOptions())
	if err != nil && ctx.Err() != nil {
		return withCode(exitInterrupted, errors.New("interrupted while looking for payout files; nothing new was recorded, and the next run looks again"))
	}
	if err != nil {
		return withCode(exitUsage, err)
	}
	defer cleanupSources(found)
	for _, s := range skipped {
		r.a.logger.Info("inbox entry skipped", "entry", s)
	}

	for _, src := range found {
		err := r.ingestSource(ctx, src)
		if err != nil && ctx.Err() != nil && exitCode(err) != exitInterrupted {
			return withCode(exitInterrupted, fmt.Errorf("interrupted during ingest of %s: %w; the next run reads the file again", src.Location, err))
		}
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return withCode(exitInterrupted, errors.New("interrupted during ingest; rerun payrun to continue"))
		}
	}

	if err := r.checkBalances(ctx); err != nil {
		return err
	}
	if err := r.submit(ctx); err != nil {
		return err
	}
	r.moveSources(ctx)
	return nil
}

// recover resolves crashed submissions and adopts payouts the ledger lacks.
func (r *runner) recover(ctx context.Context) error {
	discarded, err := r.ledger.DiscardIncompleteFiles(ctx)
	if err != nil {
		return withCode(exitStopped, err)
	}
	for _, name := range discarded {
		r.a.logger.Warn("partly recorded file discarded; it is ingested again when found", "file", name)
	}
	if err := r.recheckBalanceHolds(ctx); err != nil {
		return err
	}
	if r.o.allowBankChange {
		n, err := r.ledger.ReleaseRowHolds(ctx, state.HoldBankChange)
		if err != nil {
			return err
		}
		if n > 0 {
			r.a.logger.Warn("rows with changed bank details released by --allow-bank-change", "rows", n)
			r.onlyStates = appendState(r.onlyStates, state.Pending)
		}
	}
	if _, err := r.engine.Recover(ctx); err != nil {
		return r.apiStop("recover submitting rows", err)
	}
	adopted, err := r.engine.Adopt(ctx, r.o.adoptWindow)
	if err != nil {
		return r.apiStop("adopt payouts", err)
	}
	if adopted > 0 {
		r.a.logger.Warn("adopted payouts the ledger did not know", "count", adopted)
	}
	return nil
}

// apiStop turns an error of a request outside the row loop into the run's
// exit: authentication problems exit 4, everything else also stops with 4
// because nothing can be submitted safely without the step.
func (r *runner) apiStop(step string, err error) error {
	if errors.Is(err, context.Canceled) {
		return withCode(exitInterrupted, fmt.Errorf("%s: interrupted", step))
	}
	return withCode(exitStopped, fmt.Errorf("%s: %w", step, err))
}

// recheckBalanceHolds releases every hold for insufficient balance, of whole
// files and of rows, so that this run's balance check decides again.
func (r *runner) recheckBalanceHolds(ctx context.Context) error {
	files, err := r.ledger.Files(ctx)
	if err != nil {
		return err
	}
	for _, f := range files {
		if f.Status == state.FileHeld && f.HoldKind == state.HoldBalance {
			if err := r.ledger.UnholdBalance(ctx, f.ID); err != nil {
				return err
			}
			r.a.logger.Info("balance hold rechecked", "file_id", f.ID)
		}
	}
	_, err = r.ledger.ReleaseBalanceHolds(ctx)
	return err
}

// appendState adds s to a non-empty state filter; an empty filter already
// selects every sendable state.
func appendState(states []state.State, s state.State) []state.State {
	if len(states) == 0 {
		return nil
	}
	return append(states, s)
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// ingestOptions returns the ingest options of a source: --profile, else the
// first profile whose match fits.
func (r *runner) ingestOptions(location string) (ingest.Options, bool, error) {
	opts := ingest.Options{Defaults: r.cfg.Defaults}
	if r.o.profile != "" {
		p, ok := r.cfg.Profiles[r.o.profile]
		if !ok {
			return opts, false, usageError("profile %q is not in the config file: define [profiles.%s] or drop --profile", r.o.profile, r.o.profile)
		}
		opts.Profile = p
		return opts, p.RequireApproval, nil
	}
	if p, ok := ingest.MatchProfile(r.cfg.Profiles, location); ok {
		opts.Profile = p
		return opts, p.RequireApproval, nil
	}
	return opts, false, nil
}
