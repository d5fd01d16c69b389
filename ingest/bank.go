package ingest

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/language"

	"github.com/payrun/payrun"
)

// isCountry reports whether code is an ISO 3166-1 alpha-2 country code.
// "UK" is only reserved in ISO 3166, so it is rejected (the code is GB).
func isCountry(code string) bool {
	if len(code) != 2 || !isUpperLetters(code) || code == "UK" {
		return false
	}
	region, err := language.ParseRegion(code)
	return err == nil && region.IsCountry() && region.String() == code
}

func checkCountry(code string) *finding {
	if isCountry(code) {
		return nil
	}
	hint := "use the two-letter ISO 3166 code, for example DE, US or GB"
	if code == "UK" {
		hint = "the ISO 3166 code of the United Kingdom is GB"
	}
	return &finding{CodeCountryInvalid, fmt.Sprintf("%q is not an ISO 3166 country code", code), hint}
}

func checkCurrency(code string) *finding {
	if _, ok := payrun.CurrencyScale(code); ok {
		return nil
	}
	hint := "use the three-letter ISO 4217 code, for example EUR, USD or GBP"
	if successor, ok := replacedCurrencies[code]; ok {
		return &finding{CodeCurrencyInvalid,
			fmt.Sprintf("%s is a withdrawn currency, replaced by %s", code, successor),
			fmt.Sprintf("pay in %s; if the amount was written in %s, convert it first", successor, code)}
	}
	if kind, ok := nonTenderCodes[code]; ok {
		return &finding{CodeCurrencyInvalid,
			fmt.Sprintf("%s is the ISO 4217 code of %s, not a currency a payout can be made in", code, kind), hint}
	}
	if r, found := firstRuneOutside(code, func(r rune) bool { return r >= 'A' && r <= 'Z' }); found {
		return &finding{CodeCurrencyInvalid,
			fmt.Sprintf("currency %q contains %s, but a currency code has three letters A-Z", code, describeRune(r)), hint}
	}
	return &finding{CodeCurrencyInvalid, fmt.Sprintf("%q is not an ISO 4217 currency code", code), hint}
}

// replacedCurrencies maps withdrawn ISO 4217 codes to the codes that
// replaced them. A redenomination changed the amount too (1 VES is 100,000
// VEF), so payrun converts no amount.
var replacedCurrencies = map[string]string{
	"ATS": "EUR", "BEF": "EUR", "BGN": "EUR", "CYP": "EUR", "DEM": "EUR", "EEK": "EUR", "ESP": "EUR",
	"FIM": "EUR", "FRF": "EUR", "GRD": "EUR", "HRK": "EUR", "IEP": "EUR", "ITL": "EUR",
	"LTL": "EUR", "LUF": "EUR", "LVL": "EUR", "MTL": "EUR", "NLG": "EUR", "PTE": "EUR",
	"SIT": "EUR", "SKK": "EUR",
	"ANG": "XCG", "BYR": "BYN", "CUC": "CUP", "GHC": "GHS", "MRO": "MRU", "SLL": "SLE",
	"STD": "STN", "TRL": "TRY", "VEF": "VES", "ZMK": "ZMW", "ZWL": "ZWG",
}

// nonTenderCodes describes the ISO 4217 codes that name no currency of
// payment: funds, precious metals, units of account and test codes.
var nonTenderCodes = map[string]string{
	"BOV": "a fund", "CHE": "a fund", "CHW": "a fund", "CLF": "a fund", "COU": "a fund",
	"MXV": "a fund", "USN": "a fund", "UYI": "a fund", "UYW": "a fund",
	"XAG": "a precious metal", "XAU": "a precious metal", "XPD": "a precious metal",
	"XPT": "a precious metal", "XBA": "a bond market unit", "XBB": "a bond market unit",
	"XBC": "a bond market unit", "XBD": "a bond market unit", "XDR": "the IMF's special drawing right",
	"XSU": "the SUCRE unit of account", "XUA": "the ADB unit of account",
	"XTS": "testing", "XXX": "no currency",
}

