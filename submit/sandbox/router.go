package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/payrun/payrun/submit"
)

// reply is a buffered response. Handlers build one, so the pipeline can store it
// for idempotent replays, delay it or drop it.
type reply struct {
	status      int
	contentType string
	body        []byte
	header      http.Header
}

// jsonReply encodes v as the body of a response with status.
func jsonReply(status int, v any) *reply {
	body, err := json.Marshal(v)
	if err != nil {
		return errorReply(http.StatusInternalServerError, submit.CodeInternal, "internal server error")
	}
	return &reply{status: status, contentType: "application/json", body: append(body, '\n')}
}

// errorReply builds Anton's error envelope. An empty code leaves it out, as
// Anton does for generic 400 responses.
func errorReply(status int, code, message string) *reply {
	return jsonReply(status, submit.ErrorEnvelope{Error: submit.ErrorBody{Message: message, Code: code}})
}

// validationReply is 422 validation_error with one detail per failed field.
func validationReply(details []submit.FieldError) *reply {
	raw, _ := json.Marshal(details)
	return jsonReply(http.StatusUnprocessableEntity, submit.ErrorEnvelope{Error: submit.ErrorBody{
		Message: "request validation failed",
		Code:    submit.CodeValidation,
		Details: raw,
	}})
}

// badRequest is a 400 without a code, for malformed JSON, unknown fields and
// bad query or path parameters.
func badRequest(message string) *reply {
	return errorReply(http.StatusBadRequest, "", message)
}

func notFound(code, message string) *reply {
	return errorReply(http.StatusNotFound, code, message)
}

// idempotency is whether a route takes an Idempotency-Key.
type idempotency int

const (
	idempotencyNone     idempotency = iota
	idempotencyOptional             // honoured when sent
	idempotencyRequired             // 400 missing_idempotency_key without one
)

// call is one routed /v1 request.
type call struct {
	merchant *merchant
	params   map[string]string
	query    url.Values
	body     []byte
	now      time.Time
}

// handlerFunc handles one routed request. It runs with s.mu held.
type handlerFunc func(c *call) *reply

// route is one method and path pattern, such as POST /v1/payouts/{id}/cancel.
type route struct {
	method      string
	segments    []string
	idempotency idempotency
	handle      handlerFunc
}

// router matches /v1 paths segment by segment.
type router struct {
	routes []route
}

func (r *router) add(method, pattern string, idem idempotency, h handlerFunc) {
	r.routes = append(r.routes, route{
		method:      method,
		segments:    strings.Split(strings.Trim(pattern, "/"), "/"),
		idempotency: idem,
		handle:      h,
	})
}

// match returns the route of method and path with its path parameters. When
// the path exists with other methods only, it returns nil and those methods.
func (r *router) match(method, path string) (*route, map[string]string, []string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var allowed []string
	for i := range r.routes {
		rt := &r.routes[i]
		params, ok := matchSegments(rt.segments, parts)
		if !ok {
			continue
		}
		if rt.method == method {
			return rt, params, nil
		}
		allowed = append(allowed, rt.method)
	}
	return nil, nil, allowed
}

func matchSegments(pattern, parts []string) (map[string]string, bool) {
	if len(pattern) != len(parts) {
		return nil, false
	}
	params := map[string]string{}
	for i, seg := range pattern {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			if parts[i] == "" {
				return nil, false
			}
			params[seg[1:len(seg)-1]] = parts[i]
			continue
		}
		if seg != parts[i] {
			return nil, false
		}
	}
	return params, true
}

