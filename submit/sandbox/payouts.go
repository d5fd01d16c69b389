package sandbox

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/submit"
)

// payoutBody is the documented schema of POST /v1/payouts.
type payoutBody struct {
	BeneficiaryID  string            `json:"beneficiary_id"`
	InstrumentID   string            `json:"instrument_id"`
	SourceAmount   string            `json:"source_amount"`
	SourceCurrency string            `json:"source_currency"`
	DestAmount     string            `json:"dest_amount"`
	DestCurrency   string            `json:"dest_currency"`
	Method         string            `json:"method"`
	Purpose        string            `json:"purpose"`
	Reference      string            `json:"reference"`
	RailType       string            `json:"rail_type"`
	FixedSide      string            `json:"fixed_side"`
	FeeBearer      string            `json:"fee_bearer"`
	Metadata       map[string]string `json:"metadata"`
	EndUserIP      string            `json:"end_user_ip"`
	QuoteID        string            `json:"quote_id"`
	Session        json.RawMessage   `json:"session"`
}

// payoutMethods is Anton's payout method enum.
var payoutMethods = []string{
	"bank_transfer", "wire", "sepa", "swift", "ach", "faster_payment", "mobile_money", "wallet",
	"crypto", "layer2", "exchange", "stablecoin",
}

// amounts are the validated amounts of a payout request in minor units.
type amounts struct {
	source, dest                 int64
	sourceCurrency, destCurrency string
}

func (s *Server) createPayout(c *call) *reply {
	var body payoutBody
	if rep := decodeStrict(c.body, &body); rep != nil {
		return rep
	}
	amt, rep := validatePayout(&body)
	if rep != nil {
		return rep
	}
	if body.QuoteID != "" {
		return notFound("quote_not_found", "pricing quote "+body.QuoteID+" not found: the sandbox issues no quotes, so leave quote_id out")
	}

	m := c.merchant
	if m.beneficiary(body.BeneficiaryID) == nil {
		return notFound(submit.CodeBeneficiaryNotFound, "beneficiary "+body.BeneficiaryID+" not found")
	}
	in := m.instrument(body.InstrumentID)
	if in == nil {
		return notFound(submit.CodeInstrumentNotFound, "instrument "+body.InstrumentID+" not found")
	}
	if rep := checkInstrumentFit(&body, in); rep != nil {
		return rep
	}

	p, rep := s.pricePayout(&body, amt)
	if rep != nil {
		return rep
	}
	bal := m.Balances[p.SourceCurrency]
	if bal == nil || bal.Available < p.debit {
		available := "0"
		if bal != nil {
			available = formatMinor(bal.Available, p.SourceCurrency)
		}
		return errorReply(http.StatusUnprocessableEntity, submit.CodeInsufficientBalance,
			"insufficient "+p.SourceCurrency+" balance: the payout needs "+formatMinor(p.debit, p.SourceCurrency)+
				" including the fee, available is "+available)
	}

	return s.recordPayout(c, &body, p, bal)
}

// pricedPayout is a payout object with its debit in minor units.
type pricedPayout struct {
	submit.Payout
	debit int64
}

// validatePayout checks the field rules of POST /v1/payouts.
func validatePayout(b *payoutBody) (amounts, *reply) {
	var f fieldErrors
	if f.required("beneficiary_id", b.BeneficiaryID) {
		f.match("beneficiary_id", b.BeneficiaryID, beneficiaryIDPattern, "ben_ followed by letters and digits")
	}
	if f.required("instrument_id", b.InstrumentID) {
		f.match("instrument_id", b.InstrumentID, instrumentIDPattern, "ins_ followed by letters and digits")
	}
	destScale, destOK := 0, false
	if f.required("dest_currency", b.DestCurrency) {
		destScale, destOK = f.currency("dest_currency", b.DestCurrency)
	}
	sourceCurrency, sourceScale, sourceOK := b.DestCurrency, destScale, destOK
	if b.SourceCurrency != "" {
		sourceCurrency = b.SourceCurrency
		sourceScale, sourceOK = f.currency("source_currency", b.SourceCurrency)
	}
	var amt amounts
	if f.required("source_amount", b.SourceAmount) {
		amt.source, _ = f.money("source_amount", b.SourceAmount, sourceCurrency, sourceScale, sourceOK)
	}
	if f.required("dest_amount", b.DestAmount) {
		amt.dest, _ = f.money("dest_amount", b.DestAmount, b.DestCurrency, destScale, destOK)
	}
	if f.required("method", b.Method) {
		f.enum("method", b.Method, payoutMethods...)
	}
	if f.required("purpose", b.Purpose) {
		f.maxLength("purpose", b.Purpose, 255)
	}
	if f.required("reference", b.Reference) {
		f.maxLength("reference", b.Reference, 100)
	}
	f.enum("rail_type", b.RailType, "fiat", "crypto", "stablecoin")
	f.enum("fixed_side", b.FixedSide, "fixed_source", "fixed_dest")
	f.enum("fee_bearer", b.FeeBearer, "merchant", "beneficiary")
	f.match("quote_id", b.QuoteID, quoteIDPattern, "pq_ followed by letters and digits")
	checkIP(&f, "end_user_ip", b.EndUserIP)
	if len(b.Session) > 0 && b.Session[0] != '{' && string(b.Session) != "null" {
		f.add("session", "must be an object")
	}

	amt.sourceCurrency, amt.destCurrency = sourceCurrency, b.DestCurrency
	return amt, f.reply()
}

