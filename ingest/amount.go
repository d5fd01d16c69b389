package ingest

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

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
	// declared is false when the profile sets neither separator, so "."
	// separates decimals by default and "10.000" may still mean ten thousand.
	declared bool
}

// newNumberFormat checks a profile's decimal and grouping settings.
func newNumberFormat(decimalSep, grouping string) (numberFormat, error) {
	nf := numberFormat{decimal: '.', declared: decimalSep != "" || grouping != ""}
	switch decimalSep {
	case "", ".":
	case ",":
		nf.decimal = ','
	default:
		return nf, fmt.Errorf("decimal separator %q is not supported: use \".\" or \",\"", decimalSep)
	}

	switch grouping {
	case "":
	case ",", ".":
		nf.grouping = []rune(grouping)
	case "'":
		// Swiss locales group with an apostrophe, which the CLDR data of
		// de-CH writes as U+2019, the right single quotation mark.
		nf.grouping = []rune{'\'', '\u2019'}
	case " ", "space":
		// French Excel groups with U+202F and older French locales with
		// U+00A0. Other programs write the thin or the figure space.
		nf.grouping = []rune{' ', '\u00A0', '\u202F', '\u2009', '\u2007'}
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

// maxAmountText bounds the text of an amount: 12 integer digits with their
// grouping separators and 3 decimals take 20 bytes, and a few spaces of a
// declared grouping in UTF-8 take a few more.
const maxAmountText = 64

// parseAmount parses an amount under the declared number format. It accepts
// only digits, the declared decimal separator and the declared grouping
// separator between groups of three digits. It never guesses a format and
// never rounds. It returns the value and its number of decimals as written, so
// "12.500" has 3 even though its value fits 2.
func parseAmount(text string, nf numberFormat) (decimal.Decimal, int, *finding) {
	if len(text) > maxAmountText {
		// No valid amount is this long, and the checks below would take
		// time in proportion to a text of up to 1 MiB.
		return decimal.Zero, 0, &finding{CodeAmountTooManyDigits,
			fmt.Sprintf("amount has %d characters, more than any amount payrun accepts", len(text)),
			"check the amount; Anton accepts at most 12 integer digits"}
	}
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
	if f := signFinding(text); f != nil {
		return f
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

// signFinding rejects a negative amount in the forms that spreadsheets and
// accounting exports write. These are a leading or trailing minus, in ASCII
// or as a Unicode minus or dash, and accounting brackets. A leading plus is
// rejected too, because an amount is written without a sign.
func signFinding(text string) *finding {
	first, _ := utf8.DecodeRuneInString(text)
	last, _ := utf8.DecodeLastRuneInString(text)
	switch {
	case isMinus(first), first == '(' && last == ')':
		return &finding{CodeAmountNotPositive, "amount is negative; a payout amount must be positive",
			"remove the row, or enter the positive amount to pay"}
	case isMinus(last):
		return &finding{CodeAmountNotPositive,
			"amount ends with a minus sign, which marks a negative amount in some accounting exports; a payout amount must be positive",
			"remove the row, or enter the positive amount to pay without a sign"}
	case first == '+' || first == '\uFF0B':
		return &finding{CodeAmountInvalid, "amount starts with a plus sign",
			"enter the amount without a sign, for example 1234.56"}
	case first == '\'' || first == '\u2019':
		return &finding{CodeAmountInvalid,
			"amount starts with an apostrophe, the mark that keeps a spreadsheet cell as text",
			"remove the apostrophe and re-export"}
	case last == '%':
		return &finding{CodeAmountInvalid, "amount is a percentage, not an amount of money",
			"enter the amount to pay in the currency's units"}
	}
	return nil
}

// isGroupingMark reports the spaces and apostrophes that some locales group
// thousands with. The separators "," and "." are handled on their own.
func isGroupingMark(r rune) bool {
	switch r {
	case ' ', '\u00A0', '\u202F', '\u2009', '\u2007', '\'', '\u2019':
		return true
	}
	return false
}

// isMinus reports the hyphen-minus and the characters that look like it in a
// number: the minus sign U+2212, the hyphen, figure dash and en dash, and
// the small and full-width hyphen-minus.
func isMinus(r rune) bool {
	switch r {
	case '-', '\u2212', '\u2010', '\u2012', '\u2013', '\uFE63', '\uFF0D':
		return true
	}
	return false
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
		return "", "", repeatedDecimalFinding(text, nf, hint)
	}
	if hasDecimal && fracText == "" && intText != "" {
		return "", "", &finding{CodeAmountInvalid, "amount ends with the decimal separator",
			"enter the decimals after it, or remove it, for example 5 or 5" + string(nf.decimal) + "00"}
	}
	if hasDecimal && !allDigits(fracText) {
		return "", "", separatorFinding(text, nf, hint)
	}
	if hasDecimal && intText == "" {
		return "", "", &finding{CodeAmountInvalid, "amount starts with the decimal separator",
			"enter a digit before it, for example 0" + string(nf.decimal) + "50"}
	}

	intDigits, ok := ungroup(intText, nf)
	if !ok && isGroupedDigits(intText, nf) && intText[0] == '0' {
		return "", "", &finding{CodeAmountDecimalSep,
			"amount has a thousands separator after a leading 0, so it is probably a decimal separator, " +
				"which the source's number format does not declare", hint}
	}
	if !ok && isGroupedDigits(intText, nf) {
		return "", "", &finding{CodeAmountInvalid,
			"amount has a thousands separator that does not separate groups of three digits, " +
				"as in 1.23.4 or the Indian 1,23,456",
			"remove the thousands separators or put them every three digits, for example " + nf.describe()}
	}
	if !ok {
		return "", "", separatorFinding(text, nf, hint)
	}
	return intDigits, fracText, nil
}

// isGroupedDigits reports whether s consists of digits and the declared
// grouping separators only, and contains a separator.
func isGroupedDigits(s string, nf numberFormat) bool {
	grouped := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case nf.isGrouping(r):
			grouped = true
		default:
			return false
		}
	}
	return grouped
}

// repeatedDecimalFinding explains an amount with the decimal separator more
// than once. Where the profile declares no number format and every part
// after the first has three digits ("1.234.567"), the separator groups
// thousands.
func repeatedDecimalFinding(text string, nf numberFormat, hint string) *finding {
	parts := strings.Split(text, string(nf.decimal))
	grouped := !nf.declared && len(parts[0]) >= 1 && len(parts[0]) <= 3 && allDigits(parts[0])
	for _, part := range parts[1:] {
		grouped = grouped && len(part) == 3 && allDigits(part)
	}
	if !grouped {
		return &finding{CodeAmountInvalid, "amount has more than one decimal separator", hint}
	}
	return &finding{CodeAmountGrouping, fmt.Sprintf(
		"amount contains %q more than once, so it probably separates thousands, "+
			"which the source's number format does not declare", nf.decimal), ambiguousThousandsHint}
}

// ambiguousThousandsHint is the hint for an amount such as "1.234" whose
// separator the profile leaves open.
const ambiguousThousandsHint = `if "." separates thousands in this file, declare decimal = "," and grouping = "." ` +
	`in the source profile (or pass --decimal , --grouping .); if it separates decimals, declare decimal = "."`

// ambiguousThousandsFinding returns the finding for an amount that
// ambiguousThousands reports.
func ambiguousThousandsFinding(text, code string) *finding {
	return &finding{CodeAmountGrouping, fmt.Sprintf(
		`amount %s is %s %s if "." separates decimals and %s %s if it separates thousands, `+
			"and the source profile declares neither",
		text, text, code, strings.Replace(text, ".", "", 1), code), ambiguousThousandsHint}
}

// ambiguousThousands reports an amount such as "1.234" or "10.000" in a
// currency with three or more decimals, read under a number format that the
// profile does not declare. "." then separates decimals by default, but the
// same text means 1234 in a German or Italian file, and no check can tell.
// It allocates nothing, because every row of a file passes through it.
func ambiguousThousands(text string, nf numberFormat, scale int) bool {
	if nf.declared || scale < 3 {
		return false
	}
	point := strings.IndexByte(text, '.')
	if point < 1 || point > 3 || len(text)-point-1 != 3 || text[0] == '0' {
		return false
	}
	return allDigits(text[:point]) && allDigits(text[point+1:])
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
	if groups[0][0] == '0' {
		// A first group of 0, as in "0.250", groups no thousands. The
		// separator is a decimal separator there, and 250 would be a
		// thousandfold amount.
		return "", false
	}
	return strings.Join(groups, ""), true
}

// separatorFinding explains an amount whose separators do not fit the format.
func separatorFinding(text string, nf numberFormat, hint string) *finding {
	for _, r := range text {
		if isGroupingMark(r) && !nf.isGrouping(r) {
			return &finding{CodeAmountGrouping, fmt.Sprintf(
				"amount contains %s, which the source's number format does not declare as a thousands separator",
				describeRune(r)), hint}
		}
	}

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
