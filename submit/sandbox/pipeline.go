package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/payrun/payrun/submit"
)

// maxBodyBytes is Anton's request body limit of 1 MB.
const maxBodyBytes = 1 << 20

// maxIdempotencyKeyLength is the longest Idempotency-Key Anton accepts.
const maxIdempotencyKeyLength = 255

// idempotencyRetention is how long Anton keeps an idempotency key.
const idempotencyRetention = 24 * time.Hour

var testKeyPattern = regexp.MustCompile(`^ak_test_[A-Za-z0-9]+$`)

// serveAPI runs one /v1 request through authentication, rate limits, faults,
// idempotency and the handler, in that order.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, api *router) {
	started := time.Now()
	rt, params, allowed := api.match(r.Method, r.URL.Path)

	rep, m, limits := s.admit(r, rt)
	if rep == nil && rt == nil {
		rep = unroutable(r, allowed)
	}
	if rep != nil {
		s.send(w, r, rep, limits, m, started)
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			rep = errorReply(http.StatusRequestEntityTooLarge, "", "request body is larger than 1 MB: send a smaller body")
		} else {
			rep = badRequest("reading the request body failed: " + err.Error())
		}
		s.send(w, r, rep, limits, m, started)
		return
	}

	scope, rep := s.reserveIdempotency(r, rt, m, body)
	if rep != nil {
		s.send(w, r, rep, limits, m, started)
		return
	}

	s.sleepLatency(r)

	s.mu.Lock()
	rep = rt.handle(&call{merchant: m, params: params, query: r.URL.Query(), body: body, now: s.now()})
	if scope != "" {
		s.storeIdempotency(m, scope, rep)
	}
	drop := r.Method == http.MethodPost && s.chance(s.faults.DropAfterRate)
	slow := !drop && s.chance(s.faults.SlowRate)
	slowDelay := s.faults.SlowDelay
	s.mu.Unlock()

	if drop {
		s.count(rep.status)
		s.logger.Debug("sandbox dropped connection after the work", "method", r.Method, "path", r.URL.Path,
			"status", rep.status, "merchant_id", m.ID)
		dropConnection(w)
		return
	}
	if slow {
		sleepContext(r, slowDelay)
	}
	s.send(w, r, rep, limits, m, started)
}

// admit authenticates the request and applies the rate limits and the faults
// that respond before any work. A nil reply lets the request through.
func (s *Server) admit(r *http.Request, rt *route) (*reply, *merchant, http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()

	key, rep := parseAuthorization(r.Header.Get("Authorization"))
	if rep != nil {
		return rep, nil, s.idleLimitHeaders(now)
	}
	m := s.merchant(key)
	if m.Revoked {
		return errorReply(http.StatusUnauthorized, submit.CodeInvalidAPIKey,
			"API key has been revoked: create a new ak_test_ key"), m, s.idleLimitHeaders(now)
	}

	isFX := r.Method == http.MethodGet && r.URL.Path == "/v1/fx/rate"
	limits, rep := s.checkRateLimit(m, now, isFX)
	if rep != nil {
		return rep, m, limits
	}

	if s.chance(s.faults.ErrorRate) {
		return errorReply(http.StatusInternalServerError, submit.CodeInternal, "internal server error"), m, limits
	}
	takesKey := rt != nil && r.Method == http.MethodPost &&
		(rt.idempotency == idempotencyRequired || r.Header.Get(submit.HeaderIdempotencyKey) != "")
	if takesKey && s.chance(s.faults.IdempotencyUnavailableRate) {
		return errorReply(http.StatusServiceUnavailable, submit.CodeIdempotencyUnavailable,
			"idempotency store unavailable: retry with the same Idempotency-Key"), m, limits
	}
	return nil, m, limits
}

// parseAuthorization checks "Bearer ak_test_…" and returns the key.
func parseAuthorization(header string) (string, *reply) {
	scheme, key, ok := strings.Cut(strings.TrimSpace(header), " ")
	key = strings.TrimSpace(key)
	if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
		return "", errorReply(http.StatusUnauthorized, submit.CodeUnauthorized,
			"missing or malformed Authorization header: send Authorization: Bearer ak_test_…")
	}
	if strings.HasPrefix(key, "ak_live_") {
		return "", errorReply(http.StatusUnauthorized, submit.CodeKeyEnvironmentMismatch,
			"a live key (ak_live_) cannot be used in the sandbox: use an ak_test_ key")
	}
	if !testKeyPattern.MatchString(key) {
		return "", errorReply(http.StatusUnauthorized, submit.CodeUnauthorized,
			"malformed API key: sandbox keys are ak_test_ followed by letters and digits")
	}
	return key, nil
}

