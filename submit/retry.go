package submit

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Defaults of RetryPolicy.
const (
	DefaultMaxAttempts = 6
	DefaultBaseDelay   = 250 * time.Millisecond
	DefaultMaxDelay    = 20 * time.Second
)

// maxRetryAfter caps the wait a Retry-After header can impose. Anton counts
// its limit over a rolling minute, so a longer wait is a server error. After
// the cap the request is sent again, and a new 429 pauses again.
const maxRetryAfter = 5 * time.Minute

// pastRetryAfterWait bounds the short jittered wait used when Retry-After
// names a time that has already passed.
const pastRetryAfterWait = time.Second

// RetryPolicy is the client's only retry layer. It retries network errors,
// timeouts, 500/502/503/504, 409 idempotency_in_flight and 429, always with
// the same idempotency key and body bytes.
type RetryPolicy struct {
	// MaxAttempts caps HTTP attempts per request, the first one included.
	// Zero means DefaultMaxAttempts; 1 disables retries.
	MaxAttempts int
	// BaseDelay and MaxDelay shape the exponential backoff with full jitter:
	// the wait before retry n is random in [0, min(MaxDelay, BaseDelay*2^(n-1))).
	// Zero means DefaultBaseDelay and DefaultMaxDelay.
	BaseDelay, MaxDelay time.Duration
	// Budget caps the retries of a whole run across all requests; nil means
	// no cap. When it is spent, requests fail with ErrBudgetSpent.
	Budget *RetryBudget
}

// withDefaults returns the policy with zero fields set to their defaults.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	return p
}

// backoff returns the full-jitter wait before retry number retry (1 for the
// first retry).
func (p RetryPolicy) backoff(retry int) time.Duration {
	ceiling := p.MaxDelay
	if retry < 32 {
		if d := p.BaseDelay << (retry - 1); d > 0 && d < ceiling {
			ceiling = d
		}
	}
	return rand.N(ceiling)
}

// RetryBudget is a count of retries shared by every request of a run, so a
// long outage ends the run with rows left retryable instead of retrying each
// row MaxAttempts times. It is safe for concurrent use.
type RetryBudget struct{ left atomic.Int64 }

// NewRetryBudget returns a budget of n retries.
func NewRetryBudget(n int) *RetryBudget {
	b := &RetryBudget{}
	b.left.Store(int64(n))
	return b
}

// take uses one retry and reports whether one was left. A nil budget never runs out.
func (b *RetryBudget) take() bool {
	if b == nil {
		return true
	}
	return b.left.Add(-1) >= 0
}

// Remaining returns the retries left, or -1 for a nil (unlimited) budget.
func (b *RetryBudget) Remaining() int {
	if b == nil {
		return -1
	}
	return int(max(b.left.Load(), 0))
}

// retryableStatus reports whether a request that got this status is sent
// again with the same key: 429, 500, 502, 503 (including
// idempotency_unavailable), 504, and 409 idempotency_in_flight.
func retryableStatus(status int, code string) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case http.StatusConflict:
		return code == CodeIdempotencyInFlight
	}
	return false
}

// retryAfter is a parsed Retry-After header.
type retryAfter struct {
	// wait is how long to wait from now; zero when ok is false.
	wait time.Duration
	// ok is false for a missing or unparseable header.
	ok bool
	// past reports an HTTP date at or before the response's time.
	past bool
}

