package submit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/state"
)

// Engine submits ledger rows to Anton: it resolves beneficiaries, commits each
// row's intent before its request, sends it through the client's single retry
// layer, and records the outcome.
type Engine struct {
	Ledger       *state.Ledger
	Client       *Client
	Fingerprints *payrun.Fingerprinter
	Clock        *AntonClock
	Logger       *slog.Logger
	// Namespace is the key namespace: live, test, sandbox or --key-namespace.
	Namespace string
	RunID     string
	// Concurrency is the number of workers; the client's limiter paces them.
	Concurrency int
	// Grace bounds how long in-flight requests may finish after the run is
	// interrupted. Default 30 s.
	Grace time.Duration
	// AllowBankChange lets a known external_ref get a new instrument when its
	// bank details change. Without it, such a row is held.
	AllowBankChange bool
	// Progress, when set, is called after each finished row.
	Progress func()

	fx       *fxRates
	resolver *resolver

	stopOnce   sync.Once
	stopReason atomic.Value // string
	stopped    chan struct{}
	stoppedCur sync.Map // source currency -> struct{}
	// skip holds rows that must not be sent in this run (row id -> struct{}),
	// because Recover could not look them up.
	skip     sync.Map
	result   Result
	resultMu sync.Mutex
}

// Job is one row to submit. Instruction carries the row's raw beneficiary data
// when the source file was re-read; it is nil when the ledger has all the
// request needs.
type Job struct {
	Row         *state.Row
	Instruction *payrun.Instruction
}

// Result counts what a submission did.
type Result struct {
	Submitted int
	Rejected  int
	Retryable int
	Conflict  int
	Held      int
	Skipped   int
	// StopReason is set when the run stopped early: an authentication or
	// account problem, an open breaker.
	StopReason string
	// StoppedCurrencies lists source currencies whose balance ran out.
	StoppedCurrencies []string
	Interrupted       bool
}

// Stop reasons of Result.StopReason.
const (
	StopAuth    = "authentication"
	StopBreaker = "breaker"
)

func (e *Engine) init() {
	if e.Concurrency <= 0 {
		e.Concurrency = 8
	}
	if e.Grace <= 0 {
		e.Grace = 30 * time.Second
	}
	if e.Logger == nil {
		e.Logger = slog.New(slog.DiscardHandler)
	}
	if e.Clock == nil {
		e.Clock = NewAntonClock()
	}
	if e.fx == nil {
		e.fx = newFXRates(e.Client)
	}
	if e.resolver == nil {
		e.resolver = newResolver(e)
	}
	if e.stopped == nil {
		e.stopped = make(chan struct{})
	}
}

// Submit runs the workers over jobs until the channel closes, the context is
// cancelled, or the run must stop. When ctx is cancelled it stops taking new
// jobs and lets requests in flight finish within Grace.
func (e *Engine) Submit(ctx context.Context, jobs <-chan Job) Result {
	e.init()
	var wg sync.WaitGroup
	for i := 0; i < e.Concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.work(ctx, jobs)
		}()
	}
	wg.Wait()

	e.resultMu.Lock()
	defer e.resultMu.Unlock()
	res := e.result
	if r, ok := e.stopReason.Load().(string); ok {
		res.StopReason = r
	}
	e.stoppedCur.Range(func(k, _ any) bool {
		res.StoppedCurrencies = append(res.StoppedCurrencies, k.(string))
		return true
	})
	res.Interrupted = ctx.Err() != nil
	return res
}

func (e *Engine) work(ctx context.Context, jobs <-chan Job) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.stopped:
			return
		case job, ok := <-jobs:
			if !ok {
				return
			}
			e.handle(ctx, job)
			if e.Progress != nil {
				e.Progress()
			}
		}
	}
}

// stop ends the run for every worker.
func (e *Engine) stop(reason string) {
	e.stopOnce.Do(func() {
		e.stopReason.Store(reason)
		close(e.stopped)
	})
}

func (e *Engine) count(f func(*Result)) {
	e.resultMu.Lock()
	defer e.resultMu.Unlock()
	f(&e.result)
}

// requestContext keeps a request going after an interrupt, for at most Grace,
// so its response is recorded instead of being lost.
func (e *Engine) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	inner, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		select {
		case <-ctx.Done():
			select {
			case <-time.After(e.Grace):
				cancel()
			case <-inner.Done():
			}
		case <-inner.Done():
		}
	}()
	return inner, cancel
}

