package sandbox

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/payrun/payrun/submit"
)

func TestCreatePayout_Flow(t *testing.T) {
	e := startSandbox(t, Options{})
	ben, ins := e.sepaPayee()

	p := e.createPayout(sepaPayout(ben, ins, "100.00", "INV-1"))

	if p.Status != submit.StatusPendingScreening {
		t.Errorf("status = %q, want pending_screening", p.Status)
	}
	checks := map[string][2]string{
		"source_amount":          {p.SourceAmount, "100.00"},
		"source_currency":        {p.SourceCurrency, "EUR"},
		"dest_amount":            {p.DestAmount, "100.00"},
		"fee":                    {p.Fee, "0.35"},
		"fee_currency":           {p.FeeCurrency, "EUR"},
		"total_debited":          {p.TotalDebited, "100.35"},
		"total_debited_currency": {p.TotalDebitedCurrency, "EUR"},
		"fixed_side":             {p.FixedSide, "fixed_dest"},
		"fee_bearer":             {p.FeeBearer, "merchant"},
		"rail_type":              {p.RailType, "fiat"},
		"reference":              {p.Reference, "INV-1"},
		"beneficiary_id":         {p.BeneficiaryID, ben},
		"instrument_id":          {p.InstrumentID, ins},
	}
	for field, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", field, c[0], c[1])
		}
	}
	if !payoutIDPattern.MatchString(p.ID) || p.MerchantID == "" || p.CreatedAt == "" || p.UpdatedAt == "" {
		t.Errorf("missing required fields: %+v", p)
	}

	got := e.getPayout(p.ID)
	if got.ID != p.ID || got.Status != p.Status {
		t.Errorf("GET payout = %+v, want %+v", got, p)
	}
}

func TestCreatePayout_RequiredFieldsInJSON(t *testing.T) {
	e := startSandbox(t, Options{})
	ben, ins := e.sepaPayee()
	res := e.post("/v1/payouts", sepaPayout(ben, ins, "10.00", "INV-REQ"))
	res.expect(t, http.StatusCreated, "-")

	var raw map[string]any
	res.decode(t, &raw)
	for _, field := range []string{"id", "merchant_id", "beneficiary_id", "instrument_id", "status", "method",
		"source_amount", "source_currency", "dest_amount", "dest_currency", "rail_type", "purpose",
		"reference", "created_at", "updated_at"} {
		if _, ok := raw[field]; !ok {
			t.Errorf("201 body lacks required field %s: %s", field, res.body)
		}
	}
	if _, wrapped := raw["data"]; wrapped {
		t.Errorf("201 body is wrapped in data: %s", res.body)
	}
}

func TestBalances_DebitAndInsufficient(t *testing.T) {
	e := startSandbox(t, Options{Balances: map[string]string{"EUR": "150.00"}})
	ben, ins := e.sepaPayee()

	e.createPayout(sepaPayout(ben, ins, "100.00", "BAL-1"))
	b := e.balance("EUR")
	if b.Available != "49.65" || b.Pending != "100.35" || b.Total != "150.00" {
		t.Errorf("after payout: available %s pending %s total %s, want 49.65 100.35 150.00", b.Available, b.Pending, b.Total)
	}

	res := e.post("/v1/payouts", sepaPayout(ben, ins, "49.60", "BAL-2"))
	res.expect(t, http.StatusUnprocessableEntity, submit.CodeInsufficientBalance)

	e.advance("1h")
	b = e.balance("EUR")
	if b.Available != "49.65" || b.Pending != "0.00" || b.Total != "49.65" {
		t.Errorf("after completion: available %s pending %s total %s, want 49.65 0.00 49.65", b.Available, b.Pending, b.Total)
	}

	res = e.call(http.MethodGet, "/v1/balances", nil)
	res.expect(t, http.StatusOK, "-")
	var list struct {
		Data []submit.Balance `json:"data"`
	}
	res.decode(t, &list)
	if len(list.Data) != 1 || list.Data[0].Currency != "EUR" {
		t.Errorf("balances list = %s, want one EUR balance", res.body)
	}
	e.call(http.MethodGet, "/v1/balances/USD", nil).expect(t, http.StatusNotFound, "account_not_found")
}

func TestCreatePayout_CrossCurrency(t *testing.T) {
	e := startSandbox(t, Options{})
	ben, ins := e.sepaPayee()
	body := sepaPayout(ben, ins, "1.00", "FX-1")
	body["source_currency"] = "USD"
	body["dest_amount"] = "92.00"

	p := e.createPayout(body)

	// 92.00 EUR at 0.920000 EUR per USD is 100.00 USD; fee 0.25 + 0.10.
	if p.SourceAmount != "100.00" || p.SourceCurrency != "USD" || p.ExchangeRate != "0.920000" {
		t.Errorf("source %s %s at rate %s, want 100.00 USD at 0.920000", p.SourceAmount, p.SourceCurrency, p.ExchangeRate)
	}
	if p.Fee != "0.35" || p.TotalDebited != "100.35" || p.TotalDebitedCurrency != "USD" {
		t.Errorf("fee %s total %s %s, want 0.35 and 100.35 USD", p.Fee, p.TotalDebited, p.TotalDebitedCurrency)
	}
	if b := e.balance("USD"); b.Available != "999899.65" {
		t.Errorf("USD available = %s, want 999899.65", b.Available)
	}
}

