package submit

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rateLimitedHandler returns a handler that responds 429 with the Retry-After
// value that header builds from the response time, stored in *sentAt.
// The Date header is set to the same second, as Anton's server would.
func rateLimitedHandler(header func(now time.Time) string, sentAt *time.Time, mu *sync.Mutex) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		mu.Lock()
		*sentAt = now
		mu.Unlock()
		w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
		w.Header().Set(HeaderRetryAfter, header(now))
		respondJSON(429, `{"error":{"code":"rate_limit_exceeded","message":"Rate limit exceeded."}}`)(w, r)
	}
}

func formatRFC850(t time.Time) string {
	return strings.Replace(t.UTC().Format(time.RFC850), "UTC", "GMT", 1)
}

// TestLimiterRetryAfterPausesAll sends one request that meets a 429, then
// starts more callers once the client has seenRequest it, and checks that no request
// reached the server before the Retry-After time, whatever its form.
func TestLimiterRetryAfterPausesAll(t *testing.T) {
	forms := []struct {
		name   string
		header func(now time.Time) string
		wait   time.Duration
	}{
		{"seconds", func(time.Time) string { return "1" }, time.Second},
		{"IMF-fixdate", func(now time.Time) string {
			return now.Add(time.Second).UTC().Format(http.TimeFormat)
		}, time.Second},
		{"RFC 850", func(now time.Time) string { return formatRFC850(now.Add(time.Second)) }, time.Second},
		{"asctime", func(now time.Time) string {
			return now.Add(time.Second).UTC().Format(time.ANSIC)
		}, time.Second},
	}
	for _, form := range forms {
		t.Run(form.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var sentAt time.Time
			s := newScriptedServer(t, rateLimitedHandler(form.header, &sentAt, &mu), respondJSON(201, testPayoutJSON))
			limited := make(chan struct{})
			var once sync.Once
			c := newScriptedClient(t, s, func(cfg *Config) {
				cfg.Observe = func(a Attempt) {
					if a.Status == 429 {
						once.Do(func() { close(limited) })
					}
				}
			})
			before := c.Limiter().Rate()

			var wg sync.WaitGroup
			errs := make(chan error, 6)
			wg.Go(func() {
				_, _, err := c.CreatePayout(context.Background(), "payrun-first", testPayoutBody)
				errs <- err
			})
			<-limited
			for i := range 5 {
				wg.Go(func() {
					_, _, err := c.CreatePayout(context.Background(), fmt.Sprintf("payrun-%d", i),
						testPayoutBody)
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("CreatePayout: %v", err)
				}
			}

			got := s.received()
			if len(got) != 7 {
				t.Fatalf("server saw %d requests, want 7", len(got))
			}
			mu.Lock()
			earliest := sentAt.Add(form.wait)
			mu.Unlock()
			for i, r := range got[1:] {
				if r.At.Before(earliest) {
					t.Errorf("request %d (%s) arrived %v before the Retry-After time", i+2, r.Key,
						earliest.Sub(r.At))
				}
			}
			if after := c.Limiter().Rate(); after >= before {
				t.Errorf("rate after 429 = %.0f, want below %.0f", after, before)
			}
		})
	}
}

func TestLimiterRetryAfterPastAndGarbage(t *testing.T) {
	forms := map[string]func(time.Time) string{
		"past date": func(now time.Time) string {
			return now.Add(-time.Hour).UTC().Format(http.TimeFormat)
		},
		"garbage":    func(time.Time) string { return "in a while" },
		"bad date":   func(time.Time) string { return "Mon, 32 Jan 2026 25:00:00 GMT" },
		"missing":    func(time.Time) string { return "" },
		"negative":   func(time.Time) string { return "-3" },
		"past 850":   func(now time.Time) string { return formatRFC850(now.Add(-time.Minute)) },
		"past ANSIC": func(now time.Time) string { return now.Add(-time.Minute).UTC().Format(time.ANSIC) },
	}
	for name, header := range forms {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var sentAt time.Time
			s := newScriptedServer(t, rateLimitedHandler(header, &sentAt, &mu), respondJSON(201, testPayoutJSON))
			c := newScriptedClient(t, s)

			_, resp, err := c.CreatePayout(context.Background(), "payrun-past", testPayoutBody)
			if err != nil {
				t.Fatalf("CreatePayout: %v", err)
			}
			if resp.Attempts != 2 {
				t.Errorf("attempts = %d, want 2", resp.Attempts)
			}
			assertSameRequest(t, s.received(), 2)
		})
	}
}

