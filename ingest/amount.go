package ingest

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"

	"github.com/payrun/payrun"
)

// finding is a problem before its row, column and value are attached.
type finding struct {
	code, message, hint string
}

// numberFormat is the declared way amounts are written in a source's files.
type numberFormat struct {
	decimal  rune
	grouping []rune // accepted thousands separators; empty when none is declared
}

// newNumberFormat checks a profile's decimal and grouping settings.
func newNumberFormat(decimalSep, grouping string) (numberFormat, error) {
	nf := numberFormat{decimal: '.'}
	switch decimalSep {
	case "", ".":
	case ",":
		nf.decimal = ','
	default:
		return nf, fmt.Errorf("decimal separator %q is not supported: use \".\" or \",\"", decimalSep)
	}

	switch grouping {
	case "":
	case ",", ".", "'":
		nf.grouping = []rune(grouping)
	case " ", "space":
		nf.grouping = []rune{' ', '\u00A0', '\u202F'}
	default:
		return nf, fmt.Errorf("grouping separator %q is not supported: use \"\", \",\", \".\", \" \" or \"'\"", grouping)
	}
	if len(nf.grouping) > 0 && nf.grouping[0] == nf.decimal {
		return nf, fmt.Errorf("grouping separator %q equals the decimal separator", grouping)
	}
	return nf, nil
}

func (nf numberFormat) isGrouping(r rune) bool {
	for _, g := range nf.grouping {
		if r == g {
			return true
		}
	}
	return false
}

// describe returns the format as a finance person would recognise it.
func (nf numberFormat) describe() string {
	example := "1234" + string(nf.decimal) + "56"
	if len(nf.grouping) > 0 {
		example = "1" + string(nf.grouping[0]) + "234" + string(nf.decimal) + "56"
	}
	return example
}

const amountFormatHint = "write the amount as digits with an optional decimal part, for example %s, " +
	"or declare the number format (decimal, grouping) in the source profile"

// parseAmount parses an amount under the declared number format. It accepts
// only digits, the declared decimal separator and the declared grouping
// separator between groups of three digits. It never guesses a format and
// never rounds. It returns the value and its number of decimals as written, so
// "12.500" has 3 even though its value fits 2.
func parseAmount(text string, nf numberFormat) (decimal.Decimal, int, *finding) {
	hint := fmt.Sprintf(amountFormatHint, nf.describe())
	if f := amountCharacterFinding(text, hint); f != nil {
		return decimal.Zero, 0, f
	}

	intPart, fracPart, f := splitAmount(text, nf, hint)
	if f != nil {
		return decimal.Zero, 0, f
	}
	return amountValue(intPart, fracPart)
}

// plainAmountMinor converts an amount written as digits with an optional
// decimal separator and at most scale decimals ("1234.5") to minor units
// without building a decimal. It returns false for anything else, which
// parseAmount then parses or explains; for the amounts it accepts, both agree.
func plainAmountMinor(text string, decimalSep rune, scale int) (int64, bool) {
	var minor int64
	digits, places, separator := 0, 0, false
	for i := 0; i < len(text); i++ {
		b := text[i]
		switch {
		case b >= '0' && b <= '9' && separator:
			places++
		case b >= '0' && b <= '9':
			if digits > 0 || b != '0' {
				digits++
			}
		case rune(b) == decimalSep && !separator && i > 0:
			separator = true
			continue
		default:
			return 0, false
		}
		// Overflow past 12 digits is harmless: such a text is rejected below.
		minor = minor*10 + int64(b-'0')
	}

	if digits > payrun.MaxAmountDigits || places > scale || (separator && places == 0) || minor == 0 {
		return 0, false
	}
	for ; places < scale; places++ {
		minor *= 10
	}
	return minor, true
}

// amountCharacterFinding rejects signs, currency symbols and letters.
func amountCharacterFinding(text, hint string) *finding {
	if strings.HasPrefix(text, "-") || strings.HasPrefix(text, "(") && strings.HasSuffix(text, ")") {
		return &finding{CodeAmountNotPositive, "amount is negative; a payout amount must be positive",
			"remove the row, or enter the positive amount to pay"}
	}
	if notANumber(text) {
		return &finding{CodeAmountInvalid, "amount is not a decimal number",
			"enter the amount as digits with an optional decimal part, for example 1234.56"}
	}
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Sc, r):
			return &finding{CodeAmountSymbol, "amount contains a currency symbol",
				"remove the symbol; the currency column gives the currency"}
		case unicode.IsLetter(r) && (looksScientific(text) || exponentForm(text)):
			return &finding{CodeAmountInvalid, "amount is in scientific notation", hint}
		case unicode.IsLetter(r):
			return &finding{CodeAmountSymbol, "amount contains letters",
				"remove the currency code or text; the currency column gives the currency"}
		}
	}
	return nil
}

// exponentForm reports text such as "1e3" or "2.5E-2": digits, an optional
// fraction, e or E, an optional sign and digits.
func exponentForm(text string) bool {
	mantissa, exp, ok := strings.Cut(strings.ToLower(text), "e")
	if !ok || mantissa == "" || strings.Trim(mantissa, "0123456789.,") != "" {
		return false
	}
	exp = strings.TrimLeft(exp, "+-")
	return exp != "" && strings.Trim(exp, "0123456789") == ""
}

