package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/payrun/payrun/submit"
)

func TestFaults_DropAfterCreatesPayout(t *testing.T) {
	e := startSandbox(t, Options{})
	ben, ins := e.sepaPayee()
	body, _ := json.Marshal(sepaPayout(ben, ins, "10.00", "DROP-1"))
	e.srv.SetFaults(Faults{DropAfterRate: 1})

	req, _ := http.NewRequest(http.MethodPost, e.srv.URL()+"/v1/payouts", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.key)
	req.Header.Set(submit.HeaderIdempotencyKey, "drop-key")
	// net/http resends a request with an Idempotency-Key on a new connection
	// after a drop when it can rewind the body; without GetBody it cannot.
	req.GetBody = nil
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d, want the connection closed without an answer", resp.StatusCode)
	}

	e.srv.SetFaults(Faults{})
	page := e.listPayouts("reference=DROP-1")
	if len(page.Data) != 1 {
		t.Fatalf("payouts with reference DROP-1 = %d, want 1", len(page.Data))
	}
	replay := e.call(http.MethodPost, "/v1/payouts", body, submit.HeaderIdempotencyKey, "drop-key")
	replay.expect(t, http.StatusCreated, "-")
	var p submit.Payout
	replay.decode(t, &p)
	if p.ID != page.Data[0].ID || replay.header.Get(submit.HeaderIdempotentReplayed) != "true" {
		t.Errorf("retry after drop = %s (replayed %q), want a replay of %s", p.ID,
			replay.header.Get(submit.HeaderIdempotentReplayed), page.Data[0].ID)
	}
	if n := e.srv.Stats().PayoutsCreated; n != 1 {
		t.Errorf("payouts created = %d, want 1", n)
	}
}

func TestFaults_ErrorRateDoesNothing(t *testing.T) {
	e := startSandbox(t, Options{Faults: Faults{ErrorRate: 1}})
	res := e.post("/v1/beneficiaries", fixture(t, "beneficiary_individual.json"))
	res.expect(t, http.StatusInternalServerError, submit.CodeInternal)
	if msg := res.apiError(t).Message; msg != "internal server error" {
		t.Errorf("message = %q, want internal server error", msg)
	}
	if n := e.srv.Stats().BeneficiariesCreated; n != 0 {
		t.Errorf("beneficiaries created = %d, want 0", n)
	}
}

func TestFaults_SlowAnswerAfterWork(t *testing.T) {
	e := startSandbox(t, Options{})
	ben, ins := e.sepaPayee()
	e.srv.SetFaults(Faults{SlowRate: 1, SlowDelay: 2 * time.Second})

	answered := make(chan *result, 1)
	go func() { answered <- e.post("/v1/payouts", sepaPayout(ben, ins, "1.00", "SLOW-1")) }()

	for i := 0; i < 150; i++ {
		if e.srv.Stats().PayoutsCreated == 1 {
			select {
			case <-answered:
				t.Fatalf("answer arrived together with the work")
			default:
			}
			(<-answered).expect(t, http.StatusCreated, "-")
			return
		}
		sleep(t, 10)
	}
	t.Fatalf("payout not created while the answer was delayed")
}

func TestFaults_AdminEndpoint(t *testing.T) {
	e := startSandbox(t, Options{})
	body := `{"latency":"1ms-3ms","error_rate":0.5,"slow_delay":"1s","retry_after_http_date":true,"webhook_reorder":true}`
	res := e.callWithKey("", http.MethodPost, "/_sandbox/faults", body)
	if res.status != http.StatusOK {
		t.Fatalf("POST /_sandbox/faults = %d %s", res.status, res.body)
	}
	var f Faults
	res.decode(t, &f)
	want := Faults{Latency: Range{Min: time.Millisecond, Max: 3 * time.Millisecond}, ErrorRate: 0.5,
		SlowDelay: time.Second, RetryAfterHTTPDate: true, WebhookReorder: true}
	if f != want {
		t.Errorf("faults = %+v, want %+v", f, want)
	}

	for _, bad := range []string{`{"error_rate": 2}`, `{"latency": "fast"}`, `{"latency": "5ms-1ms"}`, `{"boom": true}`, `{`} {
		if res := e.callWithKey("", http.MethodPost, "/_sandbox/faults", bad); res.status != http.StatusBadRequest {
			t.Errorf("faults %s: status %d, want 400", bad, res.status)
		}
	}
}

