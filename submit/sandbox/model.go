package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/payrun/payrun/submit"
)

// state is everything the sandbox persists. Every field is guarded by
// Server.mu.
type state struct {
	Version int `json:"version"`
	// ClockOffset is how far POST /_sandbox/clock moved the clock ahead of the
	// wall clock.
	ClockOffset time.Duration        `json:"clock_offset_ns"`
	Merchants   map[string]*merchant `json:"merchants"`
}

const stateVersion = 1

// merchant is the state of one API key.
type merchant struct {
	ID        string    `json:"id"`
	Revoked   bool      `json:"revoked,omitempty"`
	CreatedAt time.Time `json:"created_at"`

	Balances      map[string]*balance           `json:"balances"`
	Beneficiaries []*beneficiaryRecord          `json:"beneficiaries"`
	Instruments   []*instrumentRecord           `json:"instruments"`
	Payouts       []*payoutRecord               `json:"payouts"`
	Webhooks      []*webhookRecord              `json:"webhooks"`
	Idempotency   map[string]*idempotencyRecord `json:"idempotency"`

	// The fields below are not saved: buildIndexes rebuilds them.
	references    map[string]int                 // payouts per reference
	byID          map[string]any                 // beneficiaries, instruments, payouts and webhooks by id
	instrumentsOf map[string][]*instrumentRecord // beneficiary id to its instruments, in creation order
	fingerprints  map[string]string              // content fingerprint to beneficiary or instrument id
	window        *slidingWindow                 // global rate-limit window
	fxWindow      *slidingWindow                 // GET /v1/fx/rate window
	throttled     time.Time                      // end of a ThrottleRate burst
}

// balance is one currency's balance in minor units.
type balance struct {
	Currency  string    `json:"currency"`
	Available int64     `json:"available"`
	Pending   int64     `json:"pending"`
	UpdatedAt time.Time `json:"updated_at"`
}

// beneficiaryRecord is a beneficiary with the content fingerprint used to
// detect exact duplicates.
type beneficiaryRecord struct {
	Beneficiary submit.Beneficiary `json:"beneficiary"`
	Request     json.RawMessage    `json:"request"`
	Fingerprint string             `json:"fingerprint"`
}

// instrumentRecord is an instrument with its credentials as sent.
type instrumentRecord struct {
	Instrument  submit.Instrument `json:"instrument"`
	Credentials map[string]string `json:"credentials"`
	Fingerprint string            `json:"fingerprint"`
}

// payoutRecord is a payout with its lifecycle bookkeeping.
type payoutRecord struct {
	Payout submit.Payout `json:"payout"`
	// Outcome is the lifecycle chosen from the reference prefix.
	Outcome outcome `json:"outcome"`
	// Debit is source_amount plus fee in the source currency's minor units,
	// moved from available to pending at creation.
	Debit int64 `json:"debit_minor"`
	// NextAt is when the next lifecycle step is due on the sandbox clock;
	// zero when no step is left.
	NextAt time.Time     `json:"next_at,omitzero"`
	Events []payoutEvent `json:"events"`
}

// payoutEvent is one status transition, as GET /v1/payouts/{id}/events
// returns it.
type payoutEvent struct {
	ID             string            `json:"id"`
	PayoutID       string            `json:"payout_id"`
	MerchantID     string            `json:"merchant_id"`
	Status         string            `json:"status"`
	PreviousStatus *string           `json:"previous_status"`
	ActorType      string            `json:"actor_type"`
	ActorID        string            `json:"actor_id,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	OccurredAt     string            `json:"occurred_at"`
	CreatedAt      string            `json:"created_at"`
}

// webhookRecord is a webhook subscription with its secrets.
type webhookRecord struct {
	Subscription submit.WebhookSubscription `json:"subscription"`
	Deleted      bool                       `json:"deleted,omitempty"`
	Secret       string                     `json:"secret"`
	// PreviousSecret also signs deliveries until PreviousUntil, after a
	// rotation.
	PreviousSecret string    `json:"previous_secret,omitempty"`
	PreviousUntil  time.Time `json:"previous_until,omitzero"`
}

// idempotencyRecord is the stored outcome of one (method+path, key).
type idempotencyRecord struct {
	BodyHash    string    `json:"body_hash"`
	CreatedAt   time.Time `json:"created_at"`
	InFlight    bool      `json:"in_flight,omitempty"`
	Status      int       `json:"status"`
	ContentType string    `json:"content_type,omitempty"`
	Body        []byte    `json:"body"`
}

// merchantID derives a stable merchant id from an API key, so a reloaded
// state file maps the same key to the same merchant without storing the key.
func merchantID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "mer_" + hex.EncodeToString(sum[:10])
}

// newMerchant returns an empty merchant with the starting balances.
func newMerchant(id string, now time.Time, start []startingBalance) *merchant {
	m := &merchant{
		ID:          id,
		CreatedAt:   now,
		Balances:    map[string]*balance{},
		Idempotency: map[string]*idempotencyRecord{},
	}
	for _, b := range start {
		m.Balances[b.currency] = &balance{Currency: b.currency, Available: b.minor, UpdatedAt: now}
	}
	m.buildIndexes()
	return m
}

// buildIndexes rebuilds the lookup maps, after creation or loading.
func (m *merchant) buildIndexes() {
	m.byID = map[string]any{}
	m.instrumentsOf = map[string][]*instrumentRecord{}
	m.fingerprints = map[string]string{}
	m.references = map[string]int{}
	m.window = &slidingWindow{}
	m.fxWindow = &slidingWindow{}
	if m.Idempotency == nil {
		m.Idempotency = map[string]*idempotencyRecord{}
	}
	if m.Balances == nil {
		m.Balances = map[string]*balance{}
	}

	for _, b := range m.Beneficiaries {
		m.byID[b.Beneficiary.ID] = b
		m.fingerprints[b.Fingerprint] = b.Beneficiary.ID
	}
	for _, in := range m.Instruments {
		m.addInstrumentIndex(in)
	}
	for _, p := range m.Payouts {
		m.byID[p.Payout.ID] = p
		m.references[p.Payout.Reference]++
	}
	for _, w := range m.Webhooks {
		m.byID[w.Subscription.ID] = w
	}
}

func (m *merchant) addInstrumentIndex(in *instrumentRecord) {
	m.byID[in.Instrument.ID] = in
	owner := in.Instrument.BeneficiaryID
	m.instrumentsOf[owner] = append(m.instrumentsOf[owner], in)
	if in.Instrument.Status == "active" {
		m.fingerprints[in.Fingerprint] = in.Instrument.ID
	}
}

func (m *merchant) beneficiary(id string) *beneficiaryRecord {
	b, _ := m.byID[id].(*beneficiaryRecord)
	return b
}

func (m *merchant) instrument(id string) *instrumentRecord {
	in, _ := m.byID[id].(*instrumentRecord)
	return in
}

func (m *merchant) payout(id string) *payoutRecord {
	p, _ := m.byID[id].(*payoutRecord)
	return p
}

func (m *merchant) webhook(id string) *webhookRecord {
	w, _ := m.byID[id].(*webhookRecord)
	if w == nil || w.Deleted {
		return nil
	}
	return w
}
