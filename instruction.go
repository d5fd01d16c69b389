package payrun

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Payout methods of a payout file row and of Anton's POST /v1/payouts.
const (
	MethodSEPA          = "sepa"
	MethodACH           = "ach"
	MethodFasterPayment = "faster_payment"
	MethodSWIFT         = "swift"
	MethodWire          = "wire"
)

// Instrument methods of Anton's POST /v1/beneficiaries/{id}/instruments.
const (
	InstrumentIBAN   = "iban"
	InstrumentUSBank = "us_bank"
	InstrumentUKBank = "uk_bank"
	InstrumentSWIFT  = "swift"
)

// Instruction is one valid payout row of a payout file, normalised and ready to
// be keyed and submitted.
type Instruction struct {
	// Row is the spreadsheet row (the header is row 1); Line is the first physical
	// line of the record in a CSV file, which differs from Row when a quoted field
	// spans lines.
	Row  int
	Line int

	Reference string
	// Amount is what the beneficiary receives, in Currency.
	Amount         Amount
	SourceCurrency string
	Method         string
	Purpose        string
	Description    string

	// BeneficiaryID and InstrumentID name an existing Anton beneficiary. When they
	// are empty, Beneficiary describes one keyed by its external_ref.
	BeneficiaryID string
	InstrumentID  string
	Beneficiary   *Beneficiary
}

// Beneficiary is a payee identified by the finance system's external_ref, with
// the personal data Anton needs to create it and the bank details of the payout.
type Beneficiary struct {
	ExternalRef string
	// Type is "individual" or "business".
	Type         string
	FirstName    Name
	LastName     Name
	BusinessName Name
	Email        Email
	Phone        Secret
	// DateOfBirth is YYYY-MM-DD.
	DateOfBirth Secret
	Nationality string
	Country     string
	Address     Address
	Bank        BankDetails
}

// DisplayName returns the beneficiary's full name as reports show it.
func (b *Beneficiary) DisplayName() Name {
	if b.Type == "business" {
		return b.BusinessName
	}
	full := b.FirstName.Reveal()
	if last := b.LastName.Reveal(); last != "" {
		if full != "" {
			full += " "
		}
		full += last
	}
	return NewName(full)
}

// Address is a postal address. Every line masks as personal data.
type Address struct {
	Line1      Secret
	Line2      Secret
	City       Secret
	State      string
	PostalCode Secret
	Country    string
}

// BankDetails are the credentials of one Anton instrument.
type BankDetails struct {
	// Method is the instrument method: iban, us_bank, uk_bank or swift.
	Method        string
	Currency      string
	Country       string
	HolderName    Name
	IBAN          IBAN
	BIC           string
	RoutingNumber string
	AccountNumber AccountNumber
	// AccountType is "checking" or "savings" (us_bank only).
	AccountType string
	SortCode    string
}

// Masked returns the account identifier in masked form: the IBAN if there is one,
// else the account number.
func (b BankDetails) Masked() string {
	if !b.IBAN.IsZero() {
		return b.IBAN.String()
	}
	return b.AccountNumber.String()
}

// Fingerprinter computes keyed HMAC-SHA256 fingerprints of personal data, so the
// ledger can match bank details and emails without storing them. The key lives
// outside the ledger file.
type Fingerprinter struct{ key []byte }

// NewFingerprinter returns a Fingerprinter for a secret key of at least 16 bytes.
func NewFingerprinter(key []byte) *Fingerprinter { return &Fingerprinter{key: key} }

// Fingerprint returns the hex HMAC-SHA256 of the parts, each length-prefixed so
// that ("ab", "c") and ("a", "bc") differ.
func (f *Fingerprinter) Fingerprint(parts ...string) string {
	mac := hmac.New(sha256.New, f.key)
	writeParts(mac, parts)
	return hex.EncodeToString(mac.Sum(nil))
}

// BankFingerprint returns the fingerprint of the bank details that decide where
// money goes: method, country, currency, IBAN, BIC, routing number, account
// number, account type and sort code. The holder name is not part of it.
func (f *Fingerprinter) BankFingerprint(b BankDetails) string {
	return f.Fingerprint("bank", b.Method, b.Country, b.Currency, b.IBAN.Reveal(), b.BIC,
		b.RoutingNumber, b.AccountNumber.Reveal(), b.AccountType, b.SortCode)
}

// writeParts writes each part with an 8-byte big-endian length prefix.
func writeParts(w interface{ Write([]byte) (int, error) }, parts []string) {
	var size [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(size[:], uint64(len(p)))
		w.Write(size[:])
		w.Write([]byte(p))
	}
}

// HashParts returns the SHA-256 of the length-prefixed parts.
func HashParts(parts ...string) [32]byte {
	h := sha256.New()
	writeParts(h, parts)
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}