// checkInstrumentFit checks that the instrument belongs to the beneficiary,
// is active, and suits the method and currency of the payout.
func checkInstrumentFit(b *payoutBody, in *instrumentRecord) *reply {
	if in.Instrument.BeneficiaryID != b.BeneficiaryID {
		return errorReply(http.StatusUnprocessableEntity, submit.CodeInvalidInstrument,
			"instrument "+in.Instrument.ID+" belongs to another beneficiary, not "+b.BeneficiaryID)
	}
	if in.Instrument.Status != "active" {
		return errorReply(http.StatusUnprocessableEntity, submit.CodeInvalidInstrument,
			"instrument "+in.Instrument.ID+" is "+in.Instrument.Status+": add an active instrument")
	}

	type corridor struct {
		instruments []string
		currency    string // "" is any currency of the FX table
	}
	corridors := map[string]corridor{
		payrun.MethodSEPA:          {[]string{payrun.InstrumentIBAN}, "EUR"},
		payrun.MethodACH:           {[]string{payrun.InstrumentUSBank}, "USD"},
		payrun.MethodFasterPayment: {[]string{payrun.InstrumentUKBank}, "GBP"},
		payrun.MethodSWIFT:         {[]string{payrun.InstrumentSWIFT, payrun.InstrumentIBAN}, ""},
		payrun.MethodWire:          {[]string{payrun.InstrumentSWIFT, payrun.InstrumentIBAN}, ""},
	}
	route, ok := corridors[b.Method]
	if !ok {
		return errorReply(http.StatusForbidden, submit.CodeCorridorNotEnabled,
			"payout method "+b.Method+" is not enabled in the sandbox: use sepa, ach, faster_payment, swift or wire")
	}
	if !contains(route.instruments, in.Instrument.Method) {
		var f fieldErrors
		f.add("method", "%s payouts need an instrument of method %v, but %s is %s",
			b.Method, route.instruments, in.Instrument.ID, in.Instrument.Method)
		return f.reply()
	}
	_, served := unitsPerUSD[b.DestCurrency]
	if (route.currency != "" && b.DestCurrency != route.currency) || !served {
		return errorReply(http.StatusForbidden, submit.CodeCorridorNotEnabled,
			"corridor "+b.Method+" in "+b.DestCurrency+" is not enabled for this merchant")
	}
	if in.Instrument.Currency != b.DestCurrency {
		var f fieldErrors
		f.add("dest_currency", "is %s, but instrument %s receives %s", b.DestCurrency, in.Instrument.ID, in.Instrument.Currency)
		return f.reply()
	}
	return nil
}

// pricePayout recomputes the side that fixed_side does not fix, then the fee
// and the total debit.
func (s *Server) pricePayout(b *payoutBody, amt amounts) (*pricedPayout, *reply) {
	fixedSide := b.FixedSide
	if fixedSide == "" {
		fixedSide = "fixed_dest"
	}
	feeBearer := b.FeeBearer
	if feeBearer == "" {
		feeBearer = "merchant"
	}

	rate, ok := exchangeRate(amt.sourceCurrency, amt.destCurrency)
	if !ok {
		return nil, errorReply(http.StatusUnprocessableEntity, "currency_not_supported",
			"the sandbox has no rate for "+amt.sourceCurrency+" to "+amt.destCurrency)
	}
	source, dest := amt.source, amt.dest
	if fixedSide == "fixed_dest" {
		source = convertMinor(dest, amt.destCurrency, amt.sourceCurrency, rate, true)
	} else {
		dest = convertMinor(source, amt.sourceCurrency, amt.destCurrency, rate, false)
	}

	fee := payoutFee(source, amt.sourceCurrency)
	debit := source + fee
	if feeBearer == "beneficiary" {
		debit = source
		dest -= convertMinor(fee, amt.sourceCurrency, amt.destCurrency, rate, false)
	}
	if source <= 0 || dest <= 0 {
		var f fieldErrors
		f.add("dest_amount", "is too small: after conversion and fees nothing would be paid")
		return nil, f.reply()
	}

	p := &pricedPayout{debit: debit}
	p.SourceAmount = formatMinor(source, amt.sourceCurrency)
	p.SourceCurrency = amt.sourceCurrency
	p.DestAmount = formatMinor(dest, amt.destCurrency)
	p.DestCurrency = amt.destCurrency
	if amt.sourceCurrency != amt.destCurrency {
		p.ExchangeRate = rate.StringFixed(rateDecimals)
	}
	p.Fee = formatMinor(fee, amt.sourceCurrency)
	p.FeeCurrency = amt.sourceCurrency
	p.FeeBearer = feeBearer
	p.FixedSide = fixedSide
	p.TotalDebited = formatMinor(debit, amt.sourceCurrency)
	p.TotalDebitedCurrency = amt.sourceCurrency
	return p, nil
}

