package submit

import (
	"encoding/base32"
	"strconv"

	"github.com/payrun/payrun"
)

// keyEncoding is lowercase unpadded base32, so keys are short, case-stable and
// safe in headers and file names.
var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// KeyInput is the business identity of a payout: everything that decides who is
// paid what, and nothing that changes between runs (no row number, file name,
// timestamp, FX rate or random value).
type KeyInput struct {
	// Namespace separates environments: live, test or sandbox by default.
	Namespace string
	Reference string
	// Either BeneficiaryID and InstrumentID, or ExternalRef and BankFingerprint.
	BeneficiaryID   string
	InstrumentID    string
	ExternalRef     string
	BankFingerprint string
	Method          string
	// Amount is the canonical destination amount at the currency's scale.
	Amount         string
	Currency       string
	SourceCurrency string
}

// PayoutKey returns the idempotency key of a payout: "payrun-" and the base32
// of the first 20 bytes of the SHA-256 of the length-prefixed key fields.
// Attempt 0 is the key of every normal send and retry. Only a rejected row that
// is resent on request gets attempt 1, 2 and so on, which is safe because Anton
// created no payout for it.
func PayoutKey(in KeyInput, attempt int) string {
	parts := []string{"payout", in.Namespace, in.Reference, in.BeneficiaryID, in.InstrumentID,
		in.ExternalRef, in.BankFingerprint, in.Method, in.Amount, in.Currency, in.SourceCurrency}
	if attempt > 0 {
		parts = append(parts, "attempt", strconv.Itoa(attempt))
	}
	return encodeKey(parts)
}

// ContentHash returns the identity of a payout's content: its attempt-0 key.
// Two rows with the same reference and the same content hash are the same
// payout; with different hashes they conflict.
func ContentHash(in KeyInput) string { return PayoutKey(in, 0) }

// BeneficiaryKey returns the idempotency key of POST /v1/beneficiaries for an
// external_ref and the fingerprint of the identity sent.
func BeneficiaryKey(namespace, externalRef, identityFingerprint string) string {
	return encodeKey([]string{"beneficiary", namespace, externalRef, identityFingerprint})
}

// InstrumentKey returns the idempotency key of POST
// /v1/beneficiaries/{id}/instruments for a beneficiary and bank details.
func InstrumentKey(namespace, beneficiaryID, bankFingerprint string) string {
	return encodeKey([]string{"instrument", namespace, beneficiaryID, bankFingerprint})
}

// KeyInputFor builds the key material of a validated instruction. bankFingerprint
// is empty for rows that name an existing beneficiary.
func KeyInputFor(namespace string, in *payrun.Instruction, bankFingerprint string) KeyInput {
	k := KeyInput{
		Namespace:      namespace,
		Reference:      in.Reference,
		BeneficiaryID:  in.BeneficiaryID,
		InstrumentID:   in.InstrumentID,
		Method:         in.Method,
		Amount:         in.Amount.Canonical(),
		Currency:       in.Amount.Currency,
		SourceCurrency: in.SourceCurrency,
	}
	if in.Beneficiary != nil {
		k.ExternalRef = in.Beneficiary.ExternalRef
		k.BankFingerprint = bankFingerprint
	}
	return k
}

func encodeKey(parts []string) string {
	sum := payrun.HashParts(parts...)
	return "payrun-" + keyEncoding.EncodeToString(sum[:20])
}
