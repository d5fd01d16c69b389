// Package submit is the Anton Payments API client and the submission engine:
// request and response types, authentication, idempotency keys, the
// process-wide rate limiter, the retry policy and the worker pool.
package submit

import (
	"encoding/json"

	"github.com/payrun/payrun"
)

// The types in this file follow the v1 merchant OpenAPI contract of Anton
// (openapi-merchant.yaml, bearer-key generation). Money is always a decimal
// string, never a JSON number.

// PayoutRequest is the body of POST /v1/payouts. Field order is the order of
// the encoded JSON, which the ledger stores and every retry resends unchanged.
type PayoutRequest struct {
	BeneficiaryID  string            `json:"beneficiary_id"`
	InstrumentID   string            `json:"instrument_id"`
	SourceAmount   string            `json:"source_amount"`
	SourceCurrency string            `json:"source_currency,omitempty"`
	DestAmount     string            `json:"dest_amount"`
	DestCurrency   string            `json:"dest_currency"`
	Method         string            `json:"method"`
	Purpose        string            `json:"purpose"`
	Reference      string            `json:"reference"`
	FixedSide      string            `json:"fixed_side,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
}

// Payout is Anton's payout object.
type Payout struct {
	ID                   string            `json:"id"`
	MerchantID           string            `json:"merchant_id"`
	BeneficiaryID        string            `json:"beneficiary_id"`
	InstrumentID         string            `json:"instrument_id"`
	BatchID              *string           `json:"batch_id,omitempty"`
	Status               string            `json:"status"`
	Method               string            `json:"method"`
	SourceAmount         string            `json:"source_amount"`
	SourceCurrency       string            `json:"source_currency"`
	DestAmount           string            `json:"dest_amount"`
	DestCurrency         string            `json:"dest_currency"`
	ExchangeRate         string            `json:"exchange_rate,omitempty"`
	Fee                  string            `json:"fee,omitempty"`
	FeeCurrency          string            `json:"fee_currency,omitempty"`
	FeeBearer            string            `json:"fee_bearer,omitempty"`
	FixedSide            string            `json:"fixed_side,omitempty"`
	TotalDebited         string            `json:"total_debited,omitempty"`
	TotalDebitedCurrency string            `json:"total_debited_currency,omitempty"`
	RailType             string            `json:"rail_type"`
	RailProvider         string            `json:"rail_provider,omitempty"`
	RailReference        string            `json:"rail_reference,omitempty"`
	Purpose              string            `json:"purpose"`
	Reference            string            `json:"reference"`
	CancelledReason      string            `json:"cancelled_reason,omitempty"`
	Metadata             map[string]string `json:"metadata,omitempty"`
	CreatedAt            string            `json:"created_at"`
	UpdatedAt            string            `json:"updated_at"`
	ScreenedAt           string            `json:"screened_at,omitempty"`
	ScreeningFailedAt    string            `json:"screening_failed_at,omitempty"`
	ApprovedAt           string            `json:"approved_at,omitempty"`
	ProcessedAt          string            `json:"processed_at,omitempty"`
	CompletedAt          string            `json:"completed_at,omitempty"`
	FailedAt             string            `json:"failed_at,omitempty"`
	CancelledAt          string            `json:"cancelled_at,omitempty"`
}

// Anton payout statuses.
const (
	StatusCreated             = "created"
	StatusPendingScreening    = "pending_screening"
	StatusScreeningFailed     = "screening_failed"
	StatusPendingApproval     = "pending_approval"
	StatusApproved            = "approved"
	StatusProcessing          = "processing"
	StatusSent                = "sent"
	StatusCompleted           = "completed"
	StatusFailed              = "failed"
	StatusReturned            = "returned"
	StatusCancelled           = "cancelled"
	StatusManualReview        = "manual_review"
	StatusVelocityBlocked     = "velocity_blocked"
	StatusPendingEngineReview = "pending_engine_review"
)

// IsTerminal reports whether a payout status is final (see payrun.IsTerminalStatus).
func IsTerminal(status string) bool { return payrun.IsTerminalStatus(status) }

// CanMoveTo reports whether a payout known to be in status from may be recorded
// as status to (see payrun.CanMoveStatus).
func CanMoveTo(from, to string) bool { return payrun.CanMoveStatus(from, to) }

// BeneficiaryRequest is the body of POST /v1/beneficiaries.
type BeneficiaryRequest struct {
	Type        string             `json:"type"`
	Country     string             `json:"country"`
	ExternalRef string             `json:"external_ref,omitempty"`
	Individual  *IndividualDetails `json:"individual,omitempty"`
	Business    *BusinessDetails   `json:"business,omitempty"`
	Metadata    map[string]string  `json:"metadata,omitempty"`
}

// IndividualDetails are the personal details of an individual beneficiary.
type IndividualDetails struct {
	FirstName   string   `json:"first_name"`
	MiddleName  string   `json:"middle_name,omitempty"`
	LastName    string   `json:"last_name"`
	Email       string   `json:"email"`
	Phone       string   `json:"phone"`
	DateOfBirth string   `json:"date_of_birth"`
	Nationality string   `json:"nationality"`
	Address     *Address `json:"address"`
}

// BusinessDetails are the details of a business beneficiary.
type BusinessDetails struct {
	LegalName          string   `json:"legal_name"`
	TradingName        string   `json:"trading_name,omitempty"`
	RegistrationNumber string   `json:"registration_number,omitempty"`
	Email              string   `json:"email,omitempty"`
	Phone              string   `json:"phone,omitempty"`
	Address            *Address `json:"address"`
}

// Address is a postal address in Anton's schema.
type Address struct {
	StreetLine1 string `json:"street_line_1"`
	StreetLine2 string `json:"street_line_2,omitempty"`
	City        string `json:"city"`
	State       string `json:"state,omitempty"`
	PostalCode  string `json:"postal_code"`
	Country     string `json:"country"`
}

// Beneficiary is Anton's beneficiary object.
type Beneficiary struct {
	ID          string            `json:"id"`
	MerchantID  string            `json:"merchant_id"`
	Type        string            `json:"type"`
	Status      string            `json:"status"`
	DisplayName string            `json:"display_name"`
	Country     string            `json:"country"`
	ExternalRef string            `json:"external_ref,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	CreatedAt   string            `json:"created_at"`
	UpdatedAt   string            `json:"updated_at"`
}