// unroutable responds to a /v1 path the sandbox does not serve.
func unroutable(r *http.Request, allowed []string) *reply {
	if len(allowed) > 0 {
		rep := errorReply(http.StatusMethodNotAllowed, "",
			fmt.Sprintf("method %s is not allowed on %s: use %s", r.Method, r.URL.Path, strings.Join(allowed, ", ")))
		rep.header = http.Header{"Allow": {strings.Join(allowed, ", ")}}
		return rep
	}
	return notFound(submit.CodeNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
}

// reserveIdempotency applies Anton's idempotency rules. It returns the scope
// it reserved, or a reply: a replay, a conflict, in-flight or a missing key.
func (s *Server) reserveIdempotency(r *http.Request, rt *route, m *merchant, body []byte) (string, *reply) {
	if rt.idempotency == idempotencyNone || r.Method != http.MethodPost {
		return "", nil
	}
	key := r.Header.Get(submit.HeaderIdempotencyKey)
	if key == "" {
		if rt.idempotency == idempotencyRequired {
			return "", errorReply(http.StatusBadRequest, submit.CodeMissingIdempotencyKey,
				"Idempotency-Key header is required on "+r.Method+" "+r.URL.Path+": send a key derived from the request's business identity")
		}
		return "", nil
	}
	if len(key) > maxIdempotencyKeyLength {
		return "", errorReply(http.StatusBadRequest, submit.CodeBadRequest,
			fmt.Sprintf("Idempotency-Key is %d characters long: the maximum is %d", len(key), maxIdempotencyKeyLength))
	}

	scope := r.Method + " " + r.URL.Path + " " + key
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	rec := m.Idempotency[scope]
	if rec != nil && !now.Before(rec.CreatedAt.Add(idempotencyRetention)) {
		delete(m.Idempotency, scope)
		rec = nil
	}
	switch {
	case rec == nil:
		m.Idempotency[scope] = &idempotencyRecord{BodyHash: hash, CreatedAt: now, InFlight: true}
		return scope, nil
	case rec.BodyHash != hash:
		return "", errorReply(http.StatusConflict, submit.CodeIdempotencyConflict,
			"Idempotency-Key was already used with a different request body: a retry must resend the same bytes")
	case rec.InFlight:
		return "", errorReply(http.StatusConflict, submit.CodeIdempotencyInFlight,
			"a request with this Idempotency-Key is still being processed: retry later with the same key")
	}

	replay := &reply{status: rec.Status, contentType: rec.ContentType, body: rec.Body,
		header: http.Header{submit.HeaderIdempotentReplayed: {"true"}}}
	return "", replay
}

// storeIdempotency keeps a 2xx or 4xx response for replays and forgets the key
// after a 5xx, so a retry runs again. The caller holds s.mu.
func (s *Server) storeIdempotency(m *merchant, scope string, rep *reply) {
	rec := m.Idempotency[scope]
	if rec == nil {
		return
	}
	if rep.status >= 500 {
		delete(m.Idempotency, scope)
		return
	}
	rec.InFlight = false
	rec.Status = rep.status
	rec.ContentType = rep.contentType
	rec.Body = rep.body
	s.markDirty()
}

// sleepLatency waits for the Latency fault.
func (s *Server) sleepLatency(r *http.Request) {
	s.mu.Lock()
	lat := s.faults.Latency
	d := lat.Min
	if lat.Max > lat.Min {
		d += time.Duration(s.rng.Int64N(int64(lat.Max - lat.Min + 1)))
	}
	s.mu.Unlock()
	sleepContext(r, d)
}

// sleepContext waits d, or less when the client goes away.
func sleepContext(r *http.Request, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// dropConnection closes the connection without a response.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// send writes a reply with the rate-limit headers and counts it.
func (s *Server) send(w http.ResponseWriter, r *http.Request, rep *reply, limits http.Header, m *merchant, started time.Time) {
	copyHeaders(w.Header(), limits)
	writeReply(w, rep)
	s.count(rep.status)

	merchantID := ""
	if m != nil {
		merchantID = m.ID
	}
	s.logger.Debug("sandbox request", "method", r.Method, "path", r.URL.Path, "status", rep.status,
		"merchant_id", merchantID, "request_id", w.Header().Get(submit.HeaderRequestID),
		"duration_ms", time.Since(started).Milliseconds())
}

func (s *Server) count(status int) {
	s.mu.Lock()
	s.stats.total++
	s.stats.byStatus[status]++
	s.mu.Unlock()
}

// formatUnix formats Unix seconds for X-RateLimit-Reset.
func formatUnix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
