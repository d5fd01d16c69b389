package submit

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

const testAPIKey = "ak_test_0123456789abcdef"

// seenRequest is one request as a scripted server received it.
type seenRequest struct {
	Method, Path, RawQuery string
	Key, RequestID, Auth   string
	ContentType, Accept    string
	UserAgent              string
	Body                   []byte
	At                     time.Time
}

// scriptedServer is a loopback server that responds to the n-th request (from
// 0) with handlers[n], repeating the last handler after the list runs out, and
// records every request.
type scriptedServer struct {
	t        *testing.T
	mu       sync.Mutex
	handlers []http.HandlerFunc
	requests []seenRequest
	srv      *httptest.Server
}

func newScriptedServer(t *testing.T, handlers ...http.HandlerFunc) *scriptedServer {
	t.Helper()
	s := &scriptedServer{t: t, handlers: handlers}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *scriptedServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	n := len(s.requests)
	s.requests = append(s.requests, seenRequest{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Key: r.Header.Get(HeaderIdempotencyKey), RequestID: r.Header.Get(HeaderRequestID),
		Auth: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type"),
		Accept: r.Header.Get("Accept"), UserAgent: r.Header.Get("User-Agent"),
		Body: body, At: time.Now(),
	})
	h := s.handlers[min(n, len(s.handlers)-1)]
	s.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	h(w, r)
}

func (s *scriptedServer) received() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.requests...)
}

// respondJSON returns a handler that writes status and body with JSON headers.
func respondJSON(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// fastRetryPolicy retries quickly so tests take milliseconds.
func fastRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
}

