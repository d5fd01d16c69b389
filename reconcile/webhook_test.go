package reconcile

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
)

const testSecret = "whsec_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"

// handlerEnv is a ledger with one submitted payout and a receiver for it.
type handlerEnv struct {
	led     *state.Ledger
	handler *WebhookHandler
	metrics *Metrics
	row     *state.Row
}

func newHandlerEnv(t *testing.T) *handlerEnv {
	t.Helper()
	led := openLedger(t)
	addFile(t, led, "aaaaaaaaaaaa", `{"EUR":"10.00"}`, 1, 0)
	row := addRow(t, led, "aaaaaaaaaaaa", 2, "INV-1", 1000, "EUR", "Lena Brandt")
	submitRow(t, led, row, &submit.Payout{ID: "pay_1", Reference: "INV-1", Status: "pending_screening",
		DestAmount: "10.00", DestCurrency: "EUR", CreatedAt: "2026-05-01T10:00:00Z", UpdatedAt: "2026-05-01T10:00:00Z"})

	v, err := NewVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	m := NewCommandMetrics("webhooks_serve")
	m.RegisterWebhookMetrics()
	return &handlerEnv{led: led, handler: NewWebhookHandler(led, v, nil, m), metrics: m, row: row}
}

// payoutData is the data of a payout event in status at Anton time updated.
func payoutData(id, status, updated string) submit.Payout {
	return submit.Payout{ID: id, Status: status, Reference: "INV-1", DestAmount: "10.00", DestCurrency: "EUR",
		CreatedAt: "2026-05-01T10:00:00Z", UpdatedAt: updated}
}

func (e *handlerEnv) send(t *testing.T, id, eventType string, data any) int {
	t.Helper()
	return serve(e.handler, delivery(t, testSecret, time.Now(), id, eventType, data))
}

func (e *handlerEnv) events(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.led.DB().QueryRow(`SELECT COUNT(*) FROM webhook_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *handlerEnv) outcome(name string) float64 {
	return metricValue(e.metrics.Webhooks.WithLabelValues(name))
}

// metricValue returns the value of a counter or gauge.
func metricValue(m prometheus.Metric) float64 {
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		return -1
	}
	if out.Counter != nil {
		return out.Counter.GetValue()
	}
	return out.Gauge.GetValue()
}

func TestWebhookHandler_AppliesVerifiedEvent(t *testing.T) {
	e := newHandlerEnv(t)
	data := payoutData("pay_1", "completed", "2026-05-01T10:05:00Z")
	data.Fee, data.FeeCurrency, data.CompletedAt = "0.35", "EUR", "2026-05-01T10:05:00Z"

	if got := e.send(t, "evt_1", "payout.completed", data); got != http.StatusOK {
		t.Fatalf("status %d, want 200", got)
	}
	p, err := e.led.PayoutByID(context.Background(), "pay_1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != "completed" {
		t.Errorf("payout status %s, want completed", p.Status)
	}
	if p.Fee != "0.35" || p.FeeCurrency != "EUR" {
		t.Errorf("fee %s %s, want 0.35 EUR", p.Fee, p.FeeCurrency)
	}
	if p.StatusSource != "webhook" {
		t.Errorf("status source %s, want webhook", p.StatusSource)
	}
	row, _ := e.led.Row(context.Background(), e.row.ID)
	if row.AntonStatus != "completed" {
		t.Errorf("row anton_status %s, want completed", row.AntonStatus)
	}
	if got := e.outcome(state.UpdateApplied); got != 1 {
		t.Errorf("applied counter %v, want 1", got)
	}
	if got := metricValue(e.metrics.WebhookDeliveries); got != 1 {
		t.Errorf("deliveries counter %v, want 1", got)
	}
}

func TestWebhookHandler_RejectsUnverified(t *testing.T) {
	now := time.Now()
	body := []byte(`{"id":"evt_9","type":"payout.failed","created_at":"2026-05-01T10:00:00Z","data":{"id":"pay_1","status":"failed"}}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	old := strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)
	ahead := strconv.FormatInt(now.Add(10*time.Minute).Unix(), 10)
	changed := bytes.Replace(body, []byte(`"failed"}`), []byte(`"faileD"}`), 1)

	tests := []struct {
		name   string
		req    *http.Request
		want   int
		reason string
	}{
		{"wrong secret", signedRequest("evt_9", "payout.failed", ts, signature("whsec_wrong", ts, body), body), 401, "signature"},
		{"body changed by one byte", signedRequest("evt_9", "payout.failed", ts, signature(testSecret, ts, body), changed), 401, "signature"},
		{"timestamp too old", signedRequest("evt_9", "payout.failed", old, signature(testSecret, old, body), body), 401, "timestamp"},
		{"timestamp in the future", signedRequest("evt_9", "payout.failed", ahead, signature(testSecret, ahead, body), body), 401, "timestamp"},
		{"no signature", signedRequest("evt_9", "payout.failed", ts, "", body), 401, "signature"},
		{"malformed signature", signedRequest("evt_9", "payout.failed", ts, "sha256=abc", body), 400, "malformed"},
		{"signed but not JSON", signedRequest("evt_9", "payout.failed", ts, signature(testSecret, ts, []byte("not json")), []byte("not json")), 400, "malformed"},
		{"header id differs", signedRequest("evt_other", "payout.failed", ts, signature(testSecret, ts, body), body), 400, "malformed"},
		{"body over 1 MiB", signedRequest("evt_9", "payout.failed", ts, "v1=00", bytes.Repeat([]byte("x"), MaxWebhookBody+1)), 413, "too_large"},
		{"GET", httptest.NewRequest(http.MethodGet, "/webhooks/anton", nil), 405, "method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newHandlerEnv(t)
			if got := serve(e.handler, tt.req); got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
			if got := payoutStatus(t, e.led, "pay_1"); got != "pending_screening" {
				t.Errorf("payout status %s, want pending_screening (unchanged)", got)
			}
			if n := e.events(t); n != 0 {
				t.Errorf("%d webhook events recorded, want 0", n)
			}
			if got := metricValue(e.metrics.WebhookRejected.WithLabelValues(tt.reason)); got != 1 {
				t.Errorf("rejected{reason=%s} = %v, want 1", tt.reason, got)
			}
		})
	}
}