func TestLimiterRateLimitedGivesUp(t *testing.T) {
	var mu sync.Mutex
	var sentAt time.Time
	s := newScriptedServer(t, rateLimitedHandler(func(time.Time) string { return "0" }, &sentAt, &mu))
	c := newScriptedClient(t, s, func(cfg *Config) { cfg.Retry.MaxAttempts = 3 })

	_, _, err := c.CreatePayout(context.Background(), "payrun-429", testPayoutBody)
	if got := Classify(err); got != OutcomeUnknown {
		t.Errorf("Classify(%v) = %v, want unknown", err, got)
	}
	assertSameRequest(t, s.received(), 3)
}

func TestLimiterPauseCutsOnce(t *testing.T) {
	l := NewLimiter(1000, 1)
	if got := l.Rate(); got != 1000 {
		t.Fatalf("initial rate = %.0f, want 1000", got)
	}

	until := time.Now().Add(50 * time.Millisecond)
	l.Pause(until)
	l.Pause(until.Add(10 * time.Millisecond))
	if got := l.Rate(); got != 500 {
		t.Errorf("rate after two 429s of one pause = %.0f, want 500", got)
	}
	if end, paused := l.Paused(); !paused || end.Before(until.Add(10*time.Millisecond)) {
		t.Errorf("Paused() = %v %v, want paused until the later time", end, paused)
	}

	// A 429 after the pause ended is a new one and cuts again.
	l.mu.Lock()
	l.cutUntil = time.Now().Add(-time.Millisecond)
	l.mu.Unlock()
	l.Pause(time.Now().Add(time.Millisecond))
	if got := l.Rate(); got != 250 {
		t.Errorf("rate after a second pause = %.0f, want 250", got)
	}
}

func TestLimiterFloor(t *testing.T) {
	l := NewLimiter(320, 1)
	for range 20 {
		l.mu.Lock()
		l.cutUntil = time.Time{}
		l.mu.Unlock()
		l.Pause(time.Now())
	}
	if got := l.Rate(); got != 10 {
		t.Errorf("rate after many cuts = %.1f, want the floor of 10", got)
	}
}

func limiterResponse(headers ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Set(headers[i], headers[i+1])
	}
	return &http.Response{StatusCode: 200, Header: h}
}

func TestLimiterAdditiveIncrease(t *testing.T) {
	l := NewLimiter(1000, 1)
	l.Pause(time.Now())
	if got := l.Rate(); got != 500 {
		t.Fatalf("rate after 429 = %.0f, want 500", got)
	}

	l.Observe(limiterResponse())
	if got := l.Rate(); got != 500 {
		t.Errorf("rate right after the cut = %.0f, want 500 until a window passes", got)
	}

	for step := 1; step <= 12; step++ {
		l.mu.Lock()
		l.lastChange = time.Now().Add(-increaseWindow)
		l.mu.Unlock()
		l.Observe(limiterResponse())
		want := math.Min(1000, 500+float64(step)*50)
		if got := l.Rate(); math.Abs(got-want) > 1e-9 {
			t.Errorf("rate after %d windows = %.0f, want %.0f", step, got, want)
		}
	}
}

func TestLimiterObserveLowRemaining(t *testing.T) {
	l := NewLimiter(1000, 1)
	reset := strconv.FormatInt(time.Now().Add(30*time.Second).Unix(), 10)

	l.Observe(limiterResponse(HeaderRateLimitLimit, "1000", HeaderRateLimitRemaining, "500",
		HeaderRateLimitReset, reset))
	if got := l.Rate(); got != 1000 {
		t.Errorf("rate with half the limit left = %.0f, want 1000", got)
	}

	l.Observe(limiterResponse(HeaderRateLimitLimit, "1000", HeaderRateLimitRemaining, "50",
		HeaderRateLimitReset, reset))
	got := l.Rate()
	if got >= 1000 || got < 50 {
		t.Errorf("rate with 50 left for about 30 s = %.0f, want about 100", got)
	}
	if _, paused := l.Paused(); paused {
		t.Error("limiter paused with requests left")
	}
}