// recordPayout stores a priced payout, reserves its funds and starts its
// lifecycle. The caller holds s.mu.
func (s *Server) recordPayout(c *call, b *payoutBody, p *pricedPayout, bal *balance) *reply {
	m := c.merchant
	now := timestamp(c.now)
	p.ID = s.newID("pay")
	p.MerchantID = m.ID
	p.BeneficiaryID = b.BeneficiaryID
	p.InstrumentID = b.InstrumentID
	p.Status = submit.StatusPendingScreening
	p.Method = b.Method
	p.RailType = "fiat"
	p.Purpose = b.Purpose
	p.Reference = b.Reference
	p.Metadata = b.Metadata
	p.CreatedAt = now
	p.UpdatedAt = now

	bal.Available -= p.debit
	bal.Pending += p.debit
	bal.UpdatedAt = c.now

	rec := &payoutRecord{Payout: p.Payout, Outcome: outcomeFor(b.Reference), Debit: p.debit}
	rec.Events = append(rec.Events, s.newPayoutEvent(m, rec, "", submit.StatusPendingScreening, "merchant", c.now, nil))
	m.Payouts = append(m.Payouts, rec)
	m.byID[p.ID] = rec
	m.references[p.Reference]++
	if m.references[p.Reference] > 1 {
		s.logger.Warn("sandbox duplicate payout reference", "merchant_id", m.ID, "reference", p.Reference,
			"count", m.references[p.Reference])
	}
	s.markDirty()

	s.emitEvent(m, "payout.created", p.ID, rec.Payout)
	s.scheduleNextStep(m, rec, c.now)
	return jsonReply(http.StatusCreated, rec.Payout)
}

func (s *Server) lookupPayout(c *call) (*payoutRecord, *reply) {
	id := c.params["id"]
	if !payoutIDPattern.MatchString(id) {
		return nil, badRequest("invalid payout id " + quoteID(id) + ": ids look like pay_01HX8Z…")
	}
	p := c.merchant.payout(id)
	if p == nil {
		return nil, notFound(submit.CodeNotFound, "payout "+id+" not found")
	}
	return p, nil
}

func (s *Server) getPayout(c *call) *reply {
	p, rep := s.lookupPayout(c)
	if rep != nil {
		return rep
	}
	return jsonReply(http.StatusOK, p.Payout)
}

func (s *Server) listPayoutEvents(c *call) *reply {
	p, rep := s.lookupPayout(c)
	if rep != nil {
		return rep
	}
	return jsonReply(http.StatusOK, dataList[payoutEvent]{Data: p.Events})
}

// cancellable are the statuses Anton cancels from.
var cancellable = []string{
	submit.StatusCreated, submit.StatusPendingScreening, submit.StatusPendingApproval,
	submit.StatusPendingEngineReview, submit.StatusManualReview,
}

// cancelBody is the optional body of POST /v1/payouts/{id}/cancel.
type cancelBody struct {
	Reason    string `json:"reason"`
	EndUserIP string `json:"end_user_ip"`
}

func (s *Server) cancelPayout(c *call) *reply {
	p, rep := s.lookupPayout(c)
	if rep != nil {
		return rep
	}
	var body cancelBody
	if len(c.body) > 0 {
		if rep := decodeStrict(c.body, &body); rep != nil {
			return rep
		}
	}
	var f fieldErrors
	f.maxLength("reason", body.Reason, 255)
	checkIP(&f, "end_user_ip", body.EndUserIP)
	if rep := f.reply(); rep != nil {
		return rep
	}

	if !contains(cancellable, p.Payout.Status) {
		return errorReply(http.StatusConflict, "",
			"payout "+p.Payout.ID+" is "+p.Payout.Status+" and can no longer be cancelled")
	}
	reason := body.Reason
	if reason == "" {
		reason = "cancelled by merchant"
	}
	p.Payout.CancelledReason = reason
	s.transition(c.merchant, p, submit.StatusCancelled, "merchant", c.now)
	return jsonReply(http.StatusOK, p.Payout)
}

