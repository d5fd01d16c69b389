package submit

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func TestBreakerOpensAfterConsecutiveFailures(t *testing.T) {
	s := newScriptedServer(t, respondJSON(500, `{"error":{"message":"internal server error"}}`))
	breaker := NewBreaker(3)
	c := newScriptedClient(t, s, func(cfg *Config) {
		cfg.Retry.MaxAttempts = 2
		cfg.Breaker = breaker
	})
	ctx := context.Background()

	_, _, err := c.CreatePayout(ctx, "payrun-b1", testPayoutBody)
	if Classify(err) != OutcomeUnknown || breaker.Open() {
		t.Fatalf("after 2 failures: err %v, open %v; want unknown and closed", err, breaker.Open())
	}

	_, resp, err := c.CreatePayout(ctx, "payrun-b2", testPayoutBody)
	if !errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("after 3 failures: err %v, want ErrBreakerOpen", err)
	}
	if got := Classify(err); got != OutcomeBreakerOpen {
		t.Errorf("Classify = %v, want breaker_open", got)
	}
	if resp.Attempts != 1 {
		t.Errorf("attempts = %d, want 1 before the breaker opened", resp.Attempts)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 500 {
		t.Errorf("error %v does not keep the last attempt's 500", err)
	}

	_, resp, err = c.CreatePayout(ctx, "payrun-b3", testPayoutBody)
	if !errors.Is(err, ErrBreakerOpen) || resp.Attempts != 0 {
		t.Errorf("open breaker: err %v, attempts %d; want ErrBreakerOpen and 0", err, resp.Attempts)
	}
	if n := len(s.received()); n != 3 {
		t.Errorf("server saw %d requests, want 3", n)
	}

	breaker.Reset()
	if err := breaker.Allow(); err != nil {
		t.Errorf("Allow after Reset = %v", err)
	}
}

func TestBreakerSuccessResetsCount(t *testing.T) {
	fail := respondJSON(503, `{"error":{"message":"unavailable"}}`)
	s := newScriptedServer(t, fail, fail, respondJSON(201, testPayoutJSON), fail, fail, respondJSON(201, testPayoutJSON))
	breaker := NewBreaker(3)
	c := newScriptedClient(t, s, func(cfg *Config) { cfg.Breaker = breaker })

	for _, key := range []string{"payrun-r1", "payrun-r2"} {
		if _, _, err := c.CreatePayout(context.Background(), key, testPayoutBody); err != nil {
			t.Fatalf("CreatePayout %s: %v", key, err)
		}
	}
	if breaker.Open() {
		t.Error("breaker opened although a success came between the failures")
	}
}

func TestBreakerIgnores4xxAnd429(t *testing.T) {
	b := NewBreaker(2)
	b.Failure()
	b.Success()
	if b.Failure() || b.Open() {
		t.Fatal("breaker opened after one failure following a success")
	}
	if !b.Failure() || !b.Open() {
		t.Fatal("breaker did not open on the second consecutive failure")
	}
	if b.Failure() {
		t.Error("Failure reported opening twice")
	}
	b.Success()
	if !b.Open() {
		t.Error("a success closed an open breaker")
	}

	s := newScriptedServer(t, respondJSON(422, `{"error":{"code":"validation_error","message":"bad"}}`))
	br := NewBreaker(1)
	c := newScriptedClient(t, s, func(cfg *Config) { cfg.Breaker = br })
	c.CreatePayout(context.Background(), "payrun-422", testPayoutBody)
	if br.Open() {
		t.Error("a 422 opened the breaker")
	}

	// A 429 between two 500s neither counts nor resets.
	s = newScriptedServer(t, respondJSON(500, `{"error":{"message":"internal server error"}}`),
		respondJSON(429, `{"error":{"code":"rate_limit_exceeded","message":"slow down"}}`,
			HeaderRetryAfter, "0"),
		respondJSON(500, `{"error":{"message":"internal server error"}}`))
	br = NewBreaker(2)
	c = newScriptedClient(t, s, func(cfg *Config) {
		cfg.Breaker = br
		cfg.Retry.MaxAttempts = 3
	})
	c.CreatePayout(context.Background(), "payrun-429", testPayoutBody)
	if !br.Open() {
		t.Error("breaker closed after 500, 429, 500 with a threshold of 2")
	}
}

func TestBreakerSharedAcrossWorkers(t *testing.T) {
	b := NewBreaker(100)
	var wg sync.WaitGroup
	var mu sync.Mutex
	openings := 0
	for range 10 {
		wg.Go(func() {
			for range 20 {
				if b.Failure() {
					mu.Lock()
					openings++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if openings != 1 || !b.Open() {
		t.Errorf("openings = %d, open %v; want exactly 1 opening", openings, b.Open())
	}
}
