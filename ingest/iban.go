package ingest

import (
	"fmt"
	"strings"
)

// ibanLengths is the IBAN length per country as the SWIFT IBAN Registry lists
// them. Territories that use another country's IBAN format, such as the French
// overseas departments under FR, are not listed separately.
// NOTE: the table was written without a copy of the registry at hand; check a
// newly added country against the registry's current release.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
	"BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
	"DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
	"FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
	"GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
	"LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
	"MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
	"PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
	"SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
	"SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
	"YE": 30,
}

const ibanHint = "copy the IBAN again from the beneficiary's bank statement or invoice"

// normaliseIBAN removes spaces and uppercases, as people write IBANs in groups
// of four ("de89 3704 0044 0532 0130 00").
func normaliseIBAN(s string) string {
	return toUpperASCII(removeSpaces(s))
}

// checkIBAN validates a normalised IBAN: characters, country, the country's
// length, and the ISO 7064 mod-97 check digits.
func checkIBAN(iban string) *finding {
	if strings.HasPrefix(iban, "IBAN") {
		// No country code is IB, so the value starts with the label that
		// invoices and statements print before the IBAN.
		return &finding{CodeIBANInvalid, "the value starts with the label IBAN",
			"enter only the IBAN itself, without the word IBAN or a colon"}
	}
	for i := 0; i < len(iban); i++ {
		c := iban[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			r, _ := firstRuneOutside(iban, isUpperAlnumRune)
			return &finding{CodeIBANInvalid,
				"IBAN contains " + describeRune(r) + ", but only letters A-Z and digits are allowed",
				"enter the IBAN without dashes, dots or other punctuation; spaces between groups are fine"}
		}
	}
	if len(iban) < 5 || !isUpperLetters(iban[:2]) || !allDigits(iban[2:4]) {
		return &finding{CodeIBANInvalid,
			"IBAN must start with a two-letter country code and two check digits", ibanHint}
	}

	want, ok := ibanLengths[iban[:2]]
	if !ok {
		return &finding{CodeIBANCountry,
			fmt.Sprintf("IBAN country %s does not use IBANs", iban[:2]), ibanHint}
	}
	if len(iban) != want {
		return &finding{CodeIBANLength,
			fmt.Sprintf("IBAN has %d characters; %s IBANs have %d", len(iban), iban[:2], want), ibanHint}
	}
	if ibanMod97(iban) != 1 {
		return &finding{CodeIBANChecksum,
			"IBAN check digits do not match: a character is probably mistyped", ibanHint}
	}
	return nil
}

// ibanMod97 computes the ISO 13616 remainder of an IBAN of ASCII letters and
// digits. The first four characters move to the end, letters become 10..35,
// and the number is reduced mod 97 digit by digit, so the int stays below 9700.
func ibanMod97(iban string) int {
	rearranged := iban[4:] + iban[:4]
	remainder := 0
	for i := 0; i < len(rearranged); i++ {
		c := rearranged[i]
		if c >= 'A' && c <= 'Z' {
			remainder = (remainder*100 + int(c-'A'+10)) % 97
		} else {
			remainder = (remainder*10 + int(c-'0')) % 97
		}
	}
	return remainder
}

// checkBIC validates the shape of a BIC (ISO 9362): four letters for the bank,
// a country code, two letters or digits for the location, and an optional
// three-character branch.
func checkBIC(bic string) *finding {
	hint := "a BIC has 8 or 11 characters, for example DEUTDEFF or DEUTDEFF500"
	if len(bic) != 8 && len(bic) != 11 {
		return &finding{CodeBICInvalid, fmt.Sprintf("BIC has %d characters, not 8 or 11", len(bic)), hint}
	}
	if !isUpperLetters(bic[:4]) || !isUpperAlnum(bic[6:]) {
		return &finding{CodeBICInvalid, "BIC is not four letters, a country code and a location code", hint}
	}
	if !isCountry(bic[4:6]) {
		return &finding{CodeBICInvalid, fmt.Sprintf("BIC country %s is not an ISO 3166 country code", bic[4:6]), hint}
	}
	return nil
}

func isUpperLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return s != ""
}

func isUpperAlnumRune(r rune) bool { return r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' }

func isUpperAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func toUpperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
