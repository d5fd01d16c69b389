package submit

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultAttemptTimeout bounds one HTTP attempt of the default HTTP client.
// Anton's handlers time out after 25 seconds with 504 timeout.
const DefaultAttemptTimeout = 30 * time.Second

// DefaultUserAgent is the User-Agent header when Config.UserAgent is empty.
const DefaultUserAgent = "payrun"

// maxIdempotencyKey is Anton's maximum Idempotency-Key length.
const maxIdempotencyKey = 255

// Config configures a Client.
type Config struct {
	// BaseURL is Anton's base URL without /v1. Empty means the default of the
	// key's environment when Auth is a *BearerKey.
	BaseURL string
	// Auth adds credentials to every attempt. Required.
	Auth Authenticator
	// HTTPClient sends the attempts. Nil means a client with a 30-second
	// timeout per attempt, TLS 1.2 at least, and no redirects followed.
	HTTPClient *http.Client
	// Limiter is the process-wide rate limiter; pass the same one to every
	// client of the process. Nil means a private limiter at Anton's default
	// rate.
	Limiter *Limiter
	// Retry is the retry policy; zero fields take their defaults.
	Retry RetryPolicy
	// Breaker, when set, stops all requests after many consecutive failures.
	Breaker *Breaker
	// Logger receives retry and rate-limit logs; nil discards them.
	Logger *slog.Logger
	// UserAgent is sent on every request; empty means DefaultUserAgent.
	UserAgent string
	// Observe, when set, is called after every HTTP attempt, from the
	// goroutine that made it.
	Observe func(Attempt)
}

// Attempt describes one HTTP attempt, for the ledger's attempt log and
// metrics. It never holds the request body or credentials.
type Attempt struct {
	Method         string
	Path           string
	IdempotencyKey string
	// RequestID is the X-Request-ID the client sent, the same on every
	// attempt of one request.
	RequestID string
	// Status is the HTTP status, or 0 when no response arrived.
	Status int
	// Code is Anton's error code of an error response.
	Code string
	// Err is the attempt's error: an *APIError or a network error.
	Err      error
	Duration time.Duration
	Replayed bool
	// Date is the response's Date header (Anton's clock), or zero.
	Date time.Time
	// Context is the context the endpoint was called with, so an observer can
	// read values the caller attached, such as the ledger row of the request.
	Context context.Context
}

// Response describes the final HTTP response of a request. Endpoints return it
// with errors too, as far as it is known.
type Response struct {
	Status int
	// Replayed reports X-Idempotent-Replayed: true: Anton returned the stored
	// response of an earlier request with the same key.
	Replayed bool
	// RequestID is the X-Request-ID of the response, or the one sent.
	RequestID string
	// Date is the response's Date header (Anton's clock), or zero.
	Date time.Time
	// Attempts counts the HTTP attempts made.
	Attempts int
}

// Client calls the Anton API with one process-wide rate limiter, one retry
// layer and an optional circuit breaker. It is safe for concurrent use.
type Client struct {
	base      string
	auth      Authenticator
	http      *http.Client
	limiter   *Limiter
	retry     RetryPolicy
	breaker   *Breaker
	logger    *slog.Logger
	userAgent string
	observe   func(Attempt)
	logs      *logThrottle
}

