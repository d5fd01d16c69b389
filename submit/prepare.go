package submit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/state"
)

// prepare returns the exact body to send for a row. A row that was sent
// before keeps its stored body, byte for byte, so a retry can never meet
// 409 idempotency_conflict because an FX rate or a default changed.
func (e *Engine) prepare(ctx context.Context, job Job) (string, error) {
	row := job.Row
	if row.RequestBody != "" {
		return row.RequestBody, nil
	}
	if row.BeneficiaryID == "" || row.InstrumentID == "" {
		benID, insID, err := e.resolver.resolve(ctx, row, job.Instruction)
		if err != nil {
			return "", err
		}
		if err := e.Ledger.SetBeneficiary(ctx, row.ID, benID, insID); err != nil {
			return "", err
		}
		row.BeneficiaryID, row.InstrumentID = benID, insID
	}
	req, err := e.payoutRequest(ctx, row)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("encode payout of reference %s: %w", row.Reference, err)
	}
	return string(body), nil
}

// payoutRequest builds POST /v1/payouts from the ledger row. A cross-currency
// row is fixed_dest: the beneficiary receives exactly the file's amount, and
// the source amount is an estimate that Anton recomputes.
func (e *Engine) payoutRequest(ctx context.Context, row *state.Row) (*PayoutRequest, error) {
	dest := payrun.FromMinor(row.AmountMinor, row.Currency)
	source := sourceCurrency(row)
	req := &PayoutRequest{
		BeneficiaryID:  row.BeneficiaryID,
		InstrumentID:   row.InstrumentID,
		SourceAmount:   dest.Canonical(),
		SourceCurrency: source,
		DestAmount:     dest.Canonical(),
		DestCurrency:   row.Currency,
		Method:         row.Method,
		Purpose:        row.Purpose,
		Reference:      row.Reference,
	}
	if source != row.Currency {
		amount, err := e.fx.sourceAmount(ctx, dest, source)
		if err != nil {
			return nil, err
		}
		req.SourceAmount, req.FixedSide = amount, "fixed_dest"
	}
	return req, nil
}
