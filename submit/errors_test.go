package submit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
)

func TestClassifyTable(t *testing.T) {
	api := func(status int, code string) error {
		return &RequestError{Method: "POST", Path: "/v1/payouts", Err: &APIError{Status: status,
			Code: code, Message: "m"}}
	}
	netErr := &url.Error{Op: "Post", URL: "http://127.0.0.1/v1/payouts", Err: io.EOF}
	cases := []struct {
		name string
		err  error
		want Outcome
	}{
		{"nil", nil, OutcomeOK},
		{"network EOF", netErr, OutcomeUnknown},
		{"connection reset", &net.OpError{Op: "read", Err: errors.New("connection reset by peer")},
			OutcomeUnknown},
		{"timeout", context.DeadlineExceeded, OutcomeUnknown},
		{"cancelled", context.Canceled, OutcomeUnknown},
		{"500", api(500, CodeInternal), OutcomeUnknown},
		{"502 no code", api(502, ""), OutcomeUnknown},
		{"503 unavailable", api(503, CodeIdempotencyUnavailable), OutcomeUnknown},
		{"504 timeout", api(504, CodeTimeout), OutcomeUnknown},
		{"429", api(429, CodeRateLimitExceeded), OutcomeUnknown},
		{"429 rate_limited", api(429, "rate_limited"), OutcomeUnknown},
		{"409 in flight", api(409, CodeIdempotencyInFlight), OutcomeUnknown},
		{"budget spent", fmt.Errorf("%w: %w", ErrBudgetSpent, api(500, "")), OutcomeUnknown},
		{"400 no code", api(400, ""), OutcomeRejected},
		{"400 bad_request", api(400, CodeBadRequest), OutcomeRejected},
		{"404 beneficiary", api(404, CodeBeneficiaryNotFound), OutcomeRejected},
		{"404 instrument", api(404, CodeInstrumentNotFound), OutcomeRejected},
		{"404 not_found", api(404, CodeNotFound), OutcomeRejected},
		{"422 validation", api(422, CodeValidation), OutcomeRejected},
		{"422 invalid_instrument", api(422, CodeInvalidInstrument), OutcomeRejected},
		{"422 no code", api(422, ""), OutcomeRejected},
		{"403 velocity", api(403, CodeVelocityBlocked), OutcomeRejected},
		{"403 corridor", api(403, CodeCorridorNotEnabled), OutcomeRejected},
		{"409 other", api(409, "batch_not_cancellable"), OutcomeRejected},
		{"413", api(413, "file_too_large"), OutcomeRejected},
		{"409 conflict", api(409, CodeIdempotencyConflict), OutcomeConflict},
		{"401 unauthorized", api(401, CodeUnauthorized), OutcomeStopRun},
		{"401 no code", api(401, ""), OutcomeStopRun},
		{"401 env mismatch", api(401, CodeKeyEnvironmentMismatch), OutcomeStopRun},
		{"403 env mismatch", api(403, CodeKeyEnvironmentMismatch), OutcomeStopRun},
		{"403 permissions", api(403, CodeInsufficientPerms), OutcomeStopRun},
		{"403 suspended", api(403, CodeMerchantSuspended), OutcomeStopRun},
		{"403 terminated", api(403, CodeMerchantTerminated), OutcomeStopRun},
		{"403 not active", api(403, CodeMerchantNotActive), OutcomeStopRun},
		{"403 merchant other", api(403, "merchant_not_found"), OutcomeStopRun},
		{"403 invalid key", api(403, CodeInvalidAPIKey), OutcomeStopRun},
		{"403 unknown code", api(403, "capability_required"), OutcomeStopRun},
		{"403 no code", api(403, ""), OutcomeStopRun},
		{"400 missing key", api(400, CodeMissingIdempotencyKey), OutcomeStopRun},
		{"410 gone", api(410, ""), OutcomeStopRun},
		{"invalid request", fmt.Errorf("%w: empty key", ErrInvalidRequest), OutcomeStopRun},
		{"422 insufficient_balance", api(422, CodeInsufficientBalance), OutcomeStopCurrency},
		{"422 insufficient_funds", api(422, "insufficient_funds"), OutcomeStopCurrency},
		{"breaker", &RequestError{Err: ErrBreakerOpen}, OutcomeBreakerOpen},
		{"breaker after 500", &RequestError{Err: fmt.Errorf("%w (last attempt: %w)",
			ErrBreakerOpen, &APIError{Status: 500})}, OutcomeBreakerOpen},
	}
	for _, tc := range cases {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestClassifyOutcomeNames(t *testing.T) {
	names := map[Outcome]string{
		OutcomeOK: "ok", OutcomeUnknown: "unknown", OutcomeRejected: "rejected",
		OutcomeConflict: "conflict", OutcomeStopRun: "stop_run",
		OutcomeStopCurrency: "stop_currency", OutcomeBreakerOpen: "breaker_open",
	}
	for o, want := range names {
		if got := o.String(); got != want {
			t.Errorf("Outcome(%d).String() = %q, want %q", int(o), got, want)
		}
	}
}

func TestClientAPIErrorMessage(t *testing.T) {
	e := &APIError{Status: 422, Code: CodeValidation, Message: "invalid request",
		Details: []FieldError{{Field: "dest_amount", Message: "must be positive"},
			{Field: "reference", Message: "too long"}}}
	want := "anton: 422 validation_error: invalid request (dest_amount: must be positive; " +
		"reference: too long)"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}

	bare := &APIError{Status: 400, Message: "unknown field"}
	if got := bare.Error(); got != "anton: 400: unknown field" {
		t.Errorf("Error() without code = %q", got)
	}
}

func TestClientRequestErrorMessage(t *testing.T) {
	err := &RequestError{Method: "POST", Path: "/v1/payouts", IdempotencyKey: "payrun-abc",
		RequestID: "payrun-r1", Attempts: 6,
		Err: fmt.Errorf("gave up after 6 attempts: %w", &APIError{Status: 503, Message: "down"})}
	msg := err.Error()
	for _, part := range []string{"POST /v1/payouts", "payrun-abc", "payrun-r1", "6 attempts",
		"anton: 503: down", "same idempotency key"} {
		if !strings.Contains(msg, part) {
			t.Errorf("message %q lacks %q", msg, part)
		}
	}

	read := &RequestError{Method: "GET", Path: "/v1/merchant", RequestID: "r", Attempts: 1,
		Err: &APIError{Status: 401, Code: CodeInvalidAPIKey, Message: "bad key"}}
	if msg := read.Error(); !strings.Contains(msg, "check the API key") {
		t.Errorf("401 message %q lacks the next step", msg)
	}
}
