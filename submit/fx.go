package submit

import (
	"context"
	"fmt"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/state"
)

// fxRates fetches each currency pair's rate once per run. GET /v1/fx/rate has
// a limit of 30 requests a minute, far below the general limit, so rates are
// never fetched per row.
type fxRates struct {
	client *Client
	mu     sync.Mutex
	rates  map[string]decimal.Decimal
}

func newFXRates(c *Client) *fxRates {
	return &fxRates{client: c, rates: map[string]decimal.Decimal{}}
}

// sourceAmount estimates the source amount of a fixed_dest payout: the
// destination amount divided by the rate (destination units per source unit),
// rounded up at the source currency's scale. Anton recomputes the source side
// of a fixed_dest payout, so the estimate only has to satisfy the request
// schema and the balance guard.
func (f *fxRates) sourceAmount(ctx context.Context, dest payrun.Amount, source string) (string, error) {
	rate, err := f.rate(ctx, source, dest.Currency)
	if err != nil {
		return "", err
	}
	scale, ok := payrun.CurrencyScale(source)
	if !ok {
		return "", fmt.Errorf("source currency %q is not an ISO 4217 currency", source)
	}
	return dest.Value.DivRound(rate, int32(scale)+4).RoundCeil(int32(scale)).StringFixed(int32(scale)), nil
}

func (f *fxRates) rate(ctx context.Context, sell, buy string) (decimal.Decimal, error) {
	pair := sell + "/" + buy
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.rates[pair]; ok {
		return r, nil
	}
	got, err := f.client.FXRate(ctx, sell, buy)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("fetch FX rate %s: %w", pair, err)
	}
	r, err := decimal.NewFromString(got.Rate)
	if err != nil || !r.IsPositive() {
		return decimal.Decimal{}, fmt.Errorf("fetch FX rate %s: Anton returned rate %q, which is not a positive decimal", pair, got.Rate)
	}
	f.rates[pair] = r
	return r, nil
}

// EstimateSource returns the estimated source amount of a cross-currency row.
func (e *Engine) EstimateSource(ctx context.Context, row *state.Row) (decimal.Decimal, error) {
	e.init()
	s, err := e.fx.sourceAmount(ctx, payrun.FromMinor(row.AmountMinor, row.Currency), row.SourceCurrency)
	if err != nil {
		return decimal.Decimal{}, err
	}
	return decimal.RequireFromString(s), nil
}
