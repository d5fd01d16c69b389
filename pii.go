package payrun

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The types below carry personal or bank data. Their String, GoString, Format,
// MarshalJSON and LogValue methods all return the masked form, so a value that
// reaches a log line, an error message or a report by accident is masked. The
// raw value is only available through Reveal, which the API client calls when it
// builds a request body and which --errors-out calls for the file finance edits.

// AccountNumber is a bank account number. It masks to its last four characters.
type AccountNumber struct{ raw string }

// IBAN is an International Bank Account Number in normalised form (no spaces,
// uppercase). It masks to its country code and last four characters.
type IBAN struct{ raw string }

// Email is an email address. It masks to its first letter and its domain.
type Email struct{ raw string }

// Name is a person's or business's name. It masks to initials.
type Name struct{ raw string }

// Secret is any other personal value (phone number, date of birth, address
// line). It masks to a fixed placeholder that shows only whether it is empty.
type Secret struct{ raw string }

// NewAccountNumber wraps a raw account number.
func NewAccountNumber(raw string) AccountNumber { return AccountNumber{raw} }

// NewIBAN wraps an IBAN. It does not normalise or validate it.
func NewIBAN(raw string) IBAN { return IBAN{raw} }

// NewEmail wraps a raw email address.
func NewEmail(raw string) Email { return Email{raw} }

// NewName wraps a raw name.
func NewName(raw string) Name { return Name{raw} }

// NewSecret wraps any other raw personal value.
func NewSecret(raw string) Secret { return Secret{raw} }

// Reveal returns the raw account number, for the API request only.
func (a AccountNumber) Reveal() string { return a.raw }

// Reveal returns the raw IBAN, for the API request only.
func (i IBAN) Reveal() string { return i.raw }

// Reveal returns the raw email address, for the API request only.
func (e Email) Reveal() string { return e.raw }

// Reveal returns the full name, for API requests and reports.
func (n Name) Reveal() string { return n.raw }

// Reveal returns the raw value, for the API request only.
func (s Secret) Reveal() string { return s.raw }

// IsZero reports whether no value is set.
func (a AccountNumber) IsZero() bool { return a.raw == "" }

// IsZero reports whether no value is set.
func (i IBAN) IsZero() bool { return i.raw == "" }

// IsZero reports whether no value is set.
func (e Email) IsZero() bool { return e.raw == "" }

// IsZero reports whether no value is set.
func (n Name) IsZero() bool { return n.raw == "" }

// IsZero reports whether no value is set.
func (s Secret) IsZero() bool { return s.raw == "" }

// MaskTail masks all but the last characters of an identifier: the last four when
// it has eight or more characters, the last two when it has five to seven, and
// none when it is shorter. So a mask never shows more than half of a short value.
// Kept characters other than ASCII letters and digits are shown as '*'.
func MaskTail(raw string) string {
	runes := []rune(raw)
	n := len(runes)
	keep := 0
	switch {
	case n >= 8:
		keep = 4
	case n >= 5:
		keep = 2
	}
	if n == 0 {
		return ""
	}
	return "****" + visibleTail(runes[n-keep:])
}

// visibleTail keeps ASCII letters and digits and stars every other character,
// so no escape sequence of %q or JSON (such as \x00 or \u0026) can place digits
// next to the kept ones.
func visibleTail(runes []rune) string {
	out := make([]rune, len(runes))
	for i, r := range runes {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			out[i] = r
		} else {
			out[i] = '*'
		}
	}
	return string(out)
}

// String returns the masked account number.
func (a AccountNumber) String() string { return MaskTail(a.raw) }

// String returns the masked IBAN: the two-letter country code and the last four
// characters, for example "DE**3000".
func (i IBAN) String() string {
	if len(i.raw) < 8 || !isLetters(i.raw[:2]) {
		return MaskTail(i.raw)
	}
	return i.raw[:2] + "**" + visibleTail([]rune(i.raw[len(i.raw)-4:]))
}

// String returns the masked email address, for example "j***@example.com".
func (e Email) String() string {
	at := strings.LastIndexByte(e.raw, '@')
	if at <= 0 {
		if e.raw == "" {
			return ""
		}
		return "***"
	}
	first, _ := utf8.DecodeRuneInString(e.raw)
	if !unicode.IsLetter(first) && !unicode.IsDigit(first) {
		first = '*'
	}
	return string(first) + "***" + e.raw[at:]
}

// String returns the initials of the name, for example "J. D." for "Jane Doe".
func (n Name) String() string {
	var parts []string
	for _, word := range strings.Fields(n.raw) {
		r, _ := utf8.DecodeRuneInString(word)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			parts = append(parts, string(unicode.ToUpper(r))+".")
		}
	}
	return strings.Join(parts, " ")
}

// String returns "***" for a set value and "" for an empty one.
func (s Secret) String() string {
	if s.raw == "" {
		return ""
	}
	return "***"
}

func isLetters(s string) bool {
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// formatMasked writes the masked form for every verb, including %#v and %q,
// so no format string can print the raw value.
func formatMasked(f fmt.State, verb rune, masked string) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", masked)
		return
	}
	fmt.Fprint(f, masked)
}

// Format implements fmt.Formatter with the masked form.
func (a AccountNumber) Format(f fmt.State, verb rune) { formatMasked(f, verb, a.String()) }

// Format implements fmt.Formatter with the masked form.
func (i IBAN) Format(f fmt.State, verb rune) { formatMasked(f, verb, i.String()) }

// Format implements fmt.Formatter with the masked form.
func (e Email) Format(f fmt.State, verb rune) { formatMasked(f, verb, e.String()) }

// Format implements fmt.Formatter with the masked form.
func (n Name) Format(f fmt.State, verb rune) { formatMasked(f, verb, n.String()) }

// Format implements fmt.Formatter with the masked form.
func (s Secret) Format(f fmt.State, verb rune) { formatMasked(f, verb, s.String()) }

// LogValue implements slog.LogValuer with the masked form.
func (a AccountNumber) LogValue() slog.Value { return slog.StringValue(a.String()) }

// LogValue implements slog.LogValuer with the masked form.
func (i IBAN) LogValue() slog.Value { return slog.StringValue(i.String()) }

// LogValue implements slog.LogValuer with the masked form.
func (e Email) LogValue() slog.Value { return slog.StringValue(e.String()) }

// LogValue implements slog.LogValuer with the masked form.
func (n Name) LogValue() slog.Value { return slog.StringValue(n.String()) }

// LogValue implements slog.LogValuer with the masked form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes the masked form.
func (a AccountNumber) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// MarshalJSON encodes the masked form.
func (i IBAN) MarshalJSON() ([]byte, error) { return json.Marshal(i.String()) }

// MarshalJSON encodes the masked form.
func (e Email) MarshalJSON() ([]byte, error) { return json.Marshal(e.String()) }

// MarshalJSON encodes the masked form.
func (n Name) MarshalJSON() ([]byte, error) { return json.Marshal(n.String()) }

// MarshalJSON encodes the masked form.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }
