package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
)

// MaxWebhookBody is the largest webhook body the receiver reads, 1 MiB.
// Anton's own request limit is 1 MB, so a real event is far smaller.
const MaxWebhookBody = 1 << 20

// Webhook outcomes beyond the ledger's state.Update* values, as counted in
// metrics.
const (
	// WebhookRejected is a delivery that failed verification or could not be
	// read; nothing was recorded.
	WebhookRejected = "rejected"
	// WebhookFailed is a verified delivery that the ledger could not record.
	// The receiver responds 500, so Anton delivers it again.
	WebhookFailed = "failed"
)

// EventStore records verified webhook events. *state.Ledger implements it.
type EventStore interface {
	ApplyWebhookEvent(ctx context.Context, ev state.WebhookEvent) (string, error)
}

var _ EventStore = (*state.Ledger)(nil)

// WebhookHandler is the receiver of Anton's webhook deliveries. It reads the
// raw body once, verifies its signature before anything else, decodes the same
// bytes, records the event id and the payout status in one ledger transaction,
// and responds 200 after the commit. A repeated event id gets 200 too and
// changes nothing. Logs carry event, type and payout ids, never beneficiary
// data. Create it with NewWebhookHandler.
type WebhookHandler struct {
	store    EventStore
	verifier *Verifier
	logger   *slog.Logger
	metrics  *Metrics

	rejectLog *rate.Sometimes
}

// NewWebhookHandler returns a handler that records events in store. logger
// receives one line per delivery (nil discards them) and m, when not nil,
// counts deliveries by outcome. Rejected deliveries are logged for the first
// five and then at most once every 10 seconds, so a flood of bad deliveries
// cannot fill the log. Metrics count all of them.
func NewWebhookHandler(store EventStore, v *Verifier, logger *slog.Logger, m *Metrics) *WebhookHandler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &WebhookHandler{store: store, verifier: v, logger: logger, metrics: m,
		rejectLog: &rate.Sometimes{First: 5, Interval: 10 * time.Second}}
}

