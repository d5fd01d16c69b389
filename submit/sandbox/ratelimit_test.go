package sandbox

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/payrun/payrun/submit"
)

func TestAuth(t *testing.T) {
	e := startSandbox(t, Options{})
	cases := []struct {
		name   string
		header string
		code   string
	}{
		{"missing", "", submit.CodeUnauthorized},
		{"not bearer", "Basic abc", submit.CodeUnauthorized},
		{"empty bearer", "Bearer ", submit.CodeUnauthorized},
		{"malformed key", "Bearer sk_test_123", submit.CodeUnauthorized},
		{"live key", "Bearer ak_live_abc123", submit.CodeKeyEnvironmentMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.callWithKey("", http.MethodGet, "/v1/merchant", nil, "Authorization", tc.header)
			res.expect(t, http.StatusUnauthorized, tc.code)
			if res.header.Get(submit.HeaderRateLimitLimit) == "" || res.header.Get("X-Sandbox") != "payrun" {
				t.Errorf("401 lacks common headers: %v", res.header)
			}
		})
	}

	t.Run("revoked", func(t *testing.T) {
		e.call(http.MethodGet, "/v1/merchant", nil).expect(t, http.StatusOK, "-")
		res := e.callWithKey("", http.MethodPost, "/_sandbox/keys/revoke", map[string]string{"key": e.key})
		if res.status != http.StatusOK {
			t.Fatalf("revoke: %d %s", res.status, res.body)
		}
		e.call(http.MethodGet, "/v1/merchant", nil).expect(t, http.StatusUnauthorized, submit.CodeInvalidAPIKey)
	})

	t.Run("merchants are separate", func(t *testing.T) {
		a, b := startSandbox(t, Options{}), NewTestKey()
		ben, _ := a.sepaPayee()
		a.callWithKey(b, http.MethodGet, "/v1/beneficiaries/"+ben, nil).expect(t, http.StatusNotFound, submit.CodeBeneficiaryNotFound)
	})
}

func TestCommonHeaders(t *testing.T) {
	e := startSandbox(t, Options{})
	res := e.call(http.MethodGet, "/v1/merchant", nil, submit.HeaderRequestID, "req-from-client")
	if got := res.header.Get(submit.HeaderRequestID); got != "req-from-client" {
		t.Errorf("X-Request-ID = %q, want the client's", got)
	}
	res = e.call(http.MethodGet, "/v1/merchant", nil)
	for _, name := range []string{submit.HeaderRequestID, "X-Sandbox", "Date", submit.HeaderRateLimitLimit,
		submit.HeaderRateLimitRemaining, submit.HeaderRateLimitReset} {
		if res.header.Get(name) == "" {
			t.Errorf("header %s missing", name)
		}
	}
	reset, err := strconv.ParseInt(res.header.Get(submit.HeaderRateLimitReset), 10, 64)
	if err != nil || reset < time.Now().Unix() {
		t.Errorf("X-RateLimit-Reset = %q, want Unix seconds in the future", res.header.Get(submit.HeaderRateLimitReset))
	}

	e.call(http.MethodGet, "/v1/nothing", nil).expect(t, http.StatusNotFound, submit.CodeNotFound)
	res = e.call(http.MethodPut, "/v1/payouts", nil)
	res.expect(t, http.StatusMethodNotAllowed, "")
	if res.header.Get("Allow") == "" {
		t.Errorf("405 without Allow header")
	}
}

func TestRateLimit_WindowAndRetryAfter(t *testing.T) {
	e := startSandbox(t, Options{RateLimit: 5})
	for i := 0; i < 5; i++ {
		res := e.call(http.MethodGet, "/v1/merchant", nil)
		res.expect(t, http.StatusOK, "-")
		if got, want := res.header.Get(submit.HeaderRateLimitRemaining), strconv.Itoa(4-i); got != want {
			t.Errorf("request %d: remaining = %s, want %s", i+1, got, want)
		}
		if got := res.header.Get(submit.HeaderRateLimitLimit); got != "5" {
			t.Errorf("limit = %s, want 5", got)
		}
	}

	res := e.call(http.MethodGet, "/v1/merchant", nil)
	res.expect(t, http.StatusTooManyRequests, submit.CodeRateLimitExceeded)
	seconds, err := strconv.Atoi(res.header.Get(submit.HeaderRetryAfter))
	if err != nil || seconds < 1 || seconds > 60 {
		t.Errorf("Retry-After = %q, want 1..60 seconds", res.header.Get(submit.HeaderRetryAfter))
	}

	other := NewTestKey()
	e.callWithKey(other, http.MethodGet, "/v1/merchant", nil).expect(t, http.StatusOK, "-")

	e.advance("61s")
	e.call(http.MethodGet, "/v1/merchant", nil).expect(t, http.StatusOK, "-")
}

