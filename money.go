package payrun

import (
	"fmt"

	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"
)

// MaxAmountDigits is the maximum number of integer digits of an Anton money string,
// whose pattern is ^-?\d{1,12}(\.\d+)?$.
const MaxAmountDigits = 12

// CurrencyScale returns the number of minor-unit digits of an ISO 4217 currency
// (USD 2, JPY 0, KWD 3). It returns false for codes that are not current ISO
// 4217 tender (see tenderCodes): unknown, lowercase and withdrawn codes, and
// the codes for funds, metals and testing.
//
// NOTE: the scale comes from CLDR through golang.org/x/text. CLDR gives 0
// decimals where ISO 4217 gives 2 for AFN, ALL, AMD, COP, GYD, IDR, IRR, KPW,
// LAK, LBP, MGA, MMK, MNT, MUR, PKR, RSD, SOS, SYP, TZS, UZS and YER, and 0
// where ISO gives 3 for IQD. Amounts with decimals in these currencies are
// rejected, never rounded. The scale stays because ledgers store amounts in
// minor units of it.
func CurrencyScale(code string) (int, bool) {
	if !tenderCodes[code] {
		return 0, false
	}
	if scale, ok := newerScales[code]; ok {
		return scale, true
	}
	unit, err := currency.ParseISO(code)
	if err != nil {
		return 0, false
	}
	scale, _ := currency.Standard.Rounding(unit)
	return scale, true
}

// Amount is a positive amount of money in one currency, kept at the currency's scale.
type Amount struct {
	Value    decimal.Decimal
	Currency string
}

// Canonical returns the amount as Anton's decimal string at the currency scale,
// for example "12.50" for EUR and "1200" for JPY. Equal amounts always give the
// same string, so it is safe to hash and compare.
func (a Amount) Canonical() string {
	scale, ok := CurrencyScale(a.Currency)
	if !ok {
		return a.Value.String()
	}
	return a.Value.StringFixed(int32(scale))
}

// Minor returns the amount in integer minor units (cents for EUR).
func (a Amount) Minor() (int64, error) {
	scale, ok := CurrencyScale(a.Currency)
	if !ok {
		return 0, fmt.Errorf("minor units of %q: not an ISO 4217 currency", a.Currency)
	}
	shifted := a.Value.Shift(int32(scale))
	if !shifted.IsInteger() {
		return 0, fmt.Errorf("minor units of %s %s: more decimals than the currency has", a.Value, a.Currency)
	}
	if !shifted.BigInt().IsInt64() {
		return 0, fmt.Errorf("minor units of %s %s: out of range", a.Value, a.Currency)
	}
	return shifted.IntPart(), nil
}

// FromMinor builds an Amount from integer minor units.
func FromMinor(minor int64, code string) Amount {
	scale, ok := CurrencyScale(code)
	if !ok {
		scale = 0
	}
	return Amount{Value: decimal.New(minor, -int32(scale)), Currency: code}
}

// FormatMinor returns minor units as a decimal string at the currency scale.
func FormatMinor(minor int64, code string) string {
	return FromMinor(minor, code).Canonical()
}

// Totals sums amounts per currency in integer minor units, so no sum ever
// passes through floating point.
type Totals map[string]int64

// Add adds minor units of one currency.
func (t Totals) Add(code string, minor int64) { t[code] += minor }

// Strings returns each currency's total as a decimal string at its scale.
func (t Totals) Strings() map[string]string {
	out := make(map[string]string, len(t))
	for code, minor := range t {
		out[code] = FormatMinor(minor, code)
	}
	return out
}