func TestWebhookHandler_ReplayedEventID(t *testing.T) {
	e := newHandlerEnv(t)
	data := payoutData("pay_1", "processing", "2026-05-01T10:01:00Z")
	for i := range 2 {
		if got := e.send(t, "evt_1", "payout.processing", data); got != http.StatusOK {
			t.Fatalf("delivery %d: status %d, want 200", i+1, got)
		}
	}
	// A redelivery with the same id but other content changes nothing either.
	if got := e.send(t, "evt_1", "payout.completed", payoutData("pay_1", "completed", "2026-05-01T10:02:00Z")); got != http.StatusOK {
		t.Fatalf("third delivery: status %d, want 200", got)
	}
	if got := payoutStatus(t, e.led, "pay_1"); got != "processing" {
		t.Errorf("payout status %s, want processing", got)
	}
	if n := e.events(t); n != 1 {
		t.Errorf("%d webhook events recorded, want 1", n)
	}
	if got := e.outcome(state.UpdateDuplicate); got != 2 {
		t.Errorf("duplicate counter %v, want 2", got)
	}
}

func TestWebhookHandler_ReorderedEvents(t *testing.T) {
	e := newHandlerEnv(t)
	steps := []struct {
		id, status, updated, want string
	}{
		{"evt_3", "sent", "2026-05-01T10:03:00Z", "sent"},
		{"evt_2", "processing", "2026-05-01T10:02:00Z", "sent"},
		{"evt_4", "completed", "2026-05-01T10:04:00Z", "completed"},
		// Even without a usable updated_at, a terminal status never moves back.
		{"evt_5", "processing", "", "completed"},
	}
	for _, s := range steps {
		if got := e.send(t, s.id, "payout."+s.status, payoutData("pay_1", s.status, s.updated)); got != http.StatusOK {
			t.Fatalf("%s: status %d, want 200", s.id, got)
		}
		if got := payoutStatus(t, e.led, "pay_1"); got != s.want {
			t.Errorf("after %s (%s): payout status %s, want %s", s.id, s.status, got, s.want)
		}
	}
	if got := e.outcome(state.UpdateStale); got != 1 {
		t.Errorf("stale counter %v, want 1", got)
	}
}

func TestWebhookHandler_CompletedThenReturned(t *testing.T) {
	e := newHandlerEnv(t)
	e.send(t, "evt_1", "payout.completed", payoutData("pay_1", "completed", "2026-05-01T10:04:00Z"))
	returned := payoutData("pay_1", "returned", "2026-05-02T09:00:00Z")
	returned.CancelledReason = "account closed by the bank"
	if got := e.send(t, "evt_2", "payout.returned", returned); got != http.StatusOK {
		t.Fatalf("status %d, want 200", got)
	}
	p, _ := e.led.PayoutByID(context.Background(), "pay_1")
	if p.Status != "returned" {
		t.Errorf("payout status %s, want returned", p.Status)
	}
	if p.FailureMessage != "account closed by the bank" {
		t.Errorf("failure message %q, want the cancelled_reason", p.FailureMessage)
	}
}

