package payrun

import "strings"

// tenderCodes are the ISO 4217 codes that a payout can be made in. They are
// list one of ISO 4217 less the fund codes (BOV, CHE, CHW, CLF, COU, MXV,
// USN, UYI, UYW) and the codes of metals, bond units, XDR, XSU, XUA, XTS
// (testing) and XXX (no currency). Replaced currencies are left out too: HRK
// (by EUR in 2023), BGN (by EUR on 2026-01-01), SLL (by SLE), ZWL (by ZWG),
// ANG (by XCG) and CUC.
// golang.org/x/text/currency cannot decide this, because it accepts withdrawn
// codes such as DEM and VEF and lacks newer ones such as VES.
// NOTE: ISO amends the list a few times a year, and this copy was written
// without the current list at hand. Check it against list one when a code
// is reported missing or withdrawn.
var tenderCodes = func() map[string]bool {
	const codes = `AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB
		BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD
		EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS
		INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD
		LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK
		NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
		SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH
		UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG`
	m := make(map[string]bool, 160)
	for _, code := range strings.Fields(codes) {
		m[code] = true
	}
	return m
}()

// newerScales are the ISO 4217 minor units of the tender codes that are
// missing from golang.org/x/text/currency v0.44.0.
var newerScales = map[string]int{"MRU": 2, "SLE": 2, "VED": 2, "VES": 2, "XCG": 2, "ZWG": 2}
