package submit

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC)
	later := now.Add(90 * time.Second)
	cases := []struct {
		name, value string
		want        retryAfter
	}{
		{"seconds", "42", retryAfter{wait: 42 * time.Second, ok: true}},
		{"zero seconds", "0", retryAfter{ok: true}},
		{"padded seconds", " 7 ", retryAfter{wait: 7 * time.Second, ok: true}},
		{"huge seconds capped", "99999999999999999999", retryAfter{wait: maxRetryAfter, ok: true}},
		{"seconds over cap", "3600", retryAfter{wait: maxRetryAfter, ok: true}},
		{"IMF-fixdate", later.Format(http.TimeFormat), retryAfter{wait: 90 * time.Second, ok: true}},
		{"RFC 850", strings.Replace(later.Format(time.RFC850), "UTC", "GMT", 1),
			retryAfter{wait: 90 * time.Second, ok: true}},
		{"asctime", later.Format(time.ANSIC), retryAfter{wait: 90 * time.Second, ok: true}},
		{"past date", now.Add(-time.Hour).Format(http.TimeFormat), retryAfter{ok: true, past: true}},
		{"date equal to now", now.Format(http.TimeFormat), retryAfter{ok: true, past: true}},
		{"far date capped", now.Add(24 * time.Hour).Format(http.TimeFormat),
			retryAfter{wait: maxRetryAfter, ok: true}},
		{"empty", "", retryAfter{}},
		{"negative", "-5", retryAfter{}},
		{"fraction", "1.5", retryAfter{}},
		{"garbage", "soon", retryAfter{}},
		{"garbage date", "Tue, 99 Foo 2026 10:00:00 GMT", retryAfter{}},
	}
	for _, tc := range cases {
		if got := parseRetryAfter(tc.value, now); got != tc.want {
			t.Errorf("parseRetryAfter(%s %q) = %+v, want %+v", tc.name, tc.value, got, tc.want)
		}
	}
}

func TestRetryBackoffBounds(t *testing.T) {
	p := RetryPolicy{BaseDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond}.withDefaults()
	for retry := 1; retry <= 40; retry++ {
		ceiling := min(p.MaxDelay, p.BaseDelay<<min(retry-1, 20))
		for range 50 {
			if d := p.backoff(retry); d < 0 || d >= ceiling {
				t.Fatalf("backoff(%d) = %v, want in [0, %v)", retry, d, ceiling)
			}
		}
	}
}

func TestRetryPolicyDefaults(t *testing.T) {
	p := RetryPolicy{}.withDefaults()
	if p.MaxAttempts != 6 || p.BaseDelay != 250*time.Millisecond || p.MaxDelay != 20*time.Second {
		t.Errorf("defaults = %+v, want 6 attempts, 250ms, 20s", p)
	}
}