func TestLimiterObserveNoneRemaining(t *testing.T) {
	l := NewLimiter(1000, 1)
	resetAt := time.Now().Add(20 * time.Second)
	l.Observe(limiterResponse(HeaderRateLimitRemaining, "0",
		HeaderRateLimitReset, strconv.FormatInt(resetAt.Unix(), 10)))

	end, paused := l.Paused()
	if !paused {
		t.Fatal("limiter not paused with no requests left")
	}
	if end.After(resetAt) {
		t.Errorf("pause ends %v, after the reset %v", end, resetAt)
	}
	if got := l.Rate(); got != 1000 {
		t.Errorf("rate = %.0f, want 1000: an empty window is no 429", got)
	}
}

func TestLimiterObserveResetDelta(t *testing.T) {
	l := NewLimiter(1000, 1)
	l.Observe(limiterResponse(HeaderRateLimitRemaining, "0", HeaderRateLimitReset, "5"))
	end, paused := l.Paused()
	if !paused || end.After(time.Now().Add(5*time.Second)) {
		t.Errorf("Paused() = %v %v, want a pause of at most 5 s", end, paused)
	}
}

func TestLimiterFXHeadersIgnored(t *testing.T) {
	s := newScriptedServer(t, respondJSON(200, `{"sell_currency":"USD","buy_currency":"EUR","rate":"0.92"}`,
		HeaderRateLimitLimit, "30", HeaderRateLimitRemaining, "0",
		HeaderRateLimitReset, strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)))
	c := newScriptedClient(t, s)

	rate, err := c.FXRate(context.Background(), "USD", "EUR")
	if err != nil {
		t.Fatalf("FXRate: %v", err)
	}
	if rate.Rate != "0.92" {
		t.Errorf("rate = %q, want 0.92", rate.Rate)
	}
	if _, paused := c.Limiter().Paused(); paused {
		t.Error("the FX endpoint's own limit paused the whole limiter")
	}
	if q := s.received()[0].RawQuery; q != "buy_currency=EUR&sell_currency=USD" {
		t.Errorf("query = %q", q)
	}
}

func TestLimiterSetLimit(t *testing.T) {
	l := NewLimiter(1000, 0.95)
	if got := l.Rate(); got != 950 {
		t.Fatalf("rate = %.0f, want 950", got)
	}
	l.SetLimit(5000)
	if got := l.Rate(); got != 4750 {
		t.Errorf("rate after SetLimit(5000) = %.0f, want 4750", got)
	}

	l.Pause(time.Now())
	l.SetLimit(2000)
	if got := l.Rate(); got != 950 {
		t.Errorf("halved rate after SetLimit(2000) = %.0f, want 950", got)
	}

	l.SetMaxRate(300)
	if got := l.Rate(); got != 150 {
		t.Errorf("halved rate under a 300 cap = %.0f, want 150", got)
	}
	l.SetLimit(0)
	if got := l.Rate(); got != 150 {
		t.Errorf("SetLimit(0) changed the rate to %.0f", got)
	}
}

func TestLimiterMerchantSetsLimit(t *testing.T) {
	s := newScriptedServer(t, respondJSON(200, `{"data":{"id":"mer_1","status":"active",`+
		`"rate_limit_multiplier":2,"rate_limit_per_minute":2000}}`))
	c := newScriptedClient(t, s, func(cfg *Config) { cfg.Limiter = NewLimiter(1000, 0.95) })

	m, err := c.Merchant(context.Background())
	if err != nil {
		t.Fatalf("Merchant: %v", err)
	}
	if m.ID != "mer_1" || m.RateLimitPerMinute != 2000 {
		t.Errorf("merchant = %+v", m)
	}
	if got := c.Limiter().Rate(); got != 1900 {
		t.Errorf("rate = %.0f, want 1900", got)
	}
}

func TestLimiterBucketRate(t *testing.T) {
	l := NewLimiter(6000, 1)
	if got := l.bucket.Limit(); got != 100 {
		t.Errorf("bucket limit = %v a second, want 100", got)
	}
	if got := l.bucket.Burst(); got != 10 {
		t.Errorf("bucket burst = %d, want 10", got)
	}

	l.Pause(time.Now())
	if got := l.bucket.Limit(); got != 50 {
		t.Errorf("bucket limit after 429 = %v a second, want 50", got)
	}

	slow := NewLimiter(30, 1)
	if got := slow.bucket.Burst(); got != 1 {
		t.Errorf("burst at 30 a minute = %d, want 1", got)
	}
}

func BenchmarkLimiter(b *testing.B) {
	l := NewLimiter(math.MaxInt32, 1)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Wait(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