// parseRetryAfter reads a Retry-After value: delay seconds, or an HTTP date in
// any of RFC 9110's three forms (IMF-fixdate, RFC 850, asctime). A date is
// measured from serverNow, the response's Date header, when it has one, so a
// skewed local clock does not stretch or shorten the wait. Waits are capped at
// maxRetryAfter.
func parseRetryAfter(value string, serverNow time.Time) retryAfter {
	value = strings.TrimSpace(value)
	if value == "" {
		return retryAfter{}
	}

	if isDigits(value) {
		seconds, err := strconv.ParseInt(value, 10, 64)
		if err != nil || seconds > int64(maxRetryAfter/time.Second) {
			return retryAfter{wait: maxRetryAfter, ok: true}
		}
		return retryAfter{wait: time.Duration(seconds) * time.Second, ok: true}
	}

	at, err := http.ParseTime(value)
	if err != nil {
		return retryAfter{}
	}
	wait := at.Sub(serverNow)
	if wait <= 0 {
		return retryAfter{ok: true, past: true}
	}
	return retryAfter{wait: min(wait, maxRetryAfter), ok: true}
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// jitter returns a random duration in [0, d).
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

// readRetryAfter parses the Retry-After header of an error response into the
// result and its APIError. After a 429 it pauses the shared limiter, which
// then holds back every worker, before the observer hears of the attempt.
func (c *Client) readRetryAfter(r request, res *attemptResult, attempt int) {
	if res.apiErr == nil {
		return
	}
	res.retryAfter = parseRetryAfter(res.header.Get(HeaderRetryAfter), serverNow(res.header))
	res.apiErr.RetryAfter = res.retryAfter.wait
	if res.status == http.StatusTooManyRequests {
		c.pauseAll(r, *res, attempt)
	}
}

// nextDelay decides whether a failed attempt is retried and after what wait.
// After a 429 the request waits only for the limiter, which pauseAll paused.
func (c *Client) nextDelay(res attemptResult, attempt int) (time.Duration, bool) {
	if res.apiErr == nil {
		return c.retry.backoff(attempt), retryableTransportError(res.err)
	}
	if !retryableStatus(res.status, res.apiErr.Code) {
		return 0, false
	}
	if res.status == http.StatusTooManyRequests {
		return 0, true
	}
	if ra := res.retryAfter; ra.ok && !ra.past {
		return min(ra.wait, c.retry.MaxDelay), true
	}
	return c.retry.backoff(attempt), true
}

// retryableTransportError reports whether an attempt that got no usable
// response is worth repeating: timeouts, resets and EOFs are, while a request
// the client could not build or a certificate the client does not trust fail
// the same way every time.
func retryableTransportError(err error) bool {
	if errors.Is(err, ErrInvalidRequest) {
		return false
	}
	var unknownAuthority x509.UnknownAuthorityError
	var invalidCert x509.CertificateInvalidError
	var hostname x509.HostnameError
	var tlsCert *tls.CertificateVerificationError
	return !errors.As(err, &unknownAuthority) && !errors.As(err, &invalidCert) &&
		!errors.As(err, &hostname) && !errors.As(err, &tlsCert)
}

// pauseAll pauses the limiter after a 429. The pause lasts until Retry-After
// plus up to a tenth more (at most 500 ms) of jitter, so workers do not all
// return at once. A past date gives a short jittered pause, and a missing or
// unparseable header an ordinary backoff.
func (c *Client) pauseAll(r request, res attemptResult, attempt int) {
	ra := res.retryAfter
	var wait time.Duration
	switch {
	case ra.past:
		wait = jitter(pastRetryAfterWait)
	case ra.ok:
		wait = ra.wait + jitter(min(ra.wait/10, 500*time.Millisecond))
	default:
		wait = c.retry.backoff(attempt)
	}
	until := time.Now().Add(wait)
	c.limiter.Pause(until)

	c.logs.log(c.logger, slog.LevelInfo, "rate limited: pausing all requests",
		"method", r.method, "path", r.path, "request_id", res.header.Get(HeaderRequestID),
		"retry_after", res.header.Get(HeaderRetryAfter), "pause", wait.Round(time.Millisecond),
		"rate_per_minute", int(c.limiter.Rate()))
}

func (c *Client) logRetry(r request, sentID string, attempt int, res attemptResult, delay time.Duration) {
	code := ""
	if res.apiErr != nil {
		code = res.apiErr.Code
	}
	c.logs.log(c.logger, slog.LevelInfo, "retrying request",
		"method", r.method, "path", r.path, "idempotency_key", r.key, "request_id", sentID,
		"attempt", attempt, "status", res.status, "code", code,
		"delay", delay.Round(time.Millisecond), "error", res.err)
}
