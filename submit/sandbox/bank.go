package sandbox

import (
	"fmt"
	"regexp"
)

// ibanLengths is the IBAN length per country, as published in the SWIFT IBAN
// Registry (the ISO 13616 registration authority).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
	"BH": 22, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22,
	"DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27,
	"GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28,
	"IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
	"LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
	"ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24,
	"PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31,
	"SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
	"TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

var (
	ibanShape          = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$`)
	bicPattern         = regexp.MustCompile(`^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`)
	sortCodePattern    = regexp.MustCompile(`^\d{6}$`)
	ukAccountPattern   = regexp.MustCompile(`^\d{8}$`)
	routingPattern     = regexp.MustCompile(`^\d{9}$`)
	usAccountPattern   = regexp.MustCompile(`^\d{4,17}$`)
	swiftAccountFormat = regexp.MustCompile(`^[A-Z0-9]{1,34}$`)
)

// checkIBAN validates a normalised IBAN (uppercase, no spaces): the shape,
// the length of its country and the ISO 7064 mod-97 check digits.
func checkIBAN(iban string) error {
	if !ibanShape.MatchString(iban) {
		return fmt.Errorf("must be an IBAN in uppercase without spaces, such as DE89370400440532013000")
	}
	want, ok := ibanLengths[iban[:2]]
	if !ok {
		return fmt.Errorf("country %s does not use IBANs", iban[:2])
	}
	if len(iban) != want {
		return fmt.Errorf("is %d characters long, but %s IBANs have %d", len(iban), iban[:2], want)
	}
	if ibanMod97(iban) != 1 {
		return fmt.Errorf("check digits do not match (mod-97): a character is probably mistyped")
	}
	return nil
}

// ibanMod97 moves the first four characters to the end, turns letters into
// 10..35 and returns the number mod 97, digit by digit.
func ibanMod97(iban string) int {
	rearranged := iban[4:] + iban[:4]
	remainder := 0
	for _, r := range rearranged {
		switch {
		case r >= '0' && r <= '9':
			remainder = (remainder*10 + int(r-'0')) % 97
		default:
			value := int(r-'A') + 10
			remainder = (remainder*100 + value) % 97
		}
	}
	return remainder
}

// checkABA validates a US routing number: nine digits whose weighted sum with
// the weights 3, 7, 1 repeated is a multiple of 10.
func checkABA(routing string) error {
	if !routingPattern.MatchString(routing) {
		return fmt.Errorf("must be 9 digits; a leading zero may have been dropped")
	}
	weights := [3]int{3, 7, 1}
	sum := 0
	for i, r := range routing {
		sum += int(r-'0') * weights[i%3]
	}
	if sum%10 != 0 {
		return fmt.Errorf("checksum does not match (ABA 3-7-1): a digit is probably mistyped")
	}
	return nil
}