// notANumber reports spellings that number parsers accept but that are no
// amount: hexadecimal, NaN and infinities.
func notANumber(text string) bool {
	lower := strings.ToLower(strings.TrimLeft(text, "+"))
	switch lower {
	case "nan", "inf", "infinity":
		return true
	}
	return strings.HasPrefix(lower, "0x")
}

// splitAmount splits text into its integer digits and fraction digits.
func splitAmount(text string, nf numberFormat, hint string) (string, string, *finding) {
	intText, fracText, hasDecimal := strings.Cut(text, string(nf.decimal))
	if hasDecimal && strings.ContainsRune(fracText, nf.decimal) {
		return "", "", &finding{CodeAmountInvalid, "amount has more than one decimal separator", hint}
	}
	if hasDecimal && !allDigits(fracText) {
		return "", "", separatorFinding(text, nf, hint)
	}

	intDigits, ok := ungroup(intText, nf)
	if !ok {
		return "", "", separatorFinding(text, nf, hint)
	}
	return intDigits, fracText, nil
}

// ungroup removes declared grouping separators, which must sit between groups
// of three digits ("1,234,567").
func ungroup(s string, nf numberFormat) (string, bool) {
	if allDigits(s) {
		return s, true
	}
	if len(nf.grouping) == 0 || s == "" {
		return "", false
	}

	runes := []rune(s)
	var groups []string
	start := 0
	for i, r := range runes {
		if nf.isGrouping(r) {
			groups = append(groups, string(runes[start:i]))
			start = i + 1
		}
	}
	groups = append(groups, string(runes[start:]))

	for i, g := range groups {
		if !allDigits(g) || (i > 0 && len(g) != 3) || (i == 0 && len(g) > 3) {
			return "", false
		}
	}
	return strings.Join(groups, ""), true
}

// separatorFinding explains an amount whose separators do not fit the format.
func separatorFinding(text string, nf numberFormat, hint string) *finding {
	other := ','
	if nf.decimal == ',' {
		other = '.'
	}
	if !strings.ContainsRune(text, other) || nf.isGrouping(other) {
		return &finding{CodeAmountInvalid, "amount is not a number in the source's number format", hint}
	}

	grouping := &finding{CodeAmountGrouping, fmt.Sprintf(
		"amount contains %q, which the source's number format does not declare as a thousands separator", other), hint}
	if strings.ContainsRune(text, nf.decimal) || strings.Count(text, string(other)) > 1 {
		return grouping
	}
	before, after, _ := strings.Cut(text, string(other))
	switch {
	case !allDigits(before) || !allDigits(after):
		return &finding{CodeAmountInvalid, "amount is not a number in the source's number format", hint}
	case len(after) == 3:
		// "1,234" is a thousands separator in one locale and a decimal comma
		// in another; payrun does not guess.
		return grouping
	}
	return &finding{CodeAmountDecimalSep, fmt.Sprintf(
		"amount uses %q as decimal separator, but the source's number format declares %q", other, nf.decimal), hint}
}

// amountValue builds the decimal from its digit strings and checks its size.
func amountValue(intPart, fracPart string) (decimal.Decimal, int, *finding) {
	significant := strings.TrimLeft(intPart, "0")
	if len(significant) > payrun.MaxAmountDigits {
		return decimal.Zero, 0, &finding{CodeAmountTooManyDigits,
			fmt.Sprintf("amount has more than %d digits before the decimal separator", payrun.MaxAmountDigits),
			"check the amount; Anton accepts at most 12 integer digits"}
	}
	if intPart == "" {
		intPart = "0"
	}

	text := intPart
	if fracPart != "" {
		text += "." + fracPart
	}
	value, err := decimal.NewFromString(text)
	if err != nil {
		return decimal.Zero, 0, &finding{CodeAmountInvalid, "amount is not a number", "write the amount as digits"}
	}
	if !value.IsPositive() {
		return decimal.Zero, 0, &finding{CodeAmountNotPositive, "amount is zero; a payout amount must be positive",
			"remove the row, or enter the amount to pay"}
	}
	return value, len(fracPart), nil
}

// roundExcelNumber rounds the stored value of a numeric XLSX cell to 15
// significant digits, the precision Excel displays and computes with, so a
// stored 12.339999999999999 becomes 12.34. It never rounds further.
func roundExcelNumber(raw string) (decimal.Decimal, error) {
	value, err := decimal.NewFromString(raw)
	if err != nil {
		return decimal.Zero, fmt.Errorf("numeric cell value %q: %w", raw, err)
	}
	if value.IsZero() {
		return value, nil
	}

	// value = coefficient × 10^exponent, so its leading digit sits at the power
	// digits+exponent-1, and 15 significant digits end at decimal place
	// 15-(digits+exponent).
	digits := int32(len(strings.TrimPrefix(value.Coefficient().String(), "-")))
	magnitude := digits + value.Exponent()
	return value.Round(15 - magnitude), nil
}