const leadingZeroHint = "a spreadsheet probably dropped a leading zero: format the column as Text, " +
	"enter the full number and re-export; payrun never pads it"

// checkRoutingNumber validates an ABA routing number: nine digits whose
// weighted sum 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) is a multiple of 10.
func checkRoutingNumber(s string) *finding {
	if !allDigits(s) {
		return &finding{CodeRoutingInvalid, "routing number must contain only digits",
			"enter the nine-digit ABA routing number without spaces or dashes"}
	}
	if len(s) == 8 {
		return &finding{CodeLeadingZero, "routing number has 8 digits, not 9", leadingZeroHint}
	}
	if len(s) != 9 {
		return &finding{CodeRoutingInvalid, fmt.Sprintf("routing number has %d digits, not 9", len(s)),
			"enter the nine-digit ABA routing number"}
	}
	if !abaChecksumValid(s) {
		return &finding{CodeRoutingChecksum, "routing number fails the ABA checksum: a digit is probably mistyped",
			"copy the routing number again from the beneficiary's bank details"}
	}
	return nil
}

func abaChecksumValid(s string) bool {
	weights := [9]int{3, 7, 1, 3, 7, 1, 3, 7, 1}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(s[i]-'0') * weights[i]
	}
	return sum%10 == 0
}

// normaliseSortCode removes the dashes and spaces people write in UK sort codes
// ("20-00-00", "20 00 00"), including no-break spaces.
func normaliseSortCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func checkSortCode(s string) *finding {
	switch {
	case !allDigits(s):
		r, _ := firstRuneOutside(s, func(r rune) bool { return r >= '0' && r <= '9' })
		return &finding{CodeSortCodeInvalid,
			"sort code contains " + describeRune(r) + ", but only digits, hyphens and spaces are allowed",
			"enter the six-digit sort code, for example 20-00-00"}
	case len(s) == 5:
		return &finding{CodeLeadingZero, "sort code has 5 digits, not 6", leadingZeroHint}
	case len(s) != 6:
		return &finding{CodeSortCodeInvalid, fmt.Sprintf("sort code has %d digits, not 6", len(s)),
			"enter the six-digit sort code, for example 20-00-00"}
	}
	return nil
}

// checkUKAccount validates a UK account number: 8 digits.
func checkUKAccount(s string) *finding {
	switch {
	case !allDigits(s):
		return &finding{CodeAccountInvalid, "UK account number must contain only digits",
			"enter the eight-digit account number"}
	case len(s) == 7:
		return &finding{CodeLeadingZero, "UK account number has 7 digits, not 8", leadingZeroHint}
	case len(s) != 8:
		return &finding{CodeAccountInvalid, fmt.Sprintf("UK account number has %d digits, not 8", len(s)),
			"enter the eight-digit account number"}
	}
	return nil
}

// checkUSAccount validates a US account number: 4 to 17 digits. NACHA's DFI
// account number field has 17 characters. The minimum of 4 is payrun's choice.
func checkUSAccount(s string) *finding {
	if !allDigits(s) {
		return &finding{CodeAccountInvalid, "US account number must contain only digits",
			"enter the account number without spaces or dashes"}
	}
	if len(s) < 4 || len(s) > 17 {
		return &finding{CodeAccountInvalid, fmt.Sprintf("US account number has %d digits, not 4 to 17", len(s)),
			"copy the account number again from the beneficiary's bank details"}
	}
	return nil
}

// checkSWIFTAccount validates an account number for a SWIFT or wire payout:
// letters and digits, at most 34 characters (the IBAN maximum).
func checkSWIFTAccount(s string) *finding {
	if len(s) > 34 || !isUpperAlnum(toUpperASCII(s)) {
		return &finding{CodeAccountInvalid, "account number must be at most 34 letters and digits",
			"copy the account number again from the beneficiary's bank details"}
	}
	return nil
}
