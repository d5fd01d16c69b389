package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ResolvedBeneficiary is an Anton beneficiary created or found for an
// external_ref.
type ResolvedBeneficiary struct {
	ExternalRef         string
	IdentityFingerprint string
	BeneficiaryID       string
}

// BeneficiaryByExternalRef returns the beneficiary recorded for external_ref, or nil.
func (l *Ledger) BeneficiaryByExternalRef(ctx context.Context, externalRef string) (*ResolvedBeneficiary, error) {
	var b ResolvedBeneficiary
	err := l.db.QueryRowContext(ctx, `SELECT external_ref, identity_fingerprint, beneficiary_id
		FROM beneficiaries WHERE external_ref = ?`, externalRef).
		Scan(&b.ExternalRef, &b.IdentityFingerprint, &b.BeneficiaryID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up beneficiary of external_ref %s: %w", externalRef, err)
	}
	return &b, nil
}

// SaveBeneficiary records the beneficiary of an external_ref. A second save of
// the same external_ref keeps the first id.
func (l *Ledger) SaveBeneficiary(ctx context.Context, b ResolvedBeneficiary) error {
	_, err := l.db.ExecContext(ctx, `INSERT INTO beneficiaries (external_ref, identity_fingerprint,
		beneficiary_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (external_ref) DO NOTHING`,
		b.ExternalRef, b.IdentityFingerprint, b.BeneficiaryID, l.stamp())
	if err != nil {
		return fmt.Errorf("record beneficiary %s of external_ref %s: %w", b.BeneficiaryID, b.ExternalRef, err)
	}
	return nil
}

// InstrumentFor returns the instrument recorded for the bank details of a
// beneficiary, or "".
func (l *Ledger) InstrumentFor(ctx context.Context, beneficiaryID, bankFingerprint string) (string, error) {
	var id string
	err := l.db.QueryRowContext(ctx, `SELECT instrument_id FROM instruments
		WHERE beneficiary_id = ? AND bank_fingerprint = ?`, beneficiaryID, bankFingerprint).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("look up instrument of beneficiary %s: %w", beneficiaryID, err)
	}
	return id, nil
}

// InstrumentCount returns how many instruments are recorded for a beneficiary.
func (l *Ledger) InstrumentCount(ctx context.Context, beneficiaryID string) (int, error) {
	var n int
	err := l.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM instruments WHERE beneficiary_id = ?`,
		beneficiaryID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count instruments of beneficiary %s: %w", beneficiaryID, err)
	}
	return n, nil
}

// SaveInstrument records the instrument of a beneficiary's bank details.
func (l *Ledger) SaveInstrument(ctx context.Context, beneficiaryID, bankFingerprint, instrumentID, masked string) error {
	_, err := l.db.ExecContext(ctx, `INSERT INTO instruments (beneficiary_id, bank_fingerprint,
		instrument_id, account_masked, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (beneficiary_id, bank_fingerprint) DO NOTHING`,
		beneficiaryID, bankFingerprint, instrumentID, masked, l.stamp())
	if err != nil {
		return fmt.Errorf("record instrument %s of beneficiary %s: %w", instrumentID, beneficiaryID, err)
	}
	return nil
}

// RecordWebhookEvent stores an event id once. It returns false when the event
// was seen before, so the caller skips it.
func (l *Ledger) RecordWebhookEvent(ctx context.Context, id, eventType, payoutID, status, outcome string) (bool, error) {
	res, err := l.db.ExecContext(ctx, `INSERT INTO webhook_events (id, type, payout_id, status, outcome,
		received_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		id, eventType, payoutID, status, outcome, l.stamp())
	if err != nil {
		return false, fmt.Errorf("record webhook event %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
