package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payrun/payrun/submit"
)

func TestIdempotency_ReplaySameBody(t *testing.T) {
	e := startSandbox(t, Options{})
	ben, ins := e.sepaPayee()
	body, _ := json.Marshal(sepaPayout(ben, ins, "10.00", "IDEM-1"))

	first := e.call(http.MethodPost, "/v1/payouts", body, submit.HeaderIdempotencyKey, "payout-idem-1")
	first.expect(t, http.StatusCreated, "-")
	second := e.call(http.MethodPost, "/v1/payouts", body, submit.HeaderIdempotencyKey, "payout-idem-1")

	if second.status != http.StatusCreated {
		t.Fatalf("replay status = %d, want 201", second.status)
	}
	if !bytes.Equal(first.body, second.body) {
		t.Errorf("replay body differs:\n%s\n%s", first.body, second.body)
	}
	if got := second.header.Get(submit.HeaderIdempotentReplayed); got != "true" {
		t.Errorf("replay header = %q, want true", got)
	}
	if got := first.header.Get(submit.HeaderIdempotentReplayed); got != "" {
		t.Errorf("first answer has replay header %q", got)
	}
	if n := e.srv.Stats().PayoutsCreated; n != 1 {
		t.Errorf("payouts created = %d, want 1", n)
	}
}

func TestIdempotency_ReplaysClientErrors(t *testing.T) {
	e := startSandbox(t, Options{})
	ben, ins := e.sepaPayee()
	body, _ := json.Marshal(sepaPayout(ben, ins, "10.001", "IDEM-4XX"))

	first := e.call(http.MethodPost, "/v1/payouts", body, submit.HeaderIdempotencyKey, "payout-4xx")
	first.expect(t, unprocessable, submit.CodeValidation)
	second := e.call(http.MethodPost, "/v1/payouts", body, submit.HeaderIdempotencyKey, "payout-4xx")
	second.expect(t, unprocessable, submit.CodeValidation)
	if second.header.Get(submit.HeaderIdempotentReplayed) != "true" || !bytes.Equal(first.body, second.body) {
		t.Errorf("4xx answer was not replayed: %v %s", second.header, second.body)
	}
}

func TestIdempotency_ServerErrorsNotStored(t *testing.T) {
	e := startSandbox(t, Options{})
	ben, ins := e.sepaPayee()
	body, _ := json.Marshal(sepaPayout(ben, ins, "10.00", "IDEM-5XX"))

	e.srv.SetFaults(Faults{IdempotencyUnavailableRate: 1})
	e.call(http.MethodPost, "/v1/payouts", body, submit.HeaderIdempotencyKey, "payout-5xx").
		expect(t, http.StatusServiceUnavailable, submit.CodeIdempotencyUnavailable)
	e.srv.SetFaults(Faults{ErrorRate: 1})
	e.call(http.MethodPost, "/v1/payouts", body, submit.HeaderIdempotencyKey, "payout-5xx").
		expect(t, http.StatusInternalServerError, submit.CodeInternal)

	e.srv.SetFaults(Faults{})
	res := e.call(http.MethodPost, "/v1/payouts", body, submit.HeaderIdempotencyKey, "payout-5xx")
	res.expect(t, http.StatusCreated, "-")
	if res.header.Get(submit.HeaderIdempotentReplayed) != "" {
		t.Errorf("first successful attempt marked as replay")
	}
}

func TestIdempotency_Conflict(t *testing.T) {
	e := startSandbox(t, Options{})
	ben, ins := e.sepaPayee()
	e.call(http.MethodPost, "/v1/payouts", sepaPayout(ben, ins, "10.00", "IDEM-C"),
		submit.HeaderIdempotencyKey, "payout-conflict").expect(t, http.StatusCreated, "-")

	e.call(http.MethodPost, "/v1/payouts", sepaPayout(ben, ins, "11.00", "IDEM-C"),
		submit.HeaderIdempotencyKey, "payout-conflict").expect(t, http.StatusConflict, submit.CodeIdempotencyConflict)
}

func TestIdempotency_ScopedByPathAndMerchant(t *testing.T) {
	e := startSandbox(t, Options{})
	ben, ins := e.sepaPayee()
	e.call(http.MethodPost, "/v1/payouts", sepaPayout(ben, ins, "10.00", "SCOPE-1"),
		submit.HeaderIdempotencyKey, "shared-key").expect(t, http.StatusCreated, "-")

	body := fixture(t, "beneficiary_business.json")
	e.call(http.MethodPost, "/v1/beneficiaries", body, submit.HeaderIdempotencyKey, "shared-key").
		expect(t, http.StatusCreated, "-")

	other := NewTestKey()
	res := e.callWithKey(other, http.MethodPost, "/v1/beneficiaries", body, submit.HeaderIdempotencyKey, "shared-key")
	res.expect(t, http.StatusCreated, "-")
	if res.header.Get(submit.HeaderIdempotentReplayed) != "" {
		t.Errorf("another merchant got a replay")
	}
}