func TestCreatePayout_FixedSourceAndBeneficiaryFee(t *testing.T) {
	e := startSandbox(t, Options{})
	ben, ins := e.sepaPayee()
	body := sepaPayout(ben, ins, "200.00", "FS-1")
	body["dest_amount"] = "1.00"
	body["fixed_side"] = "fixed_source"
	body["fee_bearer"] = "beneficiary"

	p := e.createPayout(body)

	if p.SourceAmount != "200.00" || p.Fee != "0.45" || p.TotalDebited != "200.00" || p.DestAmount != "199.55" {
		t.Errorf("source %s fee %s total %s dest %s, want 200.00 0.45 200.00 199.55",
			p.SourceAmount, p.Fee, p.TotalDebited, p.DestAmount)
	}
}

func TestPayoutLifecycle_Endings(t *testing.T) {
	cases := []struct {
		reference string
		final     string
		path      []string
	}{
		{"INV-OK", "completed", []string{"pending_screening", "pending_approval", "approved", "processing", "sent", "completed"}},
		{"FAIL-1", "failed", []string{"pending_screening", "pending_approval", "approved", "processing", "sent", "failed"}},
		{"RETURN-1", "returned", []string{"pending_screening", "pending_approval", "approved", "processing", "sent", "completed", "returned"}},
		{"SCREEN-1", "screening_failed", []string{"pending_screening", "screening_failed"}},
	}
	for _, tc := range cases {
		t.Run(tc.reference, func(t *testing.T) {
			e := startSandbox(t, Options{})
			ben, ins := e.sepaPayee()
			p := e.createPayout(sepaPayout(ben, ins, "10.00", tc.reference))

			e.advance("1h")

			got := e.getPayout(p.ID)
			if got.Status != tc.final {
				t.Fatalf("status = %q, want %q", got.Status, tc.final)
			}
			res := e.call(http.MethodGet, "/v1/payouts/"+p.ID+"/events", nil)
			res.expect(t, http.StatusOK, "-")
			var events struct {
				Data []payoutEvent `json:"data"`
			}
			res.decode(t, &events)
			var statuses []string
			for _, ev := range events.Data {
				statuses = append(statuses, ev.Status)
			}
			if len(statuses) != len(tc.path) {
				t.Fatalf("events = %v, want %v", statuses, tc.path)
			}
			for i := range statuses {
				if statuses[i] != tc.path[i] {
					t.Fatalf("events = %v, want %v", statuses, tc.path)
				}
			}

			wantAvailable := "1000000.00"
			if tc.final == "completed" {
				wantAvailable = "999989.74"
			}
			if b := e.balance("EUR"); b.Available != wantAvailable || b.Pending != "0.00" {
				t.Errorf("EUR available %s pending %s, want %s and 0.00", b.Available, b.Pending, wantAvailable)
			}
		})
	}
}

func TestPayoutLifecycle_RealTimeScale(t *testing.T) {
	e := startSandbox(t, Options{TimeScale: 200})
	ben, ins := e.sepaPayee()
	p := e.createPayout(sepaPayout(ben, ins, "10.00", "FAST-1"))

	// At scale 200 each 400 ms step takes 2 ms; poll until the payout ends.
	for i := 0; i < 500; i++ {
		if got := e.getPayout(p.ID); got.Status == submit.StatusCompleted {
			if got.CompletedAt == "" || got.RailReference == "" {
				t.Errorf("completed payout lacks completed_at or rail_reference: %+v", got)
			}
			return
		}
		sleep(t, 10)
	}
	t.Fatalf("payout %s did not complete", p.ID)
}

func TestCancelPayout(t *testing.T) {
	e := startSandbox(t, Options{Balances: map[string]string{"EUR": "100.00"}})
	ben, ins := e.sepaPayee()
	p := e.createPayout(sepaPayout(ben, ins, "50.00", "CANCEL-1"))

	res := e.call(http.MethodPost, "/v1/payouts/"+p.ID+"/cancel", nil)
	res.expect(t, http.StatusBadRequest, submit.CodeMissingIdempotencyKey)

	res = e.post("/v1/payouts/"+p.ID+"/cancel", map[string]string{"reason": "duplicate invoice"})
	res.expect(t, http.StatusOK, "-")
	var cancelled submit.Payout
	res.decode(t, &cancelled)
	if cancelled.Status != submit.StatusCancelled || cancelled.CancelledReason != "duplicate invoice" || cancelled.CancelledAt == "" {
		t.Errorf("cancelled payout = %+v", cancelled)
	}
	if b := e.balance("EUR"); b.Available != "100.00" || b.Pending != "0.00" {
		t.Errorf("after cancel: available %s pending %s, want 100.00 and 0.00", b.Available, b.Pending)
	}

	e.advance("1h")
	if got := e.getPayout(p.ID); got.Status != submit.StatusCancelled {
		t.Errorf("cancelled payout moved on to %q", got.Status)
	}

	done := e.createPayout(sepaPayout(ben, ins, "10.00", "CANCEL-2"))
	e.advance("1h")
	res = e.post("/v1/payouts/"+done.ID+"/cancel", nil)
	res.expect(t, http.StatusConflict, "")
}