// handle submits one row and records its outcome. Ledger errors are logged and
// leave the row as it is, which the next run resolves.
func (e *Engine) handle(ctx context.Context, job Job) {
	row := job.Row
	log := e.Logger.With("row_id", row.ID, "file_id", row.FileID, "row", row.RowNum, "reference", row.Reference)

	if _, skipped := e.skip.Load(row.ID); skipped {
		e.count(func(r *Result) { r.Skipped++ })
		return
	}
	if _, stopped := e.stoppedCur.Load(sourceCurrency(row)); stopped {
		e.holdForBalance(ctx, row, log)
		return
	}
	rctx, cancel := e.requestContext(ctx)
	defer cancel()

	body, err := e.prepare(rctx, job)
	if err != nil {
		e.recordPrepareError(rctx, row, err, log)
		return
	}
	if err := e.Ledger.MarkSubmitting(rctx, row.ID, row.Key, body, e.RunID); err != nil {
		if errors.Is(err, state.ErrStateChanged) {
			e.count(func(r *Result) { r.Skipped++ })
			log.Info("row skipped: its state changed", "error", err)
			return
		}
		log.Error("row not submitted: ledger write failed", "error", err)
		return
	}

	ctx = withAttemptRow(rctx, row.ID)
	payout, resp, err := e.Client.CreatePayout(ctx, row.Key, []byte(body))
	if resp != nil {
		e.Clock.Observe(resp.Date)
	}
	e.recordPayoutOutcome(rctx, row, payout, err, log)
}

func sourceCurrency(row *state.Row) string {
	if row.SourceCurrency != "" {
		return row.SourceCurrency
	}
	return row.Currency
}

func (e *Engine) holdForBalance(ctx context.Context, row *state.Row, log *slog.Logger) {
	msg := fmt.Sprintf("not sent: the %s balance ran out during this run; top up the balance and run payrun again", sourceCurrency(row))
	if err := e.Ledger.SetRowState(ctx, row.ID, state.Held, state.HoldBalance, msg); err != nil {
		log.Error("hold row for balance failed", "error", err)
		return
	}
	e.count(func(r *Result) { r.Held++ })
}

// recordPayoutOutcome maps the response of POST /v1/payouts to the row's state.
func (e *Engine) recordPayoutOutcome(ctx context.Context, row *state.Row, p *Payout, err error, log *slog.Logger) {
	outcome := Classify(err)
	switch outcome {
	case OutcomeOK:
		if err := e.Ledger.MarkSubmitted(ctx, row.ID, ledgerPayout(p, "submit")); err != nil {
			log.Error("payout created but not recorded; the next run recovers it by key", "payout_id", p.ID, "error", err)
			return
		}
		e.count(func(r *Result) { r.Submitted++ })
		log.Debug("payout submitted", "payout_id", p.ID, "status", p.Status)
		return
	case OutcomeStopCurrency:
		e.stoppedCur.Store(sourceCurrency(row), struct{}{})
		log.Warn("insufficient balance: stopping this source currency", "currency", sourceCurrency(row))
		e.holdForBalance(ctx, row, log)
		return
	case OutcomeStopRun, OutcomeBreakerOpen:
		reason := StopAuth
		if outcome == OutcomeBreakerOpen {
			reason = StopBreaker
		}
		e.stop(reason)
		e.setState(ctx, row, state.Pending, errorCode(err), "not sent: "+err.Error(), log)
		log.Error("run stopped", "reason", reason, "error", err)
		return
	}

	code, msg := errorCode(err), err.Error()
	switch outcome {
	case OutcomeConflict:
		msg = "Anton has this idempotency key with another request body, so the row was not sent again; check whether the ledger was edited or restored, then decide in Anton: " + msg
		e.setState(ctx, row, state.Conflict, code, msg, log)
		e.count(func(r *Result) { r.Conflict++ })
	case OutcomeRejected:
		e.setState(ctx, row, state.Rejected, code, rejectionMessage(err), log)
		e.count(func(r *Result) { r.Rejected++ })
	default:
		msg = "outcome unknown, resent with the same key on the next run or 'payrun retry': " + msg
		e.setState(ctx, row, state.Retryable, code, msg, log)
		e.count(func(r *Result) { r.Retryable++ })
	}
}

func (e *Engine) setState(ctx context.Context, row *state.Row, s state.State, code, msg string, log *slog.Logger) {
	if err := e.Ledger.SetRowState(ctx, row.ID, s, code, msg); err != nil {
		log.Error("row outcome not recorded", "state", s, "error", err)
	}
}

// errorCode returns Anton's error code of err, or a payrun code for errors
// without one.
func errorCode(err error) string {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		if apiErr.Code != "" {
			return apiErr.Code
		}
		return fmt.Sprintf("http_%d", apiErr.Status)
	}
	switch {
	case errors.Is(err, ErrBreakerOpen):
		return "breaker_open"
	case errors.Is(err, ErrBudgetSpent):
		return "retry_budget_spent"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "interrupted"
	}
	return "network_error"
}

// ledgerPayout converts an Anton payout for the ledger.
func ledgerPayout(p *Payout, source string) *state.Payout {
	return &state.Payout{
		ID: p.ID, Reference: p.Reference, Status: p.Status, SourceAmount: p.SourceAmount,
		SourceCurrency: p.SourceCurrency, DestAmount: p.DestAmount, DestCurrency: p.DestCurrency,
		Fee: p.Fee, FeeCurrency: p.FeeCurrency, TotalDebited: p.TotalDebited,
		FailureMessage: p.CancelledReason, CreatedAt: p.CreatedAt, AntonUpdatedAt: p.UpdatedAt,
		CompletedAt: p.CompletedAt, FailedAt: p.FailedAt, StatusSource: source,
	}
}