func TestIdempotency_InFlight(t *testing.T) {
	e := startSandbox(t, Options{Faults: Faults{Latency: Range{Min: 300 * time.Millisecond, Max: 300 * time.Millisecond}}})
	ben, ins := e.sepaPayee()
	body, _ := json.Marshal(sepaPayout(ben, ins, "10.00", "FLIGHT-1"))

	var wg sync.WaitGroup
	results := make([]*result, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 1 {
				time.Sleep(100 * time.Millisecond)
			}
			results[i] = e.call(http.MethodPost, "/v1/payouts", body, submit.HeaderIdempotencyKey, "in-flight-key")
		}()
	}
	wg.Wait()

	results[0].expect(t, http.StatusCreated, "-")
	results[1].expect(t, http.StatusConflict, submit.CodeIdempotencyInFlight)

	again := e.call(http.MethodPost, "/v1/payouts", body, submit.HeaderIdempotencyKey, "in-flight-key")
	again.expect(t, http.StatusCreated, "-")
	if again.header.Get(submit.HeaderIdempotentReplayed) != "true" {
		t.Errorf("retry after in-flight is not a replay")
	}
}

func TestIdempotency_MissingAndTooLong(t *testing.T) {
	e := startSandbox(t, Options{})
	ben := e.createBeneficiary("beneficiary_individual.json")
	requests := []struct {
		path string
		body any
	}{
		{"/v1/payouts", map[string]string{}},
		{"/v1/beneficiaries", fixture(t, "beneficiary_business.json")},
		{"/v1/beneficiaries/" + ben + "/instruments", fixture(t, "instrument_iban.json")},
		{"/v1/payouts/pay_01ABC/cancel", nil},
		{"/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/", "events": []string{"*"}}},
	}
	for _, r := range requests {
		e.call(http.MethodPost, r.path, r.body).expect(t, http.StatusBadRequest, submit.CodeMissingIdempotencyKey)
	}

	long := strings.Repeat("k", 256)
	e.call(http.MethodPost, "/v1/beneficiaries", fixture(t, "beneficiary_business.json"),
		submit.HeaderIdempotencyKey, long).expect(t, http.StatusBadRequest, submit.CodeBadRequest)
	e.call(http.MethodPost, "/v1/beneficiaries", fixture(t, "beneficiary_business.json"),
		submit.HeaderIdempotencyKey, long[:255]).expect(t, http.StatusCreated, "-")
}

func TestIdempotency_ExpiresAfter24Hours(t *testing.T) {
	e := startSandbox(t, Options{})
	ben, ins := e.sepaPayee()
	body, _ := json.Marshal(sepaPayout(ben, ins, "10.00", "EXPIRE-1"))
	first := e.call(http.MethodPost, "/v1/payouts", body, submit.HeaderIdempotencyKey, "expiring-key")
	first.expect(t, http.StatusCreated, "-")

	e.advance("23h")
	replay := e.call(http.MethodPost, "/v1/payouts", body, submit.HeaderIdempotencyKey, "expiring-key")
	if replay.header.Get(submit.HeaderIdempotentReplayed) != "true" {
		t.Fatalf("key forgotten after 23h")
	}

	e.advance("2h")
	fresh := e.call(http.MethodPost, "/v1/payouts", body, submit.HeaderIdempotencyKey, "expiring-key")
	fresh.expect(t, http.StatusCreated, "-")
	if fresh.header.Get(submit.HeaderIdempotentReplayed) != "" || bytes.Equal(fresh.body, first.body) {
		t.Errorf("key still remembered after 25h: %s", fresh.body)
	}
	stats := e.srv.Stats()
	if stats.PayoutsCreated != 2 || len(stats.DuplicateReferences) != 1 || stats.DuplicateReferences[0] != "EXPIRE-1" {
		t.Errorf("stats = %+v, want 2 payouts and EXPIRE-1 duplicated", stats)
	}
}

func TestIdempotency_DateHeaderFollowsClock(t *testing.T) {
	e := startSandbox(t, Options{})
	before := e.call(http.MethodGet, "/v1/merchant", nil)
	e.advance("25h")
	after := e.call(http.MethodGet, "/v1/merchant", nil)

	t0, err0 := http.ParseTime(before.header.Get("Date"))
	t1, err1 := http.ParseTime(after.header.Get("Date"))
	if err0 != nil || err1 != nil {
		t.Fatalf("Date headers %q and %q do not parse", before.header.Get("Date"), after.header.Get("Date"))
	}
	if gap := t1.Sub(t0); gap < 25*time.Hour {
		t.Errorf("Date moved by %s after a 25h advance", gap)
	}
}
