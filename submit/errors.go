package submit

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors of the client. A *RequestError wraps them, so test with
// errors.Is.
var (
	// ErrBreakerOpen means the circuit breaker is open after many consecutive
	// 5xx or network failures, so the client sent nothing.
	ErrBreakerOpen = errors.New("circuit breaker open: Anton failed too many times in a row")

	// ErrBudgetSpent means the run's retry budget is used up. The request may
	// have reached Anton, so its outcome is unknown.
	ErrBudgetSpent = errors.New("retry budget of this run spent")

	// ErrInvalidRequest means the caller passed arguments that cannot form a
	// valid request, such as an empty idempotency key. Nothing was sent.
	ErrInvalidRequest = errors.New("invalid request")
)

// APIError is an error response of the Anton API, decoded from its
// {"error": {"message", "code", "details"}} envelope.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Code is Anton's error code; it is empty on some generic 400 responses and
	// on bodies that are not Anton's envelope.
	Code    string
	Message string
	// Details lists field errors of a validation_error.
	Details []FieldError
	// RequestID is the X-Request-ID of the response, for Anton's support.
	RequestID string
	// RetryAfter is the wait the Retry-After header asked for, or 0.
	RetryAfter time.Duration
	// Replayed reports an X-Idempotent-Replayed: true response: Anton returned
	// the stored response of an earlier request with the same key.
	Replayed bool
}

// Error returns the status, code, message and field errors, for example
// "anton: 422 validation_error: invalid request (dest_amount: must be positive)".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "anton: %d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	b.WriteString(": " + e.Message)
	if len(e.Details) > 0 {
		parts := make([]string, 0, len(e.Details))
		for _, d := range e.Details {
			parts = append(parts, d.Field+": "+d.Message)
		}
		b.WriteString(" (" + strings.Join(parts, "; ") + ")")
	}
	return b.String()
}

// RequestError is the error of a logical request after the client stopped
// trying. It names the request and wraps the last cause: an *APIError, a
// network error, a context error, ErrBreakerOpen or ErrBudgetSpent.
type RequestError struct {
	Method string
	Path   string
	// IdempotencyKey is the key of a POST, or "" for reads.
	IdempotencyKey string
	// RequestID is the X-Request-ID that every attempt of the request sent.
	RequestID string
	// Attempts counts the HTTP attempts made, 0 when none was sent.
	Attempts int
	Err      error
}

