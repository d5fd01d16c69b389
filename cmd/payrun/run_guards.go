package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/ingest"
	"github.com/payrun/payrun/state"
)

// guardFile holds a new file that has too many invalid rows, fails its control
// totals, or needs approval. A held file waits for 'payrun release'.
func (r *runner) guardFile(ctx context.Context, out *fileOutcome, control *ingest.Control, totals payrun.Totals, approval bool) error {
	f := out.file
	limit, err := invalidLimit(r.o.maxInvalid, f.TotalRows)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if f.InvalidRows > limit {
		reason := fmt.Sprintf("%d of %d rows are invalid, more than --max-invalid %s; check the file and run 'payrun release %s', or run 'payrun discard %s' and re-drop a corrected file",
			f.InvalidRows, f.TotalRows, r.o.maxInvalid, f.ID, f.ID)
		return r.hold(ctx, out, state.HoldInvalidRows, reason)
	}
	if control != nil {
		if problems := control.Check(f.ValidRows, totals); len(problems) > 0 {
			parts := make([]string, 0, len(problems))
			for _, p := range problems {
				parts = append(parts, p.Message)
			}
			reason := "control totals do not match: " + strings.Join(parts, "; ") +
				fmt.Sprintf("; check the file against its control and run 'payrun release %s', or run 'payrun discard %s' and re-drop a corrected file", f.ID, f.ID)
			return r.hold(ctx, out, state.HoldControl, reason)
		}
	}
	if approval || r.o.requireApproval || r.cfg.Run.RequireApproval {
		reason := fmt.Sprintf("awaiting approval: %d valid rows, totals %s, ingested by %s; approve with 'payrun release %s --approver NAME'",
			f.ValidRows, formatTotals(totals.Strings()), f.IngestedBy, f.ID)
		return r.hold(ctx, out, state.HoldApproval, reason)
	}
	return nil
}

func (r *runner) hold(ctx context.Context, out *fileOutcome, kind, reason string) error {
	out.status, out.note = "held", reason
	out.file.Status, out.file.HoldKind, out.file.HoldReason = state.FileHeld, kind, reason
	r.a.logger.Warn("file held", "file_id", out.file.ID, "hold", kind, "reason", reason)
	return r.ledger.HoldFile(ctx, out.file.ID, kind, reason)
}

// control returns the expected rows and totals from the flags, else from the
// FILE.control sidecar, else nil.
func (r *runner) control(src *sourceFile) (*ingest.Control, error) {
	flagged, err := r.o.flagControl()
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	if flagged != nil {
		return flagged, nil
	}
	if strings.HasPrefix(src.Location, "s3://") {
		return src.control, nil
	}
	c, err := ingest.ReadControl(src.LocalPath)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w; fix the control file (rows = N, and quoted totals such as EUR = \"6975.25\") and run payrun again", ingest.ControlPath(src.Location), err))
	}
	return c, nil
}

// flagControl returns the control of --expect-rows and --expect-total, or nil
// when neither is set. Its totals pass the same checks as a FILE.control.
func (o *runOptions) flagControl() (*ingest.Control, error) {
	if !o.expectRowsSet && len(o.expectTotals) == 0 {
		return nil, nil
	}
	c := &ingest.Control{}
	if o.expectRowsSet {
		if o.expectRows < 0 {
			return nil, fmt.Errorf("invalid --expect-rows %d: use a count of valid rows, 0 or more", o.expectRows)
		}
		n := o.expectRows
		c.Rows = &n
	}
	for _, t := range o.expectTotals {
		if err := c.ParseControlTotal(t); err != nil {
			return nil, fmt.Errorf("invalid --expect-total %q: %w", t, err)
		}
	}
	return c, nil
}

// invalidLimit parses --max-invalid: a count, or a percentage of the rows.
func invalidLimit(spec string, total int) (int, error) {
	spec = strings.TrimSpace(spec)
	if pct, ok := strings.CutSuffix(spec, "%"); ok {
		p, err := decimal.NewFromString(strings.TrimSpace(pct))
		if err != nil || p.IsNegative() || p.GreaterThan(decimal.NewFromInt(100)) {
			return 0, fmt.Errorf("invalid --max-invalid %q: use a count such as 5 or a percentage from 0%% to 100%%, such as 10%%", spec)
		}
		return int(p.Mul(decimal.NewFromInt(int64(total))).Div(decimal.NewFromInt(100)).IntPart()), nil
	}
	n, err := strconv.Atoi(spec)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid --max-invalid %q: use a count such as 5 or a percentage such as 10%%", spec)
	}
	return n, nil
}