// envelope is the body of a delivery. Data stays raw until the event type
// determines what it contains.
type envelope struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt string          `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// ServeHTTP handles one delivery.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, r, http.StatusMethodNotAllowed, "method", fmt.Errorf("method %s not allowed: Anton delivers with POST", r.Method))
		return
	}
	h.metrics.countDelivery()

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		h.reject(w, r, http.StatusRequestEntityTooLarge, "too_large",
			fmt.Errorf("webhook body larger than %d bytes", MaxWebhookBody))
		return
	}
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, "read", fmt.Errorf("read webhook body: %w", err))
		return
	}

	err = h.verifier.Verify(r.Header.Get(submit.HeaderWebhookTimestamp), r.Header.Get(submit.HeaderWebhookSignature), body)
	if err != nil {
		status, reason := verifyStatus(err)
		h.reject(w, r, status, reason, err)
		return
	}

	ev, err := decodeEvent(r.Header.Get(submit.HeaderWebhookID), body)
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, "malformed", err)
		return
	}
	h.record(w, r, ev)
}

// record stores a verified event and responds after the commit.
func (h *WebhookHandler) record(w http.ResponseWriter, r *http.Request, ev state.WebhookEvent) {
	log := h.logger.With("event_id", ev.ID, "event_type", ev.Type)
	if ev.Update != nil {
		log = log.With("payout_id", ev.Update.PayoutID, "status", ev.Update.Status)
	}

	outcome, err := h.store.ApplyWebhookEvent(r.Context(), ev)
	if err != nil {
		h.metrics.countWebhook(WebhookFailed)
		log.Error("webhook event not recorded; Anton will deliver it again", "error", err)
		http.Error(w, "event not recorded; deliver it again", http.StatusInternalServerError)
		return
	}
	h.metrics.countWebhook(outcome)
	h.metrics.markWebhookEvent(time.Now())

	switch outcome {
	case state.UpdateUnknownPayout:
		log.Warn("webhook event of a payout the ledger does not know; recorded", "outcome", outcome)
	case state.UpdateDuplicate:
		log.Info("webhook event already recorded; ignored", "outcome", outcome)
	default:
		log.Info("webhook event recorded", "outcome", outcome)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"event_id": ev.ID, "outcome": outcome})
}

// reject responds to a delivery that changes nothing. The response names only
// the reason, and the log has the details. The event id in the log is the one
// the sender claimed, since nothing about the delivery is verified.
func (h *WebhookHandler) reject(w http.ResponseWriter, r *http.Request, status int, reason string, err error) {
	h.metrics.countRejected(reason)
	h.rejectLog.Do(func() {
		h.logger.Warn("webhook delivery rejected", "status", status, "reason", reason,
			"claimed_event_id", truncate(r.Header.Get(submit.HeaderWebhookID), 64),
			"remote_addr", r.RemoteAddr, "error", err)
	})
	http.Error(w, "webhook delivery rejected: "+reason, status)
}

// verifyStatus maps a verification error to the HTTP status and the metrics
// reason.
func verifyStatus(err error) (int, string) {
	switch {
	case errors.Is(err, ErrMalformedSignature):
		return http.StatusBadRequest, "malformed"
	case errors.Is(err, ErrTimestampOutside):
		return http.StatusUnauthorized, "timestamp"
	}
	return http.StatusUnauthorized, "signature"
}

// decodeEvent decodes a verified body. The envelope id is the event id; an
// X-Webhook-ID header, when present, must carry the same id.
func decodeEvent(headerID string, body []byte) (state.WebhookEvent, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return state.WebhookEvent{}, fmt.Errorf("decode webhook body: %w", err)
	}
	if env.ID == "" {
		env.ID = headerID
	}
	if env.ID == "" {
		return state.WebhookEvent{}, errors.New("webhook event has no id: neither the body nor X-Webhook-ID carries one")
	}
	if headerID != "" && headerID != env.ID {
		return state.WebhookEvent{}, fmt.Errorf("X-Webhook-ID %q differs from the event id %q in the body", truncate(headerID, 64), truncate(env.ID, 64))
	}

	ev := state.WebhookEvent{ID: env.ID, Type: env.Type}
	if !strings.HasPrefix(env.Type, "payout.") {
		return ev, nil
	}
	update, err := payoutUpdate(env)
	if err != nil {
		return state.WebhookEvent{}, err
	}
	ev.Update = update
	return ev, nil
}

// payoutEventData is the data of a payout.* event: the payout object, plus
// the reason fields that some event types carry instead of cancelled_reason.
type payoutEventData struct {
	submit.Payout
	Reason        string `json:"reason"`
	FailureReason string `json:"failure_reason"`
	FailureCode   string `json:"failure_code"`
}

// payoutStatuses are Anton's payout statuses, which event types such as
// payout.completed end with.
var payoutStatuses = map[string]bool{
	submit.StatusCreated: true, submit.StatusPendingScreening: true, submit.StatusScreeningFailed: true,
	submit.StatusPendingApproval: true, submit.StatusApproved: true, submit.StatusProcessing: true,
	submit.StatusSent: true, submit.StatusCompleted: true, submit.StatusFailed: true,
	submit.StatusReturned: true, submit.StatusCancelled: true, submit.StatusManualReview: true,
	submit.StatusVelocityBlocked: true, submit.StatusPendingEngineReview: true,
}

// payoutUpdate builds the status update of a payout event. When the data has
// no status, an event type that ends with a payout status names it
// (payout.completed is completed). Otherwise the update carries no status,
// so only its fees and amounts are recorded.
func payoutUpdate(env envelope) (*state.StatusUpdate, error) {
	var data payoutEventData
	if err := json.Unmarshal(env.Data, &data); err != nil {
		return nil, fmt.Errorf("decode data of %s event %s: %w", env.Type, env.ID, err)
	}
	if data.ID == "" {
		return nil, fmt.Errorf("%s event %s has no payout id in its data", env.Type, env.ID)
	}
	if suffix := strings.TrimPrefix(env.Type, "payout."); data.Status == "" && payoutStatuses[suffix] {
		data.Status = suffix
	}
	u := UpdateFromPayout(&data.Payout, "webhook")
	u.FailureCode = data.FailureCode
	u.FailureMessage = firstNonEmpty(data.CancelledReason, data.Reason, data.FailureReason)
	// Some events carry only id, status and reason. The event time then
	// replaces the payout's updated_at.
	u.AntonUpdatedAt = firstNonEmpty(data.UpdatedAt, env.CreatedAt)
	return &u, nil
}

// UpdateFromPayout converts an Anton payout to a ledger status update from
// source (webhook or sync).
func UpdateFromPayout(p *submit.Payout, source string) state.StatusUpdate {
	return state.StatusUpdate{
		PayoutID:       p.ID,
		Status:         p.Status,
		Fee:            p.Fee,
		FeeCurrency:    p.FeeCurrency,
		TotalDebited:   p.TotalDebited,
		SourceAmount:   p.SourceAmount,
		FailureMessage: p.CancelledReason,
		AntonUpdatedAt: p.UpdatedAt,
		CompletedAt:    p.CompletedAt,
		FailedAt:       firstNonEmpty(p.FailedAt, p.ScreeningFailedAt, p.CancelledAt),
		Source:         source,
	}
}
