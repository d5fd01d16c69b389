package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/payrun/payrun/submit"
)

// receiver is a loopback webhook endpoint that records every delivery and
// responds with the status that respond chooses.
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     []received
	respond func(r received, attempt int) int
}

type received struct {
	header http.Header
	body   []byte
	event  submit.WebhookEvent
}

func newReceiver(t *testing.T, respond func(r received, attempt int) int) *receiver {
	t.Helper()
	rc := &receiver{respond: respond}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec := received{header: r.Header.Clone(), body: body}
		json.Unmarshal(body, &rec.event)

		rc.mu.Lock()
		rc.got = append(rc.got, rec)
		attempt := 0
		for _, g := range rc.got {
			if g.event.ID == rec.event.ID {
				attempt++
			}
		}
		rc.mu.Unlock()

		status := http.StatusOK
		if rc.respond != nil {
			status = rc.respond(rec, attempt)
		}
		if status >= 300 && status < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) deliveries() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// waitFor polls until at least n deliveries arrived.
func (rc *receiver) waitFor(t *testing.T, n int) []received {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if got := rc.deliveries(); len(got) >= n {
			return got
		}
		sleep(t, 5)
	}
	t.Fatalf("received %d deliveries, want %d", len(rc.deliveries()), n)
	return nil
}

func (e *env) subscribe(url string, events ...string) submit.WebhookSubscription {
	e.t.Helper()
	res := e.post("/v1/webhooks", map[string]any{"url": url, "events": events})
	res.expect(e.t, http.StatusCreated, "-")
	var sub submit.WebhookSubscription
	res.decode(e.t, &sub)
	return sub
}

// verify checks one delivery's signature entries with our own HMAC.
func verify(t *testing.T, r received, secrets ...string) {
	t.Helper()
	ts := r.header.Get(submit.HeaderWebhookTimestamp)
	entries := strings.Split(r.header.Get(submit.HeaderWebhookSignature), ",")
	if len(entries) != len(secrets) {
		t.Fatalf("signature %q has %d entries, want %d", r.header.Get(submit.HeaderWebhookSignature), len(entries), len(secrets))
	}
	for i, secret := range secrets {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(ts + "." + string(r.body)))
		want := "v1=" + hex.EncodeToString(mac.Sum(nil))
		if entries[i] != want {
			t.Errorf("signature entry %d = %s, want %s", i, entries[i], want)
		}
	}
}

func TestWebhooks_SignedDeliveries(t *testing.T) {
	e := startSandbox(t, Options{})
	rc := newReceiver(t, nil)
	ben, ins := e.sepaPayee()
	sub := e.subscribe(rc.srv.URL+"/hooks", "*")
	if !strings.HasPrefix(sub.Secret, "whsec_") || len(sub.Secret) != len("whsec_")+64 {
		t.Fatalf("secret = %q, want whsec_ and 64 hex digits", sub.Secret)
	}

	p := e.createPayout(sepaPayout(ben, ins, "5.00", "HOOK-1"))
	e.advance("1h")

	want := []string{"payout.created", "payout.approved", "payout.processing", "payout.sent", "payout.completed"}
	got := rc.waitFor(t, len(want))
	for i, r := range got {
		if r.event.Type != want[i] {
			t.Errorf("delivery %d type = %s, want %s", i, r.event.Type, want[i])
		}
		if r.header.Get(submit.HeaderWebhookID) != r.event.ID || !strings.HasPrefix(r.event.ID, "evt_") {
			t.Errorf("X-Webhook-ID %q does not match envelope id %q", r.header.Get(submit.HeaderWebhookID), r.event.ID)
		}
		if r.header.Get(submit.HeaderWebhookEvent) != r.event.Type {
			t.Errorf("X-Webhook-Event = %q, want %q", r.header.Get(submit.HeaderWebhookEvent), r.event.Type)
		}
		if r.header.Get("User-Agent") != "AntonPayments-Webhook/1.0" {
			t.Errorf("User-Agent = %q", r.header.Get("User-Agent"))
		}
		verify(t, r, sub.Secret)
		var payout submit.Payout
		if err := json.Unmarshal(r.event.Data, &payout); err != nil || payout.ID != p.ID {
			t.Errorf("delivery %d data is not payout %s: %s", i, p.ID, r.event.Data)
		}
	}
	var last submit.Payout
	json.Unmarshal(got[len(got)-1].event.Data, &last)
	if last.Status != submit.StatusCompleted {
		t.Errorf("payout.completed data has status %q", last.Status)
	}

	res := e.call(http.MethodGet, "/v1/webhooks", nil)
	res.expect(t, http.StatusOK, "-")
	var list struct {
		Data []submit.WebhookSubscription `json:"data"`
	}
	res.decode(t, &list)
	if len(list.Data) != 1 || list.Data[0].Secret != "" {
		t.Errorf("webhook list = %s, want one subscription without its secret", res.body)
	}
}

