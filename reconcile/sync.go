package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
)

// PayoutReader is the part of the Anton client that status sync uses.
// *submit.Client implements it.
type PayoutReader interface {
	GetPayout(ctx context.Context, id string) (*submit.Payout, *submit.Response, error)
	EachPayout(ctx context.Context, f submit.PayoutFilter, fn func(*submit.Payout) error) error
}

var _ PayoutReader = (*submit.Client)(nil)

// Defaults of Syncer.
const (
	DefaultSyncConcurrency = 4
	// listMargin is how far before the oldest payout to sync a list starts,
	// so a payout created in the same instant is not missed.
	listMargin = time.Minute
)

// Syncer fetches the Anton status of every recorded payout that is not
// terminal and records what changed. It takes no run lock: each update is
// one short ledger transaction, so it can run beside payrun run and the
// webhook receiver.
type Syncer struct {
	Ledger *state.Ledger
	Client PayoutReader
	// Logger receives one line per change and per failed lookup; nil discards
	// them.
	Logger *slog.Logger
	// Metrics, when set, counts checked and changed payouts.
	Metrics *Metrics
	// Concurrency is the number of lookups in flight; zero means
	// DefaultSyncConcurrency. The client's rate limiter paces them.
	Concurrency int
}

// SyncResult counts what a sync did.
type SyncResult struct {
	// Checked counts payouts whose status Anton returned.
	Checked int `json:"checked"`
	// Changed counts payouts whose recorded status changed.
	Changed int `json:"changed"`
	// Missing counts payouts for which Anton returned 404.
	Missing int `json:"missing"`
	// Failed counts other lookups that failed.
	Failed int `json:"failed"`
	// ByStatus counts the checked payouts by their status after the sync.
	ByStatus map[string]int `json:"by_status"`
	// ChangedTo counts the changed payouts by their new status.
	ChangedTo map[string]int `json:"changed_to"`
	// Listed reports whether the payouts were read from the list endpoint
	// rather than one lookup each.
	Listed bool `json:"listed"`
}

// Sync checks every payout that is not terminal. It lists the payouts
// created since the oldest of them when that takes fewer requests than one
// lookup per payout, and then looks up the payouts the list did not return.
// It stops early, returning the counts so far, when the context ends or when
// Anton rejects the key or the account.
func (s *Syncer) Sync(ctx context.Context) (SyncResult, error) {
	res := SyncResult{ByStatus: map[string]int{}, ChangedTo: map[string]int{}}
	targets, err := s.Ledger.PayoutsToSync(ctx)
	if err != nil {
		return res, err
	}
	if len(targets) == 0 {
		return res, nil
	}

	remaining := targets
	if s.shouldList(ctx, targets) {
		res.Listed = true
		remaining, err = s.syncByList(ctx, targets, &res)
		if err != nil {
			return res, err
		}
	}
	return res, s.syncEach(ctx, remaining, &res)
}

// shouldList estimates the pages a list would take from the payouts the
// ledger recorded since the oldest target, 100 a page.
func (s *Syncer) shouldList(ctx context.Context, targets []state.PayoutToSync) bool {
	oldest := targets[0].CreatedAt
	if _, err := time.Parse(time.RFC3339Nano, oldest); err != nil {
		return false
	}
	n, err := s.Ledger.CountPayoutsCreatedSince(ctx, oldest)
	if err != nil {
		s.logger().Warn("payout count not read; looking payouts up one by one", "error", err)
		return false
	}
	pages := n/submit.MaxPageSize + 1
	return pages < len(targets)
}

// syncByList applies every listed payout that is a target and returns the
// targets the list did not contain.
func (s *Syncer) syncByList(ctx context.Context, targets []state.PayoutToSync, res *SyncResult) ([]state.PayoutToSync, error) {
	oldest, _ := time.Parse(time.RFC3339Nano, targets[0].CreatedAt)
	pending := make(map[string]bool, len(targets))
	for _, t := range targets {
		pending[t.ID] = true
	}

	filter := submit.PayoutFilter{CreatedAfter: oldest.Add(-listMargin), Limit: submit.MaxPageSize}
	err := s.Client.EachPayout(ctx, filter, func(p *submit.Payout) error {
		if !pending[p.ID] {
			return nil
		}
		delete(pending, p.ID)
		return s.apply(ctx, p, res)
	})
	if err != nil {
		if stopsSync(err) {
			return nil, fmt.Errorf("list payouts created since %s: %w", filter.CreatedAfter.Format(time.RFC3339), err)
		}
		s.logger().Warn("payout list failed; looking the rest up one by one", "error", err)
	}

	var rest []state.PayoutToSync
	for _, t := range targets {
		if pending[t.ID] {
			rest = append(rest, t)
		}
	}
	return rest, nil
}

// syncEach looks the targets up with a pool of workers.
func (s *Syncer) syncEach(ctx context.Context, targets []state.PayoutToSync, res *SyncResult) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	workers := s.Concurrency
	if workers <= 0 {
		workers = DefaultSyncConcurrency
	}
	jobs := make(chan state.PayoutToSync)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(workers, len(targets)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range jobs {
				if err := s.syncOne(ctx, t, res, &mu); err != nil {
					cancel(err)
				}
			}
		}()
	}

feed:
	for _, t := range targets {
		select {
		case jobs <- t:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return context.Cause(ctx)
}

// syncOne looks one payout up. It returns an error only when the whole sync
// must stop; other failures are counted and logged.
func (s *Syncer) syncOne(ctx context.Context, t state.PayoutToSync, res *SyncResult, mu *sync.Mutex) error {
	p, _, err := s.Client.GetPayout(ctx, t.ID)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if stopsSync(err) {
			return fmt.Errorf("look up payout %s: %w", t.ID, err)
		}
		mu.Lock()
		defer mu.Unlock()
		s.countFailure(t, err, res)
		return nil
	}
	mu.Lock()
	defer mu.Unlock()
	return s.apply(ctx, p, res)
}

// countFailure records a lookup that failed for this payout only.
func (s *Syncer) countFailure(t state.PayoutToSync, err error, res *SyncResult) {
	if s.Metrics != nil {
		s.Metrics.SyncFailures.Inc()
	}
	var apiErr *submit.APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		res.Missing++
		s.logger().Warn("payout not found in Anton; check the API key's merchant", "payout_id", t.ID,
			"recorded_status", t.Status)
		return
	}
	res.Failed++
	s.logger().Warn("payout status not read; the next sync tries again", "payout_id", t.ID, "error", err)
}

// apply records one payout's status. The caller serialises calls.
func (s *Syncer) apply(ctx context.Context, p *submit.Payout, res *SyncResult) error {
	outcome, err := s.Ledger.ApplyPayoutUpdate(ctx, UpdateFromPayout(p, "sync"))
	if err != nil {
		return err
	}
	res.Checked++
	res.ByStatus[p.Status]++
	if s.Metrics != nil {
		s.Metrics.SyncChecked.Inc()
	}
	if outcome != state.UpdateApplied {
		return nil
	}
	res.Changed++
	res.ChangedTo[p.Status]++
	if s.Metrics != nil {
		s.Metrics.SyncChanged.WithLabelValues(p.Status).Inc()
	}
	s.logger().Info("payout status changed", "payout_id", p.ID, "status", p.Status, "source", "sync")
	return nil
}

// stopsSync reports errors that every further request would meet too: a
// rejected key or account, or an open circuit breaker.
func stopsSync(err error) bool {
	switch submit.Classify(err) {
	case submit.OutcomeStopRun, submit.OutcomeBreakerOpen:
		return true
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func (s *Syncer) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}
