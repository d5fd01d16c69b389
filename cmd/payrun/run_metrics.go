package main

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/payrun/payrun/reconcile"
	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
)

// runMetrics collects the figures of one command for --metrics-file.
type runMetrics struct {
	m        *reconcile.Metrics
	mu       sync.Mutex
	balances map[string]string
	started  time.Time
}

func newRunMetrics() *runMetrics {
	return &runMetrics{m: reconcile.NewMetrics(), balances: map[string]string{}, started: time.Now()}
}

func (rm *runMetrics) balance(currency, available string) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	rm.balances[currency] = available
	rm.m.SetBalance(currency, available)
}

func (rm *runMetrics) attempt(at submit.Attempt, retry bool) {
	rm.m.Requests.WithLabelValues(strconv.Itoa(at.Status)).Inc()
	if at.Status == 429 {
		rm.m.RateLimited.Inc()
	}
	if retry {
		rm.m.Retries.Inc()
	}
}

func (rm *runMetrics) result(submit.Result) {}

// metaLastSuccess is the ledger meta key of the time of the last run that exited 0.
const metaLastSuccess = "last_success"

// finish writes the metrics file of a run, if one was asked for.
func (rm *runMetrics) finish(r *runner, code int) {
	ctx := context.Background()
	if code == exitOK {
		r.ledger.SetMeta(ctx, metaLastSuccess, strconv.FormatInt(time.Now().Unix(), 10))
	}
	path := firstNonEmpty(r.o.metrics, r.cfg.Run.MetricsFile)
	if path == "" {
		return
	}
	rm.write(ctx, r.ledger, path, code, r.a)
}

func (rm *runMetrics) write(ctx context.Context, led *state.Ledger, path string, code int, a *app) {
	if err := rm.m.LoadLedger(ctx, led); err != nil {
		a.logger.Error("metrics not written", "error", err)
		return
	}
	if v, _ := led.GetMeta(ctx, metaLastSuccess); v != "" {
		if unix, err := strconv.ParseInt(v, 10, 64); err == nil {
			rm.m.LastSuccess.Set(float64(unix))
		}
	}
	rm.m.RunDuration.Set(time.Since(rm.started).Seconds())
	rm.m.LastExitCode.Set(float64(code))
	if err := rm.m.Write(path); err != nil {
		a.logger.Error("metrics not written", "error", err)
	}
}

// observeAttempt records every HTTP attempt in the ledger's attempt log and
// the metrics. It runs on the goroutine that made the attempt.
func (r *runner) observeAttempt(at submit.Attempt) {
	retry := r.noteRequest(at.RequestID)
	r.metrics.attempt(at, retry)
	if r.ledger == nil {
		return
	}
	var rowID int64
	if at.Context != nil {
		rowID = submit.AttemptRow(at.Context)
	}
	msg := ""
	if at.Err != nil {
		msg = at.Err.Error()
	}
	err := r.ledger.RecordAttempt(context.Background(), &state.Attempt{
		RowID: rowID, RunID: r.runID, Method: at.Method, Path: at.Path, Key: at.IdempotencyKey,
		RequestID: at.RequestID, HTTPStatus: at.Status, ErrorCode: at.Code, Error: msg,
		Replayed: at.Replayed, DurationMS: at.Duration.Milliseconds(),
		StartedAt: time.Now().Add(-at.Duration).UTC().Format(time.RFC3339Nano),
	})
	if err != nil {
		r.a.logger.Error("attempt not recorded", "request_id", at.RequestID, "error", err)
	}
}

// noteRequest reports whether a request id was seen before, which makes this
// attempt a retry.
func (r *runner) noteRequest(id string) bool {
	r.seenMu.Lock()
	defer r.seenMu.Unlock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if r.seen[id] {
		return true
	}
	r.seen[id] = true
	return false
}

// minBalanceLow reads the balances after the run and reports whether one is
// below its --min-balance.
func (r *runner) minBalanceLow(ctx context.Context) bool {
	mins, err := parseAmounts("--min-balance", r.o.minBalance)
	if err != nil || len(mins) == 0 {
		return false
	}
	balances, err := r.api.client.Balances(ctx)
	if err != nil {
		r.a.logger.Error("balances not read for --min-balance", "error", err)
		return true
	}
	low := false
	for _, b := range balances {
		r.metrics.balance(b.Currency, b.Available)
		want, ok := mins[b.Currency]
		if !ok {
			continue
		}
		have, err1 := decimal.NewFromString(b.Available)
		limit, err2 := decimal.NewFromString(want)
		if err1 != nil || err2 != nil {
			continue
		}
		if have.LessThan(limit) {
			low = true
			r.a.logger.Warn("balance below minimum", "currency", b.Currency, "available", b.Available, "min_balance", want)
			r.lowBalances = append(r.lowBalances, b.Currency+" "+b.Available+" < "+want)
		}
	}
	return low
}