func TestRateLimit_RetryAfterHTTPDate(t *testing.T) {
	e := startSandbox(t, Options{RateLimit: 1, Faults: Faults{RetryAfterHTTPDate: true}})
	e.call(http.MethodGet, "/v1/merchant", nil).expect(t, http.StatusOK, "-")

	layouts := []string{http.TimeFormat, time.RFC850, time.ANSIC}
	for i, layout := range layouts {
		res := e.call(http.MethodGet, "/v1/merchant", nil)
		res.expect(t, http.StatusTooManyRequests, submit.CodeRateLimitExceeded)
		value := res.header.Get(submit.HeaderRetryAfter)
		at, err := time.Parse(layout, value)
		if err != nil {
			t.Fatalf("answer %d: Retry-After %q is not in layout %q: %v", i, value, layout, err)
		}
		date, _ := http.ParseTime(res.header.Get("Date"))
		if wait := at.Sub(date); wait < time.Second || wait > 62*time.Second {
			t.Errorf("answer %d: Retry-After %s is %s after Date, want 1..62 s", i, value, wait)
		}
		if _, err := http.ParseTime(value); err != nil {
			t.Errorf("answer %d: net/http cannot parse Retry-After %q", i, value)
		}
	}
}

func TestRateLimit_HiddenLimit(t *testing.T) {
	e := startSandbox(t, Options{RateLimit: 100, HiddenRateLimit: 2})
	e.call(http.MethodGet, "/v1/merchant", nil).expect(t, http.StatusOK, "-")
	res := e.call(http.MethodGet, "/v1/merchant", nil)
	res.expect(t, http.StatusOK, "-")
	if res.header.Get(submit.HeaderRateLimitLimit) != "100" || res.header.Get(submit.HeaderRateLimitRemaining) != "98" {
		t.Errorf("headers advertise %s/%s, want 100/98", res.header.Get(submit.HeaderRateLimitLimit),
			res.header.Get(submit.HeaderRateLimitRemaining))
	}
	e.call(http.MethodGet, "/v1/merchant", nil).expect(t, http.StatusTooManyRequests, submit.CodeRateLimitExceeded)

	var m submit.Merchant
	e.advance("61s")
	res = e.call(http.MethodGet, "/v1/merchant", nil)
	res.decode(t, &m)
	if m.RateLimitPerMinute != 100 {
		t.Errorf("merchant advertises %d rpm, want 100", m.RateLimitPerMinute)
	}
}

func TestRateLimit_FXRate(t *testing.T) {
	e := startSandbox(t, Options{})
	for i := 0; i < fxRateLimit; i++ {
		e.call(http.MethodGet, "/v1/fx/rate?sell_currency=EUR&buy_currency=USD", nil).expect(t, http.StatusOK, "-")
	}
	e.call(http.MethodGet, "/v1/fx/rate?sell_currency=EUR&buy_currency=USD", nil).
		expect(t, http.StatusTooManyRequests, submit.CodeRateLimitExceeded)
	e.call(http.MethodGet, "/v1/merchant", nil).expect(t, http.StatusOK, "-")
}

func TestFaults_Throttle(t *testing.T) {
	e := startSandbox(t, Options{Faults: Faults{ThrottleRate: 1}})
	res := e.call(http.MethodGet, "/v1/merchant", nil)
	res.expect(t, http.StatusTooManyRequests, submit.CodeRateLimitExceeded)
	if res.header.Get(submit.HeaderRetryAfter) != "1" {
		t.Errorf("Retry-After = %q, want 1", res.header.Get(submit.HeaderRetryAfter))
	}
	e.srv.SetFaults(Faults{})
	e.call(http.MethodGet, "/v1/merchant", nil).expect(t, http.StatusTooManyRequests, submit.CodeRateLimitExceeded)
	e.advance("2s")
	e.call(http.MethodGet, "/v1/merchant", nil).expect(t, http.StatusOK, "-")
}