// checkBalances holds active files, in ingest order, whose pending rows the
// available balance per source currency (with the fee buffer) cannot cover.
// Balance holds are checked again on every run. With a --file or release
// selection, only the selected file is checked, because no other is sent.
func (r *runner) checkBalances(ctx context.Context) error {
	balances, err := r.api.client.Balances(ctx)
	if err != nil {
		return r.apiStop("read balances", err)
	}
	available := map[string]decimal.Decimal{}
	for _, b := range balances {
		if v, err := decimal.NewFromString(b.Available); err == nil {
			available[b.Currency] = v
		}
		r.metrics.balance(b.Currency, b.Available)
	}
	buffer, err := percent(r.o.feeBuffer)
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("invalid --fee-buffer %q: use a percentage such as 2%%", r.o.feeBuffer))
	}
	files, err := r.ledger.Files(ctx)
	if err != nil {
		return err
	}
	for _, f := range files {
		if f.Status != state.FileActive || (r.only.FileID != "" && f.ID != r.only.FileID) {
			continue
		}
		need, err := r.fileNeeds(ctx, f.ID)
		if err != nil {
			return err
		}
		if short := shortfall(need, available, buffer); short != "" {
			reason := fmt.Sprintf("the available balance does not cover the file: %s; top up and run payrun again (checked on every run)", short)
			if err := r.ledger.HoldFile(ctx, f.ID, state.HoldBalance, reason); err != nil {
				return err
			}
			r.a.logger.Warn("file held", "file_id", f.ID, "hold", state.HoldBalance, "reason", reason)
			r.noteHeld(f, reason)
			continue
		}
		for cur, amount := range need {
			available[cur] = available[cur].Sub(amount.Mul(decimal.NewFromInt(1).Add(buffer)))
		}
	}
	return nil
}

// fileNeeds returns what the pending rows of a file will debit per source
// currency. Cross-currency rows are estimated with the FX rate.
func (r *runner) fileNeeds(ctx context.Context, fileID string) (map[string]decimal.Decimal, error) {
	same, cross, err := r.ledger.PendingTotals(ctx, fileID)
	if err != nil {
		return nil, err
	}
	need := map[string]decimal.Decimal{}
	for cur, minor := range same {
		need[cur] = need[cur].Add(payrun.FromMinor(minor, cur).Value)
	}
	for _, row := range cross {
		est, err := r.engine.EstimateSource(ctx, row)
		if err != nil {
			return nil, r.apiStop("estimate cross-currency amounts", err)
		}
		need[row.SourceCurrency] = need[row.SourceCurrency].Add(est)
	}
	return need, nil
}

func shortfall(need, available map[string]decimal.Decimal, buffer decimal.Decimal) string {
	var short []string
	for cur, amount := range need {
		want := amount.Mul(decimal.NewFromInt(1).Add(buffer))
		if have := available[cur]; have.LessThan(want) {
			scale, _ := payrun.CurrencyScale(cur)
			short = append(short, fmt.Sprintf("%s needs %s with the fee buffer, %s available",
				cur, want.RoundCeil(int32(scale)).StringFixed(int32(scale)), have.StringFixed(int32(scale))))
		}
	}
	sort.Strings(short)
	return strings.Join(short, "; ")
}

func percent(spec string) (decimal.Decimal, error) {
	s := strings.TrimSuffix(strings.TrimSpace(spec), "%")
	p, err := decimal.NewFromString(s)
	if err != nil || p.IsNegative() {
		return decimal.Decimal{}, fmt.Errorf("invalid percentage %q", spec)
	}
	return p.Div(decimal.NewFromInt(100)), nil
}

// noteHeld marks a file of this run as held in the summary.
func (r *runner) noteHeld(f *state.File, reason string) {
	for _, out := range r.files {
		if out.file.ID == f.ID {
			out.status, out.note = "held", reason
			out.file.Status = state.FileHeld
			return
		}
	}
	r.files = append(r.files, &fileOutcome{source: &sourceFile{Location: f.Source, Name: f.Name},
		file: f, status: "held", note: reason})
}