// NewClient checks cfg and returns a Client. When Auth reports an
// environment (a *BearerKey does), the base URL must pass CheckEndpoint.
func NewClient(cfg Config) (*Client, error) {
	if cfg.Auth == nil {
		return nil, errors.New("new Anton client: no authenticator: set ANTON_API_KEY")
	}

	base, err := resolveBaseURL(cfg)
	if err != nil {
		return nil, err
	}

	c := &Client{
		base:      base,
		auth:      cfg.Auth,
		http:      cfg.HTTPClient,
		limiter:   cfg.Limiter,
		retry:     cfg.Retry.withDefaults(),
		breaker:   cfg.Breaker,
		logger:    cfg.Logger,
		userAgent: cfg.UserAgent,
		observe:   cfg.Observe,
		logs:      newLogThrottle(),
	}
	if c.http == nil {
		c.http = defaultHTTPClient()
	}
	if c.limiter == nil {
		c.limiter = NewLimiter(DefaultRatePerMinute, DefaultHeadroom)
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	return c, nil
}

func resolveBaseURL(cfg Config) (string, error) {
	base := strings.TrimSpace(cfg.BaseURL)
	env := ""
	if e, ok := cfg.Auth.(interface{ Environment() string }); ok {
		env = e.Environment()
	}
	if base == "" && env != "" {
		base = map[string]string{EnvTest: SandboxBaseURL, EnvLive: ProductionBaseURL}[env]
	}
	if base == "" {
		return "", errors.New("new Anton client: no base URL: set ANTON_BASE_URL")
	}
	base = strings.TrimRight(base, "/")

	if env == "" {
		// An authenticator without an environment still must not send its
		// credentials over plain http:// beyond loopback.
		_, err := checkBaseURL(base)
		return base, err
	}
	return base, CheckEndpoint(env, base)
}

// defaultHTTPClient clones net/http's default transport with TLS 1.2 at
// least and follows no redirects, since Anton's API sends none and a
// redirect could carry the key elsewhere.
func defaultHTTPClient() *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return &http.Client{
		Transport: transport,
		Timeout:   DefaultAttemptTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Limiter returns the client's rate limiter.
func (c *Client) Limiter() *Limiter { return c.limiter }

// request is one logical API request, sent again unchanged on every retry.
type request struct {
	method string
	// path is the escaped path under the base URL, such as /v1/payouts.
	path  string
	query url.Values
	// key is the Idempotency-Key; required for POST.
	key  string
	body []byte
}

// attemptResult is the outcome of one HTTP attempt.
type attemptResult struct {
	status   int
	header   http.Header
	body     []byte
	err      error
	apiErr   *APIError
	duration time.Duration
	// retryAfter is the parsed Retry-After header of an error response.
	retryAfter retryAfter
}

// do sends r until it succeeds, fails for good, or the policy gives up, and
// returns the body of the successful response. The returned Response is never nil.
func (c *Client) do(ctx context.Context, r request) ([]byte, *Response, error) {
	resp := &Response{RequestID: newRequestID()}
	if err := r.validate(); err != nil {
		return nil, resp, c.requestError(r, resp, err)
	}
	sentID := resp.RequestID

	var last error
	for attempt := 1; ; attempt++ {
		if err := c.beforeAttempt(ctx, last); err != nil {
			return nil, resp, c.requestError(r, resp, err)
		}

		res := c.send(ctx, r, sentID)
		resp.Attempts = attempt
		c.readRetryAfter(r, &res, attempt)
		c.record(ctx, r, sentID, resp, res)
		if res.err == nil {
			return res.body, resp, nil
		}
		last = res.err

		if err := ctx.Err(); err != nil {
			if !errors.Is(res.err, err) {
				err = joinLast(err, res.err)
			} else {
				err = res.err
			}
			return nil, resp, c.requestError(r, resp, err)
		}
		delay, retry := c.nextDelay(res, attempt)
		if !retry {
			return nil, resp, c.requestError(r, resp, res.err)
		}
		if attempt >= c.retry.MaxAttempts {
			err := fmt.Errorf("gave up after %d attempts: %w", attempt, res.err)
			return nil, resp, c.requestError(r, resp, err)
		}
		if !c.retry.Budget.take() {
			err := fmt.Errorf("%w: %w", ErrBudgetSpent, res.err)
			return nil, resp, c.requestError(r, resp, err)
		}

		c.logRetry(r, sentID, attempt, res, delay)
		if err := sleepContext(ctx, delay); err != nil {
			return nil, resp, c.requestError(r, resp, err)
		}
	}
}

func (r request) validate() error {
	if r.method != http.MethodPost {
		return nil
	}
	if r.key == "" {
		return fmt.Errorf("%w: %s %s needs an idempotency key", ErrInvalidRequest, r.method, r.path)
	}
	if len(r.key) > maxIdempotencyKey {
		return fmt.Errorf("%w: idempotency key of %d characters is longer than Anton's %d",
			ErrInvalidRequest, len(r.key), maxIdempotencyKey)
	}
	if len(r.body) == 0 {
		return fmt.Errorf("%w: %s %s has an empty body", ErrInvalidRequest, r.method, r.path)
	}
	return nil
}

// beforeAttempt checks the context and the breaker, then waits for the
// limiter. last is the previous attempt's error, kept in a breaker error so
// the caller sees why earlier attempts failed.
func (c *Client) beforeAttempt(ctx context.Context, last error) error {
	if err := ctx.Err(); err != nil {
		return joinLast(err, last)
	}
	if c.breaker != nil {
		if err := c.breaker.Allow(); err != nil {
			return joinLast(err, last)
		}
	}
	if err := c.limiter.Wait(ctx); err != nil {
		return joinLast(fmt.Errorf("wait for rate limiter: %w", err), last)
	}
	return nil
}

func joinLast(err, last error) error {
	if last == nil {
		return err
	}
	return fmt.Errorf("%w (last attempt: %w)", err, last)
}

// send makes one HTTP attempt.
func (c *Client) send(ctx context.Context, r request, requestID string) attemptResult {
	req, err := c.newHTTPRequest(ctx, r, requestID)
	if err != nil {
		return attemptResult{err: err}
	}

	start := time.Now()
	hres, err := c.http.Do(req)
	if err != nil {
		return attemptResult{err: err, duration: time.Since(start)}
	}
	defer hres.Body.Close()

	body, err := readBody(hres.Body)
	res := attemptResult{status: hres.StatusCode, header: hres.Header, body: body,
		duration: time.Since(start)}
	if !strings.HasPrefix(r.path, "/v1/fx/") {
		// FX endpoints have their own 30-a-minute limit; their headers must not
		// slow the rest of the API.
		c.limiter.Observe(hres)
	}
	if err != nil {
		res.err = fmt.Errorf("read response body: %w", err)
		return res
	}
	if hres.StatusCode < 200 || hres.StatusCode > 299 {
		res.apiErr = decodeError(hres.StatusCode, hres.Header, body)
		res.err = res.apiErr
	}
	return res
}

// newHTTPRequest builds the request of one attempt. The body is wrapped so
// the request has no GetBody, and without it the net/http transport never
// resends a POST on its own. That keeps this client the only retry layer,
// with every attempt observed. GETs may still be resent by net/http on a stale keep-alive
// connection, which is harmless for reads.
func (c *Client) newHTTPRequest(ctx context.Context, r request, requestID string) (*http.Request, error) {
	target := c.base + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}

	var body io.Reader
	if r.body != nil {
		body = io.NopCloser(bytes.NewReader(r.body))
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("%w: build %s %s: %w", ErrInvalidRequest, r.method, r.path, err)
	}
	if r.body != nil {
		req.ContentLength = int64(len(r.body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set(HeaderRequestID, requestID)
	if r.key != "" {
		req.Header.Set(HeaderIdempotencyKey, r.key)
	}
	if err := c.auth.Authorize(req); err != nil {
		return nil, fmt.Errorf("authorize %s %s: %w", r.method, r.path, err)
	}
	return req, nil
}

// record updates the response, the breaker and the observer after an attempt.
func (c *Client) record(ctx context.Context, r request, sentID string, resp *Response, res attemptResult) {
	resp.Status = res.status
	resp.Replayed = false
	resp.Date = time.Time{}
	resp.RequestID = sentID
	if res.header != nil {
		resp.Replayed = strings.EqualFold(res.header.Get(HeaderIdempotentReplayed), "true")
		resp.Date = parseDate(res.header)
		if id := res.header.Get(HeaderRequestID); id != "" {
			resp.RequestID = id
		}
	}
	if res.apiErr != nil {
		res.apiErr.RequestID = resp.RequestID
		res.apiErr.Replayed = resp.Replayed
	}

	if ctx.Err() == nil {
		// An attempt that the caller cancelled reveals nothing about Anton's health.
		c.recordBreaker(r, res)
	}
	if c.observe == nil {
		return
	}
	a := Attempt{Method: r.method, Path: r.path, IdempotencyKey: r.key, RequestID: sentID,
		Status: res.status, Err: res.err, Duration: res.duration, Replayed: resp.Replayed,
		Date: resp.Date, Context: ctx}
	if res.apiErr != nil {
		a.Code = res.apiErr.Code
	}
	c.observe(a)
}

func (c *Client) recordBreaker(r request, res attemptResult) {
	if c.breaker == nil {
		return
	}
	switch {
	case res.status == 0 || res.status >= 500:
		if c.breaker.Failure() {
			c.logger.Warn("circuit breaker opened: no more requests in this run",
				"method", r.method, "path", r.path, "status", res.status, "error", res.err)
		}
	case res.status != http.StatusTooManyRequests:
		c.breaker.Success()
	}
}

// requestError wraps err with the request's identity.
func (c *Client) requestError(r request, resp *Response, err error) error {
	return &RequestError{Method: r.method, Path: r.path, IdempotencyKey: r.key,
		RequestID: resp.RequestID, Attempts: resp.Attempts, Err: err}
}

// newRequestID returns a random X-Request-ID such as "payrun-3f9a…".
func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "payrun-" + hex.EncodeToString(b[:])
}

func parseDate(h http.Header) time.Time {
	t, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return time.Time{}
	}
	return t
}

// serverNow returns the response's Date, or the local time without one.
func serverNow(h http.Header) time.Time {
	if t := parseDate(h); !t.IsZero() {
		return t
	}
	return time.Now()
}