// apiRoutes lists the /v1 endpoints the sandbox serves.
func (s *Server) apiRoutes() *router {
	r := &router{}
	r.add(http.MethodPost, "/v1/beneficiaries", idempotencyRequired, s.createBeneficiary)
	r.add(http.MethodGet, "/v1/beneficiaries", idempotencyNone, s.listBeneficiaries)
	r.add(http.MethodGet, "/v1/beneficiaries/{id}", idempotencyNone, s.getBeneficiary)
	r.add(http.MethodPost, "/v1/beneficiaries/{id}/instruments", idempotencyRequired, s.createInstrument)
	r.add(http.MethodGet, "/v1/beneficiaries/{id}/instruments", idempotencyNone, s.listInstruments)
	r.add(http.MethodPost, "/v1/instruments", idempotencyOptional, s.flatInstrumentsGone)
	r.add(http.MethodGet, "/v1/instruments/{id}", idempotencyNone, s.getInstrument)
	r.add(http.MethodDelete, "/v1/instruments/{id}", idempotencyNone, s.deleteInstrument)

	r.add(http.MethodPost, "/v1/payouts", idempotencyRequired, s.createPayout)
	r.add(http.MethodGet, "/v1/payouts", idempotencyNone, s.listPayouts)
	r.add(http.MethodGet, "/v1/payouts/{id}", idempotencyNone, s.getPayout)
	r.add(http.MethodGet, "/v1/payouts/{id}/events", idempotencyNone, s.listPayoutEvents)
	r.add(http.MethodPost, "/v1/payouts/{id}/cancel", idempotencyRequired, s.cancelPayout)

	r.add(http.MethodGet, "/v1/balances", idempotencyNone, s.listBalances)
	r.add(http.MethodGet, "/v1/balances/{currency}", idempotencyNone, s.getBalance)
	r.add(http.MethodGet, "/v1/merchant", idempotencyNone, s.getMerchant)
	r.add(http.MethodGet, "/v1/fx/rate", idempotencyNone, s.getFXRate)

	r.add(http.MethodPost, "/v1/webhooks", idempotencyRequired, s.createWebhook)
	r.add(http.MethodGet, "/v1/webhooks", idempotencyNone, s.listWebhooks)
	r.add(http.MethodGet, "/v1/webhooks/{id}", idempotencyNone, s.getWebhook)
	r.add(http.MethodDelete, "/v1/webhooks/{id}", idempotencyNone, s.deleteWebhook)
	r.add(http.MethodPost, "/v1/webhooks/{id}/secret/rotate", idempotencyOptional, s.rotateWebhookSecret)
	return r
}

// routes builds the top-level handler: /v1/* through the API pipeline and
// /_sandbox/* without a key.
func (s *Server) routes() http.Handler {
	api := s.apiRoutes()
	admin := http.NewServeMux()
	admin.HandleFunc("GET /_sandbox/stats", s.handleStats)
	admin.HandleFunc("POST /_sandbox/clock", s.handleClock)
	admin.HandleFunc("POST /_sandbox/keys/revoke", s.handleRevoke)
	admin.HandleFunc("POST /_sandbox/faults", s.handleFaults)
	admin.HandleFunc("GET /_sandbox/faults", s.handleGetFaults)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requestID := r.Header.Get(submit.HeaderRequestID)
		if requestID == "" || len(requestID) > 200 {
			requestID = "req_" + randomHex(12)
		}
		w.Header().Set(submit.HeaderRequestID, requestID)
		w.Header().Set("X-Sandbox", "payrun")
		// Date follows the sandbox clock, so clients that age idempotency keys
		// by the server's Date see a clock advance.
		s.mu.Lock()
		now := s.now()
		s.mu.Unlock()
		w.Header().Set("Date", now.Format(http.TimeFormat))

		switch {
		case strings.HasPrefix(r.URL.Path, "/v1/") || r.URL.Path == "/v1":
			s.serveAPI(w, r, api)
		case strings.HasPrefix(r.URL.Path, "/_sandbox/"):
			copyHeaders(w.Header(), s.idleLimitHeaders(now))
			admin.ServeHTTP(w, r)
		default:
			copyHeaders(w.Header(), s.idleLimitHeaders(now))
			writeReply(w, notFound(submit.CodeNotFound, "no such endpoint: "+r.URL.Path+"; the sandbox serves /v1/* and /_sandbox/*"))
		}
	})
}

// writeReply sends a buffered response.
func writeReply(w http.ResponseWriter, rep *reply) {
	for name, values := range rep.header {
		for _, v := range values {
			w.Header().Add(name, v)
		}
	}
	if rep.contentType != "" {
		w.Header().Set("Content-Type", rep.contentType)
	}
	w.WriteHeader(rep.status)
	w.Write(rep.body)
}

func copyHeaders(dst, src http.Header) {
	for name, values := range src {
		dst[name] = values
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("sandbox: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}