func TestStats_Shape(t *testing.T) {
	e := startSandbox(t, Options{RateLimit: 100})
	ben, ins := e.sepaPayee()
	e.createPayout(sepaPayout(ben, ins, "12.50", "STAT-1"))
	e.call(http.MethodGet, "/v1/payouts/pay_01NONE", nil)

	res := e.callWithKey("", http.MethodGet, "/_sandbox/stats", nil)
	if res.status != http.StatusOK || res.header.Get("X-Sandbox") != "payrun" {
		t.Fatalf("stats: %d %v", res.status, res.header)
	}
	var raw map[string]json.RawMessage
	res.decode(t, &raw)
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := []string{"beneficiaries_created", "duplicate_references", "instruments_created", "payouts_by_reference",
		"payouts_created", "requests"}
	if len(keys) != len(want) {
		t.Fatalf("keys = %v, want %v", keys, want)
	}
	for i := range keys {
		if keys[i] != want[i] {
			t.Fatalf("keys = %v, want %v", keys, want)
		}
	}
	if string(raw["duplicate_references"]) != "[]" {
		t.Errorf("duplicate_references = %s, want []", raw["duplicate_references"])
	}

	var st Stats
	res.decode(t, &st)
	if st.PayoutsCreated != 1 || st.BeneficiariesCreated != 1 || st.InstrumentsCreated != 1 {
		t.Errorf("counts = %+v", st)
	}
	if st.Requests.ByStatus["201"] != 3 || st.Requests.ByStatus["404"] != 1 || st.Requests.Total != 4 {
		t.Errorf("requests = %+v, want 3 x 201 and 1 x 404", st.Requests)
	}
	if ref := st.PayoutsByReference["STAT-1"]; ref.Count != 1 || ref.Amount != "12.50" || ref.Currency != "EUR" {
		t.Errorf("payouts_by_reference = %+v", st.PayoutsByReference)
	}
}

func TestState_RoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.state")
	key := NewTestKey()

	first, err := New(Options{StateFile: path, TimeScale: slowScale})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := first.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	e := &env{t: t, srv: first, key: key}
	ben, ins := e.sepaPayee()
	body, _ := json.Marshal(sepaPayout(ben, ins, "10.00", "STATE-1"))
	created := e.call(http.MethodPost, "/v1/payouts", body, submit.HeaderIdempotencyKey, "state-key")
	created.expect(t, http.StatusCreated, "-")
	var p submit.Payout
	created.decode(t, &p)
	e.advance("2h")
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("state file not written: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("state file mode = %o, want 600", mode)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}

	second := startSandbox(t, Options{StateFile: path})
	e2 := &env{t: t, srv: second.srv, key: key}
	got := e2.getPayout(p.ID)
	if got.Status != submit.StatusCompleted || got.Reference != "STATE-1" {
		t.Errorf("reloaded payout = %+v", got)
	}
	replay := e2.call(http.MethodPost, "/v1/payouts", body, submit.HeaderIdempotencyKey, "state-key")
	replay.expect(t, http.StatusCreated, "-")
	if replay.header.Get(submit.HeaderIdempotentReplayed) != "true" || !bytes.Equal(replay.body, created.body) {
		t.Errorf("idempotency record not reloaded: %s", replay.body)
	}
	if b := e2.balance("EUR"); b.Available != "999989.74" {
		t.Errorf("reloaded EUR available = %s, want 999989.74", b.Available)
	}
	if st := second.srv.Stats(); st.PayoutsCreated != 1 || st.BeneficiariesCreated != 1 {
		t.Errorf("reloaded stats = %+v", st)
	}
	e2.post("/v1/beneficiaries", fixture(t, "beneficiary_individual.json")).expect(t, unprocessable, "duplicate_beneficiary")
}

func TestState_ResumesLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.state")
	first := startSandbox(t, Options{StateFile: path})
	ben, ins := first.sepaPayee()
	p := first.createPayout(sepaPayout(ben, ins, "1.00", "RESUME-1"))
	first.srv.Close()

	second := startSandbox(t, Options{StateFile: path})
	second.key = first.key
	second.advance("1h")
	if got := second.getPayout(p.ID); got.Status != submit.StatusCompleted {
		t.Errorf("status after reload and advance = %q, want completed", got.Status)
	}
}

func TestState_CorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.state")
	os.WriteFile(path, []byte("{not json"), 0o600)
	if _, err := New(Options{StateFile: path}); err == nil {
		t.Fatalf("New accepted a corrupt state file")
	}
}

func TestNew_RejectsRemoteWithoutFlag(t *testing.T) {
	if _, err := New(Options{Addr: "0.0.0.0:0"}); err == nil {
		t.Errorf("New accepted 0.0.0.0 without AllowRemote")
	}
	srv, err := New(Options{Addr: "[::1]:0"})
	if err != nil {
		t.Fatalf("New with ::1: %v", err)
	}
	srv.Close()
	for _, bad := range []Options{{Balances: map[string]string{"EUR": "1.005"}}, {Balances: map[string]string{"eur": "1"}},
		{TimeScale: -1}, {Faults: Faults{ErrorRate: 1.5}}} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%+v) accepted invalid options", bad)
		}
	}
}

func TestHandler_InProcess(t *testing.T) {
	srv, err := New(Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer srv.Close()
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_sandbox/stats", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("X-Sandbox") != "payrun" {
		t.Errorf("stats through Handler = %d %v", rec.Code, rec.Header())
	}
}