// InstrumentRequest is the body of POST /v1/beneficiaries/{id}/instruments.
// Credentials holds the per-method fields: iban, bic, account_number,
// sort_code, routing_number, account_type and account_holder_name.
type InstrumentRequest struct {
	Method      string            `json:"method"`
	Currency    string            `json:"currency"`
	Country     string            `json:"country"`
	Label       string            `json:"label,omitempty"`
	Credentials map[string]string `json:"credentials"`
	IsDefault   bool              `json:"is_default,omitempty"`
}

// Instrument is Anton's instrument object.
type Instrument struct {
	ID             string `json:"id"`
	BeneficiaryID  string `json:"beneficiary_id"`
	MerchantID     string `json:"merchant_id"`
	Method         string `json:"method"`
	Status         string `json:"status"`
	IsDefault      bool   `json:"is_default"`
	Currency       string `json:"currency,omitempty"`
	Country        string `json:"country,omitempty"`
	Label          string `json:"label,omitempty"`
	DisplayLast4   string `json:"display_last4,omitempty"`
	DisplayBank    string `json:"display_bank,omitempty"`
	DisplayNetwork string `json:"display_network,omitempty"`
	MaskedAccount  string `json:"masked_account,omitempty"`
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
}

// Balance is Anton's balance of one currency.
type Balance struct {
	ID         string `json:"id"`
	MerchantID string `json:"merchant_id"`
	Currency   string `json:"currency"`
	Available  string `json:"available"`
	Pending    string `json:"pending"`
	Total      string `json:"total"`
	UpdatedAt  string `json:"updated_at"`
}

// Merchant is Anton's merchant object.
type Merchant struct {
	ID                  string `json:"id"`
	Status              string `json:"status"`
	DisplayName         string `json:"display_name,omitempty"`
	LegalName           string `json:"legal_name,omitempty"`
	RateLimitMultiplier int    `json:"rate_limit_multiplier"`
	RateLimitPerMinute  int    `json:"rate_limit_per_minute"`
	CreatedAt           string `json:"created_at,omitempty"`
	UpdatedAt           string `json:"updated_at,omitempty"`
}

