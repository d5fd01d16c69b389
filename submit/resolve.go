package submit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/state"
)

var (
	// errNeedSource means a row needs a beneficiary created but its raw data was
	// not supplied, because the source file could not be re-read.
	errNeedSource = errors.New("the source file is needed to create this beneficiary")
	// errBankChanged means an external_ref known with other bank details.
	// Such a row is held until a run allows the change.
	errBankChanged = errors.New("bank details changed for a known external_ref")
)

// resolver finds or creates the Anton beneficiary and instrument of rows keyed
// by external_ref. Creation keys derive from the external_ref and fingerprints,
// and results are cached in the ledger, so reruns never create duplicates.
type resolver struct {
	e     *Engine
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func newResolver(e *Engine) *resolver {
	return &resolver{e: e, locks: map[string]*sync.Mutex{}}
}

// lock serialises resolution per external_ref, so rows of one beneficiary
// wait for the first to create it instead of racing.
func (r *resolver) lock(externalRef string) func() {
	r.mu.Lock()
	m, ok := r.locks[externalRef]
	if !ok {
		m = &sync.Mutex{}
		r.locks[externalRef] = m
	}
	r.mu.Unlock()
	m.Lock()
	return m.Unlock
}

func (r *resolver) resolve(ctx context.Context, row *state.Row, in *payrun.Instruction) (string, string, error) {
	defer r.lock(row.ExternalRef)()
	led := r.e.Ledger

	benID, err := r.beneficiary(ctx, row, in)
	if err != nil {
		return "", "", err
	}
	insID, err := led.InstrumentFor(ctx, benID, row.BankFingerprint)
	if err != nil || insID != "" {
		return benID, insID, err
	}
	if !r.e.AllowBankChange {
		n, err := led.InstrumentCount(ctx, benID)
		if err != nil {
			return "", "", err
		}
		if n > 0 {
			return "", "", errBankChanged
		}
	}
	if in == nil || in.Beneficiary == nil {
		return "", "", errNeedSource
	}
	insID, err = r.createInstrument(ctx, benID, row, in.Beneficiary)
	return benID, insID, err
}

func (r *resolver) beneficiary(ctx context.Context, row *state.Row, in *payrun.Instruction) (string, error) {
	cached, err := r.e.Ledger.BeneficiaryByExternalRef(ctx, row.ExternalRef)
	if err != nil || cached != nil {
		if cached != nil {
			return cached.BeneficiaryID, nil
		}
		return "", err
	}
	if in == nil || in.Beneficiary == nil {
		return "", errNeedSource
	}
	b := in.Beneficiary
	body, err := json.Marshal(beneficiaryRequest(b))
	if err != nil {
		return "", fmt.Errorf("encode beneficiary of external_ref %s: %w", b.ExternalRef, err)
	}
	identity := r.e.Fingerprints.Fingerprint(string(body))
	key := BeneficiaryKey(r.e.Namespace, b.ExternalRef, identity)
	got, resp, err := r.e.Client.CreateBeneficiary(withAttemptRow(ctx, row.ID), key, body)
	if resp != nil {
		r.e.Clock.Observe(resp.Date)
	}
	if isAPICode(err, codeDuplicateBeneficiary) {
		// Anton keeps idempotency keys for 24 hours only. A beneficiary created
		// by an earlier attempt that is older than that is found again here
		// by its external_ref instead of being rejected.
		got, err = r.findBeneficiary(ctx, b)
	}
	if err != nil {
		return "", fmt.Errorf("create beneficiary for external_ref %s: %w", b.ExternalRef, err)
	}
	err = r.e.Ledger.SaveBeneficiary(ctx, state.ResolvedBeneficiary{
		ExternalRef: b.ExternalRef, IdentityFingerprint: identity, BeneficiaryID: got.ID})
	if err != nil {
		return "", err
	}
	r.e.Logger.Debug("beneficiary created", "beneficiary_id", got.ID, "external_ref", b.ExternalRef, "replayed", resp.Replayed)
	return got.ID, nil
}

func (r *resolver) createInstrument(ctx context.Context, benID string, row *state.Row, b *payrun.Beneficiary) (string, error) {
	body, err := json.Marshal(instrumentRequest(b))
	if err != nil {
		return "", fmt.Errorf("encode instrument of external_ref %s: %w", b.ExternalRef, err)
	}
	key := InstrumentKey(r.e.Namespace, benID, row.BankFingerprint)
	got, resp, err := r.e.Client.CreateInstrument(withAttemptRow(ctx, row.ID), key, benID, body)
	if resp != nil {
		r.e.Clock.Observe(resp.Date)
	}
	if isAPICode(err, codeDuplicateInstrument) {
		got, err = r.findInstrument(ctx, benID, b)
	}
	if err != nil {
		return "", fmt.Errorf("create instrument for external_ref %s (%s): %w", b.ExternalRef, b.Bank.Masked(), err)
	}
	if err := r.e.Ledger.SaveInstrument(ctx, benID, row.BankFingerprint, got.ID, b.Bank.Masked()); err != nil {
		return "", err
	}
	r.e.Logger.Debug("instrument created", "instrument_id", got.ID, "beneficiary_id", benID, "account", b.Bank.Masked())
	return got.ID, nil
}

// Codes of Anton's 422 responses to a beneficiary or instrument that exists.
const (
	codeDuplicateBeneficiary = "duplicate_beneficiary"
	codeDuplicateInstrument  = "duplicate_instrument"
)

func isAPICode(err error, code string) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Code == code
}