func TestRetryBudgetShared(t *testing.T) {
	b := NewRetryBudget(100)
	var wg sync.WaitGroup
	var mu sync.Mutex
	taken := 0
	for range 10 {
		wg.Go(func() {
			for range 20 {
				if b.take() {
					mu.Lock()
					taken++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if taken != 100 || b.Remaining() != 0 {
		t.Errorf("taken %d, remaining %d; want 100 and 0", taken, b.Remaining())
	}

	var unlimited *RetryBudget
	if !unlimited.take() || unlimited.Remaining() != -1 {
		t.Error("a nil budget must never run out")
	}
}

func TestRetryBudgetExhausted(t *testing.T) {
	s := newScriptedServer(t, respondJSON(503, `{"error":{"message":"store down","code":"idempotency_unavailable"}}`))
	budget := NewRetryBudget(2)
	c := newScriptedClient(t, s, func(cfg *Config) {
		cfg.Retry.MaxAttempts = 10
		cfg.Retry.Budget = budget
	})

	_, resp, err := c.CreatePayout(context.Background(), "payrun-budget", testPayoutBody)
	if !errors.Is(err, ErrBudgetSpent) {
		t.Fatalf("error = %v, want ErrBudgetSpent", err)
	}
	if got := Classify(err); got != OutcomeUnknown {
		t.Errorf("Classify = %v, want unknown", got)
	}
	assertSameRequest(t, s.received(), 3)
	if resp.Attempts != 3 {
		t.Errorf("attempts = %d, want 3", resp.Attempts)
	}

	// Later requests of the run get no retries at all.
	_, _, err = c.CreatePayout(context.Background(), "payrun-budget-2", testPayoutBody)
	if !errors.Is(err, ErrBudgetSpent) {
		t.Errorf("second request error = %v, want ErrBudgetSpent", err)
	}
	if n := len(s.received()); n != 4 {
		t.Errorf("server saw %d requests, want 4", n)
	}
}

func TestRetryMaxAttempts(t *testing.T) {
	s := newScriptedServer(t, respondJSON(504, `{"error":{"message":"timeout","code":"timeout"}}`))
	c := newScriptedClient(t, s)

	_, resp, err := c.CreatePayout(context.Background(), "payrun-max", testPayoutBody)
	if err == nil || resp.Attempts != 4 {
		t.Fatalf("err %v, attempts %d; want an error after 4 attempts", err, resp.Attempts)
	}
	if !strings.Contains(err.Error(), "gave up after 4 attempts") {
		t.Errorf("error %q does not say it gave up", err)
	}
	assertSameRequest(t, s.received(), 4)
}

func TestRetryInFlightConflict(t *testing.T) {
	s := newScriptedServer(t,
		respondJSON(409, `{"error":{"message":"in flight","code":"idempotency_in_flight"}}`),
		respondJSON(201, testPayoutJSON))
	c := newScriptedClient(t, s)

	if _, _, err := c.CreatePayout(context.Background(), "payrun-if", testPayoutBody); err != nil {
		t.Fatalf("CreatePayout: %v", err)
	}
	assertSameRequest(t, s.received(), 2)
}

func TestRetryTimeoutSameKey(t *testing.T) {
	release := make(chan struct{})
	s := newScriptedServer(t,
		func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		},
		respondJSON(201, testPayoutJSON))
	t.Cleanup(func() { close(release) })
	c := newScriptedClient(t, s, func(cfg *Config) {
		cfg.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond}
	})

	_, resp, err := c.CreatePayout(context.Background(), "payrun-timeout", testPayoutBody)
	if err != nil {
		t.Fatalf("CreatePayout: %v", err)
	}
	if resp.Attempts != 2 {
		t.Errorf("attempts = %d, want 2", resp.Attempts)
	}
	assertSameRequest(t, s.received(), 2)
}

// hangUpHandler returns a handler that reads the request and closes the connection
// without a response, as when a payout is created and the link drops. With
// reset it sends a TCP RST instead of a clean close.
func hangUpHandler(reset bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		if tcp, ok := conn.(*net.TCPConn); ok && reset {
			tcp.SetLinger(0)
		}
		conn.Close()
	}
}

func TestRetryConnectionDropSameKey(t *testing.T) {
	for _, reset := range []bool{false, true} {
		name := "EOF"
		if reset {
			name = "reset"
		}
		t.Run(name, func(t *testing.T) {
			// Reused connections show that net/http does not resend the POST itself.
			s := newScriptedServer(t, respondJSON(200, `{"id":"mer_1","status":"active"}`), hangUpHandler(reset),
				hangUpHandler(reset), respondJSON(201, testPayoutJSON))
			var observed []Attempt
			c := newScriptedClient(t, s, func(cfg *Config) {
				cfg.Observe = func(a Attempt) { observed = append(observed, a) }
			})
			if _, err := c.Merchant(context.Background()); err != nil {
				t.Fatal(err)
			}

			_, resp, err := c.CreatePayout(context.Background(), "payrun-drop", testPayoutBody)
			if err != nil {
				t.Fatalf("CreatePayout: %v", err)
			}
			if resp.Attempts != 3 {
				t.Errorf("attempts = %d, want 3", resp.Attempts)
			}
			assertSameRequest(t, s.received()[1:], 3)
			if len(observed) != 4 || observed[1].Err == nil || observed[1].Status != 0 {
				t.Errorf("observed %+v, want 4 attempts with a network error second", observed)
			}
		})
	}
}

func TestRetryContextCancelStops(t *testing.T) {
	s := newScriptedServer(t, respondJSON(500, `{"error":{"message":"internal server error"}}`))
	ctx, cancel := context.WithCancel(context.Background())
	c := newScriptedClient(t, s, func(cfg *Config) {
		cfg.Retry = RetryPolicy{MaxAttempts: 5, BaseDelay: time.Hour, MaxDelay: time.Hour}
		cfg.Observe = func(Attempt) { cancel() }
	})

	_, resp, err := c.CreatePayout(ctx, "payrun-cancel", testPayoutBody)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if resp.Attempts != 1 || len(s.received()) != 1 {
		t.Errorf("attempts %d, server saw %d; want 1 and 1", resp.Attempts, len(s.received()))
	}
}

func TestRetryContextCancelDuringPause(t *testing.T) {
	s := newScriptedServer(t, respondJSON(201, testPayoutJSON))
	c := newScriptedClient(t, s)
	c.Limiter().Pause(time.Now().Add(time.Hour))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, _, err := c.CreatePayout(ctx, "payrun-paused", testPayoutBody)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want context.DeadlineExceeded", err)
	}
	if n := len(s.received()); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}