// newScriptedClient returns a client of the scripted server with a fast retry
// policy, a generous limiter and the given changes applied to the config.
func newScriptedClient(t *testing.T, s *scriptedServer, change ...func(*Config)) *Client {
	t.Helper()
	auth, err := NewBearerKey(testAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		BaseURL:    s.srv.URL,
		Auth:       auth,
		HTTPClient: &http.Client{Timeout: 2 * time.Second},
		Limiter:    NewLimiter(600_000, 1),
		Retry:      fastRetryPolicy(),
		UserAgent:  "payrun-test",
	}
	for _, f := range change {
		f(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const testPayoutJSON = `{"id":"pay_1","status":"pending_screening","reference":"INV-1",
"source_amount":"10.00","source_currency":"EUR","dest_amount":"10.00","dest_currency":"EUR"}`

var testPayoutBody = []byte(`{"beneficiary_id":"ben_1","instrument_id":"ins_1","source_amount":"10.00",` +
	`"dest_amount":"10.00","dest_currency":"EUR","method":"sepa","purpose":"salary","reference":"INV-1"}`)

func TestClientCreatePayoutHeaders(t *testing.T) {
	s := newScriptedServer(t, respondJSON(201, testPayoutJSON, HeaderRequestID, "req_server_1", "Date",
		"Tue, 15 Apr 2026 10:00:00 GMT"))
	c := newScriptedClient(t, s)

	p, resp, err := c.CreatePayout(context.Background(), "payrun-k1", testPayoutBody)
	if err != nil {
		t.Fatalf("CreatePayout: %v", err)
	}
	if p.ID != "pay_1" || p.Reference != "INV-1" {
		t.Errorf("payout = %+v, want pay_1 INV-1", p)
	}
	if resp.Status != 201 || resp.Attempts != 1 || resp.RequestID != "req_server_1" {
		t.Errorf("response = %+v, want 201, 1 attempt, req_server_1", resp)
	}
	if want := time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC); !resp.Date.Equal(want) {
		t.Errorf("response date = %v, want %v", resp.Date, want)
	}

	got := s.received()[0]
	checks := []struct{ name, got, want string }{
		{"method", got.Method, "POST"},
		{"path", got.Path, "/v1/payouts"},
		{"Idempotency-Key", got.Key, "payrun-k1"},
		{"Authorization", got.Auth, "Bearer " + testAPIKey},
		{"Content-Type", got.ContentType, "application/json"},
		{"Accept", got.Accept, "application/json"},
		{"User-Agent", got.UserAgent, "payrun-test"},
		{"body", string(got.Body), string(testPayoutBody)},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if got.RequestID == "" {
		t.Error("X-Request-ID missing")
	}
}

func TestClientRetries500SameKeyAndBody(t *testing.T) {
	s := newScriptedServer(t,
		respondJSON(500, `{"error":{"message":"internal server error","code":"internal_error"}}`),
		respondJSON(502, `bad gateway`),
		respondJSON(201, testPayoutJSON, HeaderIdempotentReplayed, "true"))
	var attempts []Attempt
	var mu sync.Mutex
	c := newScriptedClient(t, s, func(cfg *Config) {
		cfg.Observe = func(a Attempt) { mu.Lock(); attempts = append(attempts, a); mu.Unlock() }
	})

	_, resp, err := c.CreatePayout(context.Background(), "payrun-k2", testPayoutBody)
	if err != nil {
		t.Fatalf("CreatePayout: %v", err)
	}
	if resp.Attempts != 3 || !resp.Replayed {
		t.Errorf("response = %+v, want 3 attempts, replayed", resp)
	}
	assertSameRequest(t, s.received(), 3)

	if len(attempts) != 3 {
		t.Fatalf("observed %d attempts, want 3", len(attempts))
	}
	if attempts[0].Status != 500 || attempts[0].Code != CodeInternal {
		t.Errorf("attempt 1 = %d %q, want 500 internal_error", attempts[0].Status, attempts[0].Code)
	}
	if !attempts[2].Replayed || attempts[2].Err != nil {
		t.Errorf("attempt 3 = replayed %v err %v, want replayed, no error", attempts[2].Replayed,
			attempts[2].Err)
	}
}

// assertSameRequest checks that the server saw n requests with one key, one
// request id and identical body bytes.
func assertSameRequest(t *testing.T, got []seenRequest, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("server saw %d requests, want %d", len(got), n)
	}
	for i, r := range got[1:] {
		if r.Key != got[0].Key {
			t.Errorf("request %d key = %q, want %q", i+2, r.Key, got[0].Key)
		}
		if r.RequestID != got[0].RequestID {
			t.Errorf("request %d X-Request-ID = %q, want %q", i+2, r.RequestID, got[0].RequestID)
		}
		if !bytes.Equal(r.Body, got[0].Body) {
			t.Errorf("request %d body = %q, want %q", i+2, r.Body, got[0].Body)
		}
	}
}

func TestClientNoRetryOf4xx(t *testing.T) {
	cases := []struct {
		status  int
		body    string
		code    string
		outcome Outcome
	}{
		{400, `{"error":{"message":"unknown field foo"}}`, "", OutcomeRejected},
		{404, `{"error":{"message":"beneficiary not found","code":"beneficiary_not_found"}}`,
			CodeBeneficiaryNotFound, OutcomeRejected},
		{422, `{"error":{"message":"invalid request","code":"validation_error",` +
			`"details":[{"field":"dest_amount","message":"must be positive"}]}}`,
			CodeValidation, OutcomeRejected},
		{422, `{"error":{"message":"insufficient balance","code":"insufficient_balance"}}`,
			CodeInsufficientBalance, OutcomeStopCurrency},
		{409, `{"error":{"message":"key reused","code":"idempotency_conflict"}}`,
			CodeIdempotencyConflict, OutcomeConflict},
		{401, `{"error":{"message":"bad key","code":"invalid_api_key"}}`,
			CodeInvalidAPIKey, OutcomeStopRun},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.status)+" "+tc.code, func(t *testing.T) {
			s := newScriptedServer(t, respondJSON(tc.status, tc.body), respondJSON(201, testPayoutJSON))
			c := newScriptedClient(t, s)

			_, resp, err := c.CreatePayout(context.Background(), "payrun-k3", testPayoutBody)
			if err == nil {
				t.Fatal("CreatePayout succeeded, want an error")
			}
			if n := len(s.received()); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if apiErr.Status != tc.status || apiErr.Code != tc.code {
				t.Errorf("APIError = %d %q, want %d %q", apiErr.Status, apiErr.Code, tc.status, tc.code)
			}
			if got := Classify(err); got != tc.outcome {
				t.Errorf("Classify = %v, want %v", got, tc.outcome)
			}
			if resp.Status != tc.status {
				t.Errorf("response status = %d, want %d", resp.Status, tc.status)
			}
		})
	}
}

type observeRowKey struct{}

func TestClientObserveCarriesContext(t *testing.T) {
	s := newScriptedServer(t, respondJSON(201, testPayoutJSON))
	var got any
	c := newScriptedClient(t, s, func(cfg *Config) {
		cfg.Observe = func(a Attempt) { got = a.Context.Value(observeRowKey{}) }
	})

	ctx := context.WithValue(context.Background(), observeRowKey{}, int64(42))
	if _, _, err := c.CreatePayout(ctx, "payrun-ctx", testPayoutBody); err != nil {
		t.Fatal(err)
	}
	if got != int64(42) {
		t.Errorf("observer saw context value %v, want 42", got)
	}
}