// findBeneficiary looks up the existing beneficiary of an external_ref. It
// returns the original duplicate error when none carries the external_ref,
// because then the duplicate belongs to another payee.
func (r *resolver) findBeneficiary(ctx context.Context, b *payrun.Beneficiary) (*Beneficiary, error) {
	var found *Beneficiary
	err := r.e.Client.EachBeneficiary(ctx, b.Type, b.Country, func(got *Beneficiary) (bool, error) {
		if got.ExternalRef == b.ExternalRef {
			found = got
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, &APIError{Status: 422, Code: codeDuplicateBeneficiary,
			Message: "Anton has a beneficiary with these details under another external_ref; use that external_ref or the beneficiary_id"}
	}
	r.e.Logger.Info("existing beneficiary found by external_ref", "beneficiary_id", found.ID, "external_ref", b.ExternalRef)
	return found, nil
}

// findInstrument looks up an existing instrument of a beneficiary with the
// same method, currency and last four account characters.
func (r *resolver) findInstrument(ctx context.Context, benID string, b *payrun.Beneficiary) (*Instrument, error) {
	last4 := lastFour(firstSet(b.Bank.IBAN.Reveal(), b.Bank.AccountNumber.Reveal()))
	var found *Instrument
	err := r.e.Client.EachInstrument(ctx, benID, func(got *Instrument) (bool, error) {
		if got.Method == b.Bank.Method && got.Currency == b.Bank.Currency && got.Status == "active" &&
			(got.DisplayLast4 == "" || got.DisplayLast4 == last4) {
			found = got
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, &APIError{Status: 422, Code: codeDuplicateInstrument,
			Message: "Anton reports a duplicate instrument that payrun cannot find on the beneficiary; check the beneficiary's instruments in Anton"}
	}
	return found, nil
}

func lastFour(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}

// beneficiaryRequest builds the body of POST /v1/beneficiaries.
func beneficiaryRequest(b *payrun.Beneficiary) *BeneficiaryRequest {
	addr := &Address{
		StreetLine1: b.Address.Line1.Reveal(), StreetLine2: b.Address.Line2.Reveal(),
		City: b.Address.City.Reveal(), State: b.Address.State,
		PostalCode: b.Address.PostalCode.Reveal(), Country: firstSet(b.Address.Country, b.Country),
	}
	req := &BeneficiaryRequest{Type: b.Type, Country: b.Country, ExternalRef: b.ExternalRef}
	if b.Type == "business" {
		req.Business = &BusinessDetails{LegalName: b.BusinessName.Reveal(), Email: b.Email.Reveal(),
			Phone: b.Phone.Reveal(), Address: addr}
		return req
	}
	req.Individual = &IndividualDetails{
		FirstName: b.FirstName.Reveal(), LastName: b.LastName.Reveal(), Email: b.Email.Reveal(),
		Phone: b.Phone.Reveal(), DateOfBirth: b.DateOfBirth.Reveal(), Nationality: b.Nationality,
		Address: addr,
	}
	return req
}

// instrumentRequest builds the body of POST /v1/beneficiaries/{id}/instruments.
func instrumentRequest(b *payrun.Beneficiary) *InstrumentRequest {
	bank := b.Bank
	holder := bank.HolderName.Reveal()
	if holder == "" {
		holder = b.DisplayName().Reveal()
	}
	creds := map[string]string{"account_holder_name": holder}
	set := func(k, v string) {
		if v != "" {
			creds[k] = v
		}
	}
	set("iban", bank.IBAN.Reveal())
	set("bic", bank.BIC)
	set("account_number", bank.AccountNumber.Reveal())
	set("sort_code", bank.SortCode)
	set("routing_number", bank.RoutingNumber)
	if bank.Method == payrun.InstrumentUSBank {
		set("account_type", firstSet(bank.AccountType, "checking"))
	}
	country := bank.Country
	if country == "" && len(bank.IBAN.Reveal()) >= 2 {
		country = bank.IBAN.Reveal()[:2]
	}
	return &InstrumentRequest{Method: bank.Method, Currency: bank.Currency,
		Country: firstSet(country, b.Country), Credentials: creds}
}

func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// apiFieldColumns maps Anton's validation field paths to payout file columns.
var apiFieldColumns = map[string]string{
	"dest_amount": "amount", "dest_currency": "currency", "source_currency": "source_currency",
	"reference": "reference", "purpose": "purpose", "method": "method",
	"beneficiary_id": "beneficiary_id", "instrument_id": "instrument_id",
	"type": "beneficiary_type", "country": "country", "external_ref": "external_ref",
	"individual.first_name": "first_name", "individual.last_name": "last_name",
	"individual.email": "email", "individual.phone": "phone",
	"individual.date_of_birth": "date_of_birth", "individual.nationality": "nationality",
	"business.legal_name": "business_name", "business.email": "email", "business.phone": "phone",
	"credentials.iban": "iban", "credentials.bic": "bic",
	"credentials.account_number": "account_number", "credentials.sort_code": "sort_code",
	"credentials.routing_number": "routing_number", "credentials.account_type": "account_type",
	"credentials.account_holder_name": "account_holder_name",
}

// columnOf maps an Anton field path to the payout file column it came from.
func columnOf(field string) string {
	if c, ok := apiFieldColumns[field]; ok {
		return c
	}
	if i := strings.Index(field, "address."); i >= 0 {
		switch rest := field[i+len("address."):]; rest {
		case "street_line_1":
			return "address_line1"
		case "street_line_2":
			return "address_line2"
		default:
			return rest
		}
	}
	return field
}

// rejectionMessage returns Anton's rejection with validation details mapped
// to the payout file's columns, so finance can fix the row.
func rejectionMessage(err error) string {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return err.Error()
	}
	msg := fmt.Sprintf("Anton rejected the request (%d %s): %s", apiErr.Status, apiErr.Code, apiErr.Message)
	if len(apiErr.Details) > 0 {
		parts := make([]string, 0, len(apiErr.Details))
		for _, d := range apiErr.Details {
			parts = append(parts, fmt.Sprintf("column %s: %s", columnOf(d.Field), d.Message))
		}
		msg += " (" + strings.Join(parts, "; ") + ")"
	}
	return msg + "; fix the row and re-drop it"
}

// recordPrepareError records why a row could not be prepared for sending.
func (e *Engine) recordPrepareError(ctx context.Context, row *state.Row, err error, log *slog.Logger) {
	switch {
	case errors.Is(err, errNeedSource):
		msg := fmt.Sprintf("beneficiary of external_ref %s is not created yet and the source file of %s could not be re-read; put the original file back (same content) and run 'payrun retry --file %s'",
			row.ExternalRef, row.FileID, row.FileID)
		e.setState(ctx, row, state.Retryable, "source_file_missing", msg, log)
		e.count(func(r *Result) { r.Retryable++ })
		return
	case errors.Is(err, errBankChanged):
		msg := fmt.Sprintf("external_ref %s is known with other bank details, and payrun does not re-point a payee silently. Confirm the new details (%s) with the payee, then run 'payrun retry --allow-bank-change --file %s'",
			row.ExternalRef, row.AccountMasked, row.FileID)
		e.setState(ctx, row, state.Held, state.HoldBankChange, msg, log)
		e.count(func(r *Result) { r.Held++ })
		return
	}
	e.recordPayoutOutcome(ctx, row, nil, err, log)
}