// FXRate is the response of GET /v1/fx/rate.
type FXRate struct {
	SellCurrency string `json:"sell_currency"`
	BuyCurrency  string `json:"buy_currency"`
	Rate         string `json:"rate"`
	SellAmount   string `json:"sell_amount,omitempty"`
	BuyAmount    string `json:"buy_amount,omitempty"`
	Timestamp    string `json:"timestamp,omitempty"`
}

// WebhookRequest is the body of POST /v1/webhooks.
type WebhookRequest struct {
	URL      string            `json:"url"`
	Events   []string          `json:"events"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// WebhookSubscription is Anton's webhook subscription. Secret is only set in the
// response to its creation.
type WebhookSubscription struct {
	ID         string            `json:"id"`
	MerchantID string            `json:"merchant_id"`
	URL        string            `json:"url"`
	Events     []string          `json:"events"`
	Status     string            `json:"status"`
	Version    string            `json:"version,omitempty"`
	Secret     string            `json:"secret,omitempty"`
	Metadata   map[string]string `json:"metadata,omitempty"`
	CreatedAt  string            `json:"created_at"`
	UpdatedAt  string            `json:"updated_at"`
}

// WebhookEvent is the envelope of a webhook delivery.
type WebhookEvent struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt string          `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// List is a cursor page: {data, has_more, next_cursor}. Small lists such as
// balances and webhooks have data only.
type List[T any] struct {
	Data       []T    `json:"data"`
	HasMore    bool   `json:"has_more"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// ErrorEnvelope is the body of every Anton error response.
type ErrorEnvelope struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is the error object. Code is absent on some generic 400 responses;
// Details is a list of field errors on validation_error.
type ErrorBody struct {
	Message string          `json:"message"`
	Code    string          `json:"code,omitempty"`
	Details json.RawMessage `json:"details,omitempty"`
}

// FieldError is one entry of a validation_error's details.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Anton error codes that payrun acts on.
const (
	CodeValidation             = "validation_error"
	CodeMissingIdempotencyKey  = "missing_idempotency_key"
	CodeIdempotencyConflict    = "idempotency_conflict"
	CodeIdempotencyInFlight    = "idempotency_in_flight"
	CodeIdempotencyUnavailable = "idempotency_unavailable"
	CodeRateLimitExceeded      = "rate_limit_exceeded"
	CodeInsufficientBalance    = "insufficient_balance"
	CodeVelocityBlocked        = "velocity_blocked"
	CodeCorridorNotEnabled     = "corridor_not_enabled"
	CodeBeneficiaryNotFound    = "beneficiary_not_found"
	CodeInstrumentNotFound     = "instrument_not_found"
	CodeInvalidInstrument      = "invalid_instrument"
	CodeUnauthorized           = "unauthorized"
	CodeInvalidAPIKey          = "invalid_api_key"
	CodeKeyEnvironmentMismatch = "key_environment_mismatch"
	CodeInsufficientPerms      = "insufficient_permissions"
	CodeMerchantSuspended      = "merchant_suspended"
	CodeMerchantTerminated     = "merchant_terminated"
	CodeMerchantNotActive      = "merchant_not_active"
	CodeNotFound               = "not_found"
	CodeInternal               = "internal_error"
	CodeTimeout                = "timeout"
	CodeBadRequest             = "bad_request"
	CodeSandboxOnly            = "sandbox_only"
)

// Response headers of the Anton API.
const (
	HeaderIdempotencyKey     = "Idempotency-Key"
	HeaderIdempotentReplayed = "X-Idempotent-Replayed"
	HeaderRequestID          = "X-Request-ID"
	HeaderRateLimitLimit     = "X-RateLimit-Limit"
	HeaderRateLimitRemaining = "X-RateLimit-Remaining"
	HeaderRateLimitReset     = "X-RateLimit-Reset"
	HeaderRetryAfter         = "Retry-After"
	HeaderWebhookID          = "X-Webhook-ID"
	HeaderWebhookEvent       = "X-Webhook-Event"
	HeaderWebhookTimestamp   = "X-Webhook-Timestamp"
	HeaderWebhookSignature   = "X-Webhook-Signature"
)