func TestWebhookHandler_ReasonFieldsAndStatusFromType(t *testing.T) {
	e := newHandlerEnv(t)
	data := map[string]string{"id": "pay_1", "merchant_id": "mer_1", "reason": "sanctions screening hit"}
	if got := e.send(t, "evt_1", "payout.screening_failed", data); got != http.StatusOK {
		t.Fatalf("status %d, want 200", got)
	}
	p, _ := e.led.PayoutByID(context.Background(), "pay_1")
	if p.Status != "screening_failed" {
		t.Errorf("payout status %s, want screening_failed (from the event type)", p.Status)
	}
	if p.FailureMessage != "sanctions screening hit" {
		t.Errorf("failure message %q, want the reason field", p.FailureMessage)
	}
}

func TestWebhookHandler_UnknownPayoutAndOtherEvents(t *testing.T) {
	e := newHandlerEnv(t)
	if got := e.send(t, "evt_1", "payout.completed", payoutData("pay_elsewhere", "completed", "")); got != http.StatusOK {
		t.Fatalf("unknown payout: status %d, want 200", got)
	}
	if got := e.send(t, "evt_2", "beneficiary.created", map[string]string{"id": "ben_1"}); got != http.StatusOK {
		t.Fatalf("beneficiary event: status %d, want 200", got)
	}
	if n := e.events(t); n != 2 {
		t.Errorf("%d webhook events recorded, want 2", n)
	}
	if got := e.outcome(state.UpdateUnknownPayout); got != 1 {
		t.Errorf("unknown_payout counter %v, want 1", got)
	}
	if got := e.outcome(state.UpdateIgnored); got != 1 {
		t.Errorf("ignored counter %v, want 1", got)
	}
}

func TestWebhookHandler_LedgerFailureAnswers500(t *testing.T) {
	e := newHandlerEnv(t)
	e.led.Close()
	if got := e.send(t, "evt_1", "payout.completed", payoutData("pay_1", "completed", "")); got != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500 so Anton retries", got)
	}
	if got := e.outcome(WebhookFailed); got != 1 {
		t.Errorf("failed counter %v, want 1", got)
	}
}

func TestWebhookHandler_PayoutEventWithoutID(t *testing.T) {
	e := newHandlerEnv(t)
	got := e.send(t, "evt_1", "payout.completed", map[string]string{"status": "completed"})
	if got != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", got)
	}
	if n := e.events(t); n != 0 {
		t.Errorf("%d events recorded, want 0", n)
	}
}

func TestDecodeEvent_IDFromHeaderOnly(t *testing.T) {
	ev, err := decodeEvent("evt_h", []byte(`{"type":"test","data":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "evt_h" {
		t.Errorf("id %q, want evt_h", ev.ID)
	}
	if _, err := decodeEvent("", []byte(`{"type":"test"}`)); err == nil || !strings.Contains(err.Error(), "no id") {
		t.Errorf("event without any id: err = %v, want a missing id error", err)
	}
}

func TestWebhookHandler_ConcurrentDuplicates(t *testing.T) {
	e := newHandlerEnv(t)
	data := payoutData("pay_1", "completed", "2026-05-01T10:05:00Z")
	const deliveries = 8
	codes := make(chan int, deliveries)
	for range deliveries {
		req := delivery(t, testSecret, time.Now(), "evt_1", "payout.completed", data)
		go func() { codes <- serve(e.handler, req) }()
	}
	for range deliveries {
		if code := <-codes; code != http.StatusOK {
			t.Errorf("status %d, want 200", code)
		}
	}
	if got := e.outcome(state.UpdateApplied); got != 1 {
		t.Errorf("applied counter %v, want 1", got)
	}
	if got := e.outcome(state.UpdateDuplicate); got != deliveries-1 {
		t.Errorf("duplicate counter %v, want %d", got, deliveries-1)
	}
	if n := e.events(t); n != 1 {
		t.Errorf("%d events recorded, want 1", n)
	}
}

func TestWebhookHandler_RejectionBodyNamesReasonOnly(t *testing.T) {
	e := newHandlerEnv(t)
	req := signedRequest("evt_1", "payout.failed", strconv.FormatInt(time.Now().Unix(), 10), "v1="+strings.Repeat("0", 64), []byte("{}"))
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", rec.Code)
	}
	if body := strings.TrimSpace(rec.Body.String()); body != "webhook delivery rejected: signature" {
		t.Errorf("body %q, want only the reason", body)
	}
}

func TestWebhookHandler_UnknownEventTypeKeepsStatus(t *testing.T) {
	e := newHandlerEnv(t)
	data := map[string]string{"id": "pay_1", "fee": "0.50", "fee_currency": "EUR"}
	if got := e.send(t, "evt_1", "payout.risk_scored", data); got != http.StatusOK {
		t.Fatalf("status %d, want 200", got)
	}
	p, _ := e.led.PayoutByID(context.Background(), "pay_1")
	if p.Status != "pending_screening" {
		t.Errorf("payout status %s, want pending_screening: the type names no status", p.Status)
	}
	if p.Fee != "0.50" {
		t.Errorf("fee %q, want 0.50 from the event", p.Fee)
	}
}
