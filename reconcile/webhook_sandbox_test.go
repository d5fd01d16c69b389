package reconcile

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/payrun/payrun/state"
)

// lateHandler serves a webhook handler that is set after its URL exists,
// because the secret exists only after subscribing to the receiver's URL.
type lateHandler struct {
	h atomic.Pointer[WebhookHandler]
}

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := l.h.Load()
	if h == nil {
		http.Error(w, "receiver not ready", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, r)
}

// receiver is a real webhook receiver on loopback writing to a real ledger.
type receiver struct {
	led     *state.Ledger
	metrics *Metrics
	late    *lateHandler
	url     string
}

func startReceiver(t *testing.T) *receiver {
	t.Helper()
	led := openLedger(t)
	addFile(t, led, "bbbbbbbbbbbb", `{}`, 0, 0)
	m := NewCommandMetrics("webhooks_serve")
	m.RegisterWebhookMetrics()
	late := &lateHandler{}
	srv := httptest.NewServer(late)
	t.Cleanup(srv.Close)
	return &receiver{led: led, metrics: m, late: late, url: srv.URL + "/webhooks/anton"}
}

// use makes the receiver verify with secrets from now on.
func (r *receiver) use(t *testing.T, secrets ...string) {
	t.Helper()
	v, err := NewVerifier(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	r.late.h.Store(NewWebhookHandler(r.led, v, nil, r.metrics))
}

func TestWebhookSandbox_LifecycleReachesLedger(t *testing.T) {
	e := startSandbox(t)
	ben, ins := e.payee()
	rc := startReceiver(t)
	rc.use(t, e.subscribe(rc.url).Secret)
	led, m := rc.led, rc.metrics

	paid := e.payout(ben, ins, "HOOK-OK-1", "10.00")
	failed := e.payout(ben, ins, "FAIL-HOOK-2", "10.00")
	returned := e.payout(ben, ins, "RETURN-HOOK-3", "10.00")
	recordPayout(t, led, "bbbbbbbbbbbb", 2, paid)
	recordPayout(t, led, "bbbbbbbbbbbb", 3, failed)
	recordPayout(t, led, "bbbbbbbbbbbb", 4, returned)
	e.advance("2h")

	want := map[string]string{paid.ID: "completed", failed.ID: "failed", returned.ID: "returned"}
	for id, status := range want {
		waitFor(t, "payout "+id+" "+status, func() bool { return payoutStatus(t, led, id) == status })
	}
	p, _ := led.PayoutByID(context.Background(), failed.ID)
	if p.FailureMessage == "" {
		t.Errorf("failed payout has no failure message")
	}
	if got := metricValue(m.Webhooks.WithLabelValues(WebhookRejected)); got != 0 {
		t.Errorf("rejected counter %v, want 0", got)
	}
	if got := metricValue(m.Webhooks.WithLabelValues(state.UpdateApplied)); got < 3 {
		t.Errorf("applied counter %v, want at least 3", got)
	}
}

func TestWebhookSandbox_RotatedSecret(t *testing.T) {
	tests := []struct {
		name     string
		knows    func(previous, current string) []string
		accepted bool
	}{
		{"receiver has the previous secret only", func(p, c string) []string { return []string{p} }, true},
		{"receiver has the new secret only", func(p, c string) []string { return []string{c} }, true},
		{"receiver has both", func(p, c string) []string { return []string{c, p} }, true},
		{"receiver has neither", func(p, c string) []string { return []string{"whsec_stale"} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startSandbox(t)
			ben, ins := e.payee()
			rc := startReceiver(t)
			led, m := rc.led, rc.metrics
			sub := e.subscribe(rc.url)
			current := e.rotate(sub.ID)
			rc.use(t, tt.knows(sub.Secret, current)...)

			p := e.payout(ben, ins, "ROT-1", "10.00")
			recordPayout(t, led, "bbbbbbbbbbbb", 2, p)
			e.advance("2h")

			if tt.accepted {
				waitFor(t, "payout completed", func() bool { return payoutStatus(t, led, p.ID) == "completed" })
				return
			}
			waitFor(t, "a rejected delivery", func() bool {
				return metricValue(m.WebhookRejected.WithLabelValues("signature")) >= 1
			})
			if got := payoutStatus(t, led, p.ID); got != "pending_screening" {
				t.Errorf("payout status %s, want pending_screening: no delivery may pass", got)
			}
			var events int
			led.DB().QueryRow(`SELECT COUNT(*) FROM webhook_events`).Scan(&events)
			if events != 0 {
				t.Errorf("%d events recorded, want 0", events)
			}
		})
	}
}