// Error returns the request, the cause and what to do next.
func (e *RequestError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", e.Method, e.Path)
	if e.IdempotencyKey != "" {
		fmt.Fprintf(&b, " (idempotency key %s, request id %s, %s)", e.IdempotencyKey,
			e.RequestID, plural(e.Attempts, "attempt"))
	} else {
		fmt.Fprintf(&b, " (request id %s, %s)", e.RequestID, plural(e.Attempts, "attempt"))
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if hint := e.hint(); hint != "" {
		b.WriteString("; " + hint)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *RequestError) Unwrap() error { return e.Err }

// hint returns the next step for the person reading the error.
func (e *RequestError) hint() string {
	switch Classify(e.Err) {
	case OutcomeUnknown:
		if e.IdempotencyKey != "" {
			return "the outcome is unknown: send it again later with the same idempotency key"
		}
		return "try again later"
	case OutcomeRejected:
		return "Anton rejected the request: correct it before sending it again"
	case OutcomeConflict:
		return "the key was already used with a different body: keep the key and " +
			"compare the stored request body with the row"
	case OutcomeStopRun:
		return "check the API key, its environment and the merchant account, then run again"
	case OutcomeStopCurrency:
		return "fund the balance of that currency, then run again"
	case OutcomeBreakerOpen:
		return "Anton is failing repeatedly: wait, check status.antonpayments.com, then run again"
	}
	return ""
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Outcome is the consequence of an error for the payout row whose request
// failed.
type Outcome int

// Outcomes of Classify.
const (
	// OutcomeOK is a success (nil error).
	OutcomeOK Outcome = iota
	// OutcomeUnknown covers network errors, timeouts, 5xx, 429,
	// idempotency_in_flight and idempotency_unavailable that outlasted the
	// retries, a spent retry budget and undecodable success bodies. Anton may
	// have created the resource: send the same body later with the same key.
	OutcomeUnknown
	// OutcomeRejected is a 4xx about this request: 404, 422 (other than
	// insufficient_balance), 403 velocity_blocked or corridor_not_enabled,
	// other 409s and 400s.
	OutcomeRejected
	// OutcomeConflict is 409 idempotency_conflict: the key was used before
	// with a different body.
	OutcomeConflict
	// OutcomeStopRun is a problem with the key or the account that every
	// request would meet: 401, 403 other than the row-level codes above,
	// 400 missing_idempotency_key, 410, and ErrInvalidRequest.
	OutcomeStopRun
	// OutcomeStopCurrency is 422 insufficient_balance (or insufficient_funds):
	// stop submitting in that source currency.
	OutcomeStopCurrency
	// OutcomeBreakerOpen is ErrBreakerOpen: stop the run.
	OutcomeBreakerOpen
)

// String returns the outcome's name in snake_case, for logs and reports.
func (o Outcome) String() string {
	switch o {
	case OutcomeOK:
		return "ok"
	case OutcomeUnknown:
		return "unknown"
	case OutcomeRejected:
		return "rejected"
	case OutcomeConflict:
		return "conflict"
	case OutcomeStopRun:
		return "stop_run"
	case OutcomeStopCurrency:
		return "stop_currency"
	case OutcomeBreakerOpen:
		return "breaker_open"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// codeInsufficientFunds is the name one page of Anton's going-live guide uses
// for insufficient_balance.
const codeInsufficientFunds = "insufficient_funds"

// codeRateLimited is the code one stored version of Anton's docs shows for 429.
const codeRateLimited = "rate_limited"

// Classify maps an error of the client to what it means for a payout row.
// Errors that are not the client's, such as a failed ledger write, are
// OutcomeUnknown.
func Classify(err error) Outcome {
	if err == nil {
		return OutcomeOK
	}
	if errors.Is(err, ErrBreakerOpen) {
		return OutcomeBreakerOpen
	}
	if errors.Is(err, ErrInvalidRequest) {
		return OutcomeStopRun
	}

	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return OutcomeUnknown
	}
	return classifyAPIError(apiErr)
}

func classifyAPIError(e *APIError) Outcome {
	switch e.Code {
	case CodeIdempotencyConflict:
		return OutcomeConflict
	case CodeIdempotencyInFlight, CodeIdempotencyUnavailable, CodeRateLimitExceeded,
		codeRateLimited:
		return OutcomeUnknown
	case CodeInsufficientBalance, codeInsufficientFunds:
		return OutcomeStopCurrency
	case CodeUnauthorized, CodeInvalidAPIKey, CodeKeyEnvironmentMismatch, CodeInsufficientPerms,
		CodeMissingIdempotencyKey:
		return OutcomeStopRun
	}
	if strings.HasPrefix(e.Code, "merchant_") {
		return OutcomeStopRun
	}

	switch {
	case e.Status >= 500, e.Status == 429:
		return OutcomeUnknown
	case e.Status == 401, e.Status == 410:
		return OutcomeStopRun
	case e.Status == 403:
		return classifyForbidden(e.Code)
	case e.Status >= 400:
		return OutcomeRejected
	}
	// A 1xx or 3xx response that the client does not follow: nothing is known.
	return OutcomeUnknown
}

// classifyForbidden treats a 403 as row-level only for the codes Anton uses
// about one payout. Any other 403 (sandbox_only, capability_required, a code
// payrun does not know, or none) concerns the key or the account, so the run
// stops instead of rejecting every row.
func classifyForbidden(code string) Outcome {
	switch code {
	case CodeVelocityBlocked, CodeCorridorNotEnabled:
		return OutcomeRejected
	}
	return OutcomeStopRun
}
