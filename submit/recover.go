package submit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/payrun/payrun/state"
)

// KeyRetention is how long Anton keeps idempotency keys. A submitting row whose
// first attempt is older than KeyRetention minus KeyMargin is looked up by
// reference before it is resent, because its key may be forgotten.
const (
	KeyRetention = 24 * time.Hour
	KeyMargin    = time.Hour
)

// metaAdoptedUntil is the meta key of the last time (Anton's clock) up to which
// payouts were adopted.
const metaAdoptedUntil = "adopted_until"

// Recover resolves rows whose outcome is unknown before new work starts: rows
// left submitting by a crash or a kill, and retryable rows. Rows whose first
// attempt is recent keep their state: the run resends them with the same key
// and body, and Anton replays the payout if it exists. Older rows are looked up
// by reference, because Anton may have forgotten their key, and are recorded as
// submitted when a payout exists. It returns the rows that still need sending.
func (e *Engine) Recover(ctx context.Context) (resend []*state.Row, err error) {
	e.init()
	rows, err := e.Ledger.Rows(ctx, state.RowFilter{States: []state.State{state.Submitting, state.Retryable}})
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		first, err := time.Parse(time.RFC3339Nano, row.FirstAttemptAt)
		if row.FirstAttemptAt == "" || (err == nil && e.Clock.Now().Sub(first) < KeyRetention-KeyMargin) {
			resend = append(resend, row)
			continue
		}
		found, err := e.lookupByReference(ctx, row)
		if errors.Is(err, context.Canceled) || Classify(err) == OutcomeStopRun || Classify(err) == OutcomeBreakerOpen {
			return nil, err
		}
		if err != nil {
			// Without the lookup it is unknown whether Anton has the payout,
			// and Anton may have dropped its key, so this run must not send
			// the row. The next run looks it up again.
			e.skip.Store(row.ID, struct{}{})
			e.Logger.Warn("old unknown row not looked up; it is not sent in this run", "row_id", row.ID,
				"reference", row.Reference, "error", err)
			continue
		}
		if !found {
			resend = append(resend, row)
		}
	}
	return resend, nil
}

// lookupByReference lists Anton's payouts with the row's reference and
// records the row as submitted when there is one.
func (e *Engine) lookupByReference(ctx context.Context, row *state.Row) (bool, error) {
	list, err := e.Client.ListPayouts(withAttemptRow(ctx, row.ID), PayoutFilter{Reference: row.Reference, Limit: 10})
	if err != nil {
		return false, fmt.Errorf("look up payout of reference %s (row %d of file %s, first sent %s): %w",
			row.Reference, row.RowNum, row.FileID, row.FirstAttemptAt, err)
	}
	for i := range list.Data {
		p := &list.Data[i]
		if p.Reference != row.Reference {
			continue
		}
		if err := e.Ledger.MarkSubmitted(ctx, row.ID, ledgerPayout(p, "lookup")); err != nil {
			return false, err
		}
		e.Logger.Info("old submitting row found in Anton", "row_id", row.ID, "reference", row.Reference, "payout_id", p.ID)
		return true, nil
	}
	e.Logger.Info("old submitting row not found in Anton; resending", "row_id", row.ID, "reference", row.Reference)
	return false, nil
}

// Adopt records payouts that Anton created since the last adoption and the
// ledger may not know: from a ledger restored from a backup, or another host.
// An unfinished row with the same reference becomes submitted, so it is never
// paid twice. window bounds the first adoption of a new ledger.
func (e *Engine) Adopt(ctx context.Context, window time.Duration) (int, error) {
	e.init()
	since, err := e.adoptSince(ctx, window)
	if err != nil {
		return 0, err
	}
	started := e.Clock.Now()
	adopted := 0
	err = e.Client.EachPayout(ctx, PayoutFilter{CreatedAfter: since, Limit: 100}, func(p *Payout) error {
		isNew, err := e.Ledger.AdoptPayout(ctx, ledgerPayout(p, "adopt"))
		if isNew {
			adopted++
		}
		return err
	})
	if err != nil {
		return adopted, fmt.Errorf("adopt payouts created since %s: %w", since.Format(time.RFC3339), err)
	}
	// Payouts created while the list was read are caught next time, because the
	// next adoption starts a margin before this one began.
	if err := e.Ledger.SetMeta(ctx, metaAdoptedUntil, started.Format(time.RFC3339Nano)); err != nil {
		return adopted, err
	}
	return adopted, nil
}

func (e *Engine) adoptSince(ctx context.Context, window time.Duration) (time.Time, error) {
	v, err := e.Ledger.GetMeta(ctx, metaAdoptedUntil)
	if err != nil {
		return time.Time{}, err
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.Add(-10 * time.Minute), nil
	}
	return e.Clock.Now().Add(-window), nil
}