func TestWebhooks_EventFilter(t *testing.T) {
	e := startSandbox(t, Options{})
	rc := newReceiver(t, nil)
	ben, ins := e.sepaPayee()
	e.subscribe(rc.srv.URL, "payout.failed")

	e.createPayout(sepaPayout(ben, ins, "5.00", "FAIL-HOOK"))
	e.advance("1h")

	got := rc.waitFor(t, 1)
	if got[0].event.Type != "payout.failed" {
		t.Errorf("type = %s, want payout.failed", got[0].event.Type)
	}
}

func TestWebhooks_RetryAfterServerError(t *testing.T) {
	e := startSandbox(t, Options{TimeScale: 10000})
	rc := newReceiver(t, func(r received, attempt int) int {
		switch attempt {
		case 1:
			return http.StatusInternalServerError
		case 2:
			return http.StatusFound
		}
		return http.StatusNoContent
	})
	e.subscribe(rc.srv.URL, "beneficiary.created")

	e.createBeneficiary("beneficiary_individual.json")

	got := rc.waitFor(t, 3)
	for i, r := range got[:3] {
		if r.event.ID != got[0].event.ID {
			t.Errorf("attempt %d delivered event %s, want %s", i+1, r.event.ID, got[0].event.ID)
		}
		if string(r.body) != string(got[0].body) {
			t.Errorf("attempt %d body differs from the first", i+1)
		}
	}
	sleep(t, 100)
	if n := len(rc.deliveries()); n != 3 {
		t.Errorf("%d deliveries after a 2xx, want 3", n)
	}
}

func TestWebhooks_AbandonedAfterFiveAttempts(t *testing.T) {
	e := startSandbox(t, Options{TimeScale: 10000})
	rc := newReceiver(t, func(received, int) int { return http.StatusServiceUnavailable })
	e.subscribe(rc.srv.URL, "beneficiary.created")

	e.createBeneficiary("beneficiary_individual.json")

	rc.waitFor(t, maxDeliveryAttempts)
	// The next hourly retry would come 360 ms later at this scale.
	sleep(t, 800)
	if n := len(rc.deliveries()); n != maxDeliveryAttempts {
		t.Errorf("%d attempts, want %d", n, maxDeliveryAttempts)
	}
}

func TestWebhooks_SecretRotationDoubleSigns(t *testing.T) {
	e := startSandbox(t, Options{})
	rc := newReceiver(t, nil)
	sub := e.subscribe(rc.srv.URL, "beneficiary.created")

	res := e.post("/v1/webhooks/"+sub.ID+"/secret/rotate", nil)
	res.expect(t, http.StatusOK, "-")
	var rotated submit.WebhookSubscription
	res.decode(t, &rotated)
	if rotated.Secret == sub.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") {
		t.Fatalf("rotated secret = %q", rotated.Secret)
	}

	e.createBeneficiary("beneficiary_individual.json")
	verify(t, rc.waitFor(t, 1)[0], rotated.Secret, sub.Secret)

	e.advance("25h")
	e.uniqueBusiness("After Grace Co")
	verify(t, rc.waitFor(t, 2)[1], rotated.Secret)
}