func TestGetPayout_NotFoundAndBadID(t *testing.T) {
	e := startSandbox(t, Options{})
	e.call(http.MethodGet, "/v1/payouts/pay_01UNKNOWN", nil).expect(t, http.StatusNotFound, submit.CodeNotFound)
	e.call(http.MethodGet, "/v1/payouts/bad-id", nil).expect(t, http.StatusBadRequest, "")

	other := startSandbox(t, Options{})
	ben, ins := other.sepaPayee()
	p := other.createPayout(sepaPayout(ben, ins, "1.00", "OTHER"))
	res := e.callWithKey(e.key, http.MethodGet, "/v1/payouts/"+p.ID, nil)
	res.expect(t, http.StatusNotFound, submit.CodeNotFound)
}

func TestMerchantAndFXRate(t *testing.T) {
	e := startSandbox(t, Options{RateLimit: 2000})
	res := e.call(http.MethodGet, "/v1/merchant", nil)
	res.expect(t, http.StatusOK, "-")
	var m submit.Merchant
	res.decode(t, &m)
	if m.RateLimitPerMinute != 2000 || m.RateLimitMultiplier != 2 || m.ID != merchantID(e.key) || m.Status != "active" {
		t.Errorf("merchant = %+v", m)
	}

	res = e.call(http.MethodGet, "/v1/fx/rate?sell_currency=USD&buy_currency=GBP&sell_amount=100.00", nil)
	res.expect(t, http.StatusOK, "-")
	var rate submit.FXRate
	res.decode(t, &rate)
	if rate.Rate != "0.790000" || rate.BuyAmount != "79.00" || rate.SellAmount != "100.00" {
		t.Errorf("fx rate = %+v", rate)
	}
	e.call(http.MethodGet, "/v1/fx/rate?sell_currency=USD&buy_currency=ZMW", nil).expect(t, http.StatusUnprocessableEntity, "currency_not_supported")
	e.call(http.MethodGet, "/v1/fx/rate?sell_currency=usd&buy_currency=EUR", nil).expect(t, http.StatusBadRequest, "")
}

// TestClientTypes_Accepted guards that the client's request types encode to
// bodies the sandbox accepts, field names included.
func TestClientTypes_Accepted(t *testing.T) {
	e := startSandbox(t, Options{})
	ben := submit.BeneficiaryRequest{
		Type: "individual", Country: "GB", ExternalRef: "ext-1",
		Individual: &submit.IndividualDetails{
			FirstName: "Ann", MiddleName: "B", LastName: "Lee", Email: "ann@example.com", Phone: "+447700900123",
			DateOfBirth: "1990-01-31", Nationality: "GB",
			Address: &submit.Address{StreetLine1: "1 High St", StreetLine2: "Flat 2", City: "London", PostalCode: "N1 9GU", Country: "GB"},
		},
		Metadata: map[string]string{"k": "v"},
	}
	res := e.post("/v1/beneficiaries", ben)
	res.expect(t, http.StatusCreated, "-")
	var b submit.Beneficiary
	res.decode(t, &b)

	in := submit.InstrumentRequest{Method: "uk_bank", Currency: "GBP", Country: "GB", Label: "main",
		Credentials: map[string]string{"account_holder_name": "Ann Lee", "account_number": "31926819", "sort_code": "601613"},
		IsDefault:   true}
	res = e.post("/v1/beneficiaries/"+b.ID+"/instruments", in)
	res.expect(t, http.StatusCreated, "-")
	var instrument submit.Instrument
	res.decode(t, &instrument)

	payout := submit.PayoutRequest{BeneficiaryID: b.ID, InstrumentID: instrument.ID, SourceAmount: "5.00",
		SourceCurrency: "GBP", DestAmount: "5.00", DestCurrency: "GBP", Method: "faster_payment",
		Purpose: "salary", Reference: "TYPES-1", FixedSide: "fixed_dest", Metadata: map[string]string{"row": "2"}}
	data, _ := json.Marshal(payout)
	e.post("/v1/payouts", data).expect(t, http.StatusCreated, "-")

	hook := submit.WebhookRequest{URL: "http://127.0.0.1:9/hook", Events: []string{"*"}, Metadata: map[string]string{"a": "b"}}
	e.post("/v1/webhooks", hook).expect(t, http.StatusCreated, "-")
}