// payoutFilter is the parsed query of GET /v1/payouts.
type payoutFilter struct {
	statuses      []string
	beneficiaryID string
	instrumentID  string
	batchID       string
	destCurrency  string
	reference     string
	createdAfter  time.Time
	createdBefore time.Time
}

var allStatuses = []string{
	submit.StatusCreated, submit.StatusPendingScreening, submit.StatusScreeningFailed, submit.StatusPendingApproval,
	submit.StatusApproved, submit.StatusProcessing, submit.StatusSent, submit.StatusCompleted, submit.StatusFailed,
	submit.StatusReturned, submit.StatusCancelled, submit.StatusManualReview, submit.StatusVelocityBlocked,
	submit.StatusPendingEngineReview,
}

func parsePayoutFilter(c *call) (payoutFilter, *reply) {
	q := c.query
	f := payoutFilter{
		beneficiaryID: q.Get("beneficiary_id"),
		instrumentID:  q.Get("instrument_id"),
		batchID:       q.Get("batch_id"),
		destCurrency:  q.Get("dest_currency"),
		reference:     q.Get("reference"),
	}
	for _, st := range q["status"] {
		if st == "" {
			continue
		}
		if !contains(allStatuses, st) {
			return f, badRequest("invalid status filter " + quoteID(st) + ": use one of the payout statuses such as completed")
		}
		f.statuses = append(f.statuses, st)
	}
	checks := []struct {
		name, value string
		ok          bool
	}{
		{"beneficiary_id", f.beneficiaryID, f.beneficiaryID == "" || beneficiaryIDPattern.MatchString(f.beneficiaryID)},
		{"instrument_id", f.instrumentID, f.instrumentID == "" || instrumentIDPattern.MatchString(f.instrumentID)},
		{"batch_id", f.batchID, f.batchID == "" || batchIDPattern.MatchString(f.batchID)},
		{"dest_currency", f.destCurrency, f.destCurrency == "" || currencyPattern.MatchString(f.destCurrency)},
	}
	for _, ch := range checks {
		if !ch.ok {
			return f, badRequest("invalid " + ch.name + " filter " + quoteID(ch.value))
		}
	}
	for name, target := range map[string]*time.Time{"created_after": &f.createdAfter, "created_before": &f.createdBefore} {
		text := q.Get(name)
		if text == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			return f, badRequest("invalid " + name + " " + quoteID(text) + ": use an RFC 3339 time such as 2026-04-15T00:00:00Z")
		}
		*target = t
	}
	return f, nil
}

func (f *payoutFilter) keep(p *payoutRecord) bool {
	po := &p.Payout
	if len(f.statuses) > 0 && !contains(f.statuses, po.Status) {
		return false
	}
	if (f.beneficiaryID != "" && po.BeneficiaryID != f.beneficiaryID) ||
		(f.instrumentID != "" && po.InstrumentID != f.instrumentID) ||
		(f.destCurrency != "" && po.DestCurrency != f.destCurrency) ||
		(f.reference != "" && po.Reference != f.reference) {
		return false
	}
	if f.batchID != "" && (po.BatchID == nil || *po.BatchID != f.batchID) {
		return false
	}
	if f.createdAfter.IsZero() && f.createdBefore.IsZero() {
		return true
	}
	created, _ := time.Parse(time.RFC3339Nano, po.CreatedAt)
	if !f.createdAfter.IsZero() && created.Before(f.createdAfter) {
		return false
	}
	return f.createdBefore.IsZero() || created.Before(f.createdBefore)
}

func (s *Server) listPayouts(c *call) *reply {
	limit, rep := parseLimit(c.query)
	if rep != nil {
		return rep
	}
	after, rep := parseCursor(c.query, payoutIDPattern)
	if rep != nil {
		return rep
	}
	filter, rep := parsePayoutFilter(c)
	if rep != nil {
		return rep
	}

	page := newestFirst(c.merchant.Payouts, func(p *payoutRecord) string { return p.Payout.ID }, filter.keep, after, limit)
	out := submit.List[submit.Payout]{Data: make([]submit.Payout, 0, len(page.Data)),
		HasMore: page.HasMore, NextCursor: page.NextCursor}
	for _, p := range page.Data {
		out.Data = append(out.Data, p.Payout)
	}
	return jsonReply(http.StatusOK, out)
}