func TestWebhooks_DuplicateFault(t *testing.T) {
	e := startSandbox(t, Options{Faults: Faults{WebhookDuplicateRate: 1}})
	rc := newReceiver(t, nil)
	e.subscribe(rc.srv.URL, "beneficiary.created")

	e.createBeneficiary("beneficiary_individual.json")

	got := rc.waitFor(t, 2)
	if got[0].event.ID != got[1].event.ID {
		t.Errorf("duplicate has another event id: %s and %s", got[0].event.ID, got[1].event.ID)
	}
}

func TestWebhooks_ReorderFaultDeliversAll(t *testing.T) {
	e := startSandbox(t, Options{TimeScale: 100, Faults: Faults{WebhookReorder: true}})
	rc := newReceiver(t, nil)
	e.subscribe(rc.srv.URL, "*")
	ben, ins := e.sepaPayee()
	e.createPayout(sepaPayout(ben, ins, "1.00", "REORDER-1"))

	got := rc.waitFor(t, 7)
	seen := map[string]bool{}
	for _, r := range got {
		seen[r.event.Type] = true
	}
	for _, want := range []string{"beneficiary.created", "instrument.created", "payout.created", "payout.completed"} {
		if !seen[want] {
			t.Errorf("event %s never delivered; got %v", want, seen)
		}
	}
}

func TestWebhooks_SubscriptionRules(t *testing.T) {
	e := startSandbox(t, Options{})
	cases := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"no url", map[string]any{"events": []string{"*"}}, http.StatusBadRequest, "webhook_url_required"},
		{"not a url", map[string]any{"url": "hooks", "events": []string{"*"}}, http.StatusBadRequest, "webhook_url_invalid"},
		{"ftp", map[string]any{"url": "ftp://127.0.0.1/x", "events": []string{"*"}}, http.StatusBadRequest, "webhook_url_invalid"},
		{"public http", map[string]any{"url": "http://hooks.example.com/x", "events": []string{"*"}}, http.StatusBadRequest, "webhook_url_not_https"},
		{"private", map[string]any{"url": "https://10.1.2.3/x", "events": []string{"*"}}, http.StatusBadRequest, "webhook_url_private_address"},
		{"metadata address", map[string]any{"url": "https://169.254.169.254/x", "events": []string{"*"}}, http.StatusBadRequest, "webhook_url_private_address"},
		{"internal name", map[string]any{"url": "https://hooks.internal/x", "events": []string{"*"}}, http.StatusBadRequest, "webhook_url_private_address"},
		{"no events", map[string]any{"url": "http://127.0.0.1:1/x"}, unprocessable, submit.CodeValidation},
		{"unknown event", map[string]any{"url": "http://127.0.0.1:1/x", "events": []string{"payout.done"}}, unprocessable, submit.CodeValidation},
		{"loopback http", map[string]any{"url": "http://localhost:1/x", "events": []string{"payout.completed"}}, http.StatusCreated, "-"},
		{"public https", map[string]any{"url": "https://hooks.example.com/x", "events": []string{"*"}}, http.StatusCreated, "-"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.post("/v1/webhooks", tc.body).expect(t, tc.status, tc.code)
		})
	}

	sub := e.subscribe("http://127.0.0.1:1/y", "*")
	e.call(http.MethodGet, "/v1/webhooks/"+sub.ID, nil).expect(t, http.StatusOK, "-")
	e.call(http.MethodDelete, "/v1/webhooks/"+sub.ID, nil).expect(t, http.StatusNoContent, "-")
	e.call(http.MethodDelete, "/v1/webhooks/"+sub.ID, nil).expect(t, http.StatusNoContent, "-")
	e.call(http.MethodGet, "/v1/webhooks/"+sub.ID, nil).expect(t, http.StatusNotFound, "webhook_subscription_not_found")
}
