// Package samplegen writes large, valid, fictitious payout files for chaos
// tests and benchmarks: EUR rows paid by IBAN, USD rows by ACH and GBP rows by
// Faster Payments, spread over a fixed number of beneficiaries.
package samplegen

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
)

// Header is the column order of generated files.
var Header = []string{"reference", "amount", "currency", "external_ref", "beneficiary_type",
	"first_name", "last_name", "business_name", "email", "country", "iban", "bic",
	"routing_number", "account_number", "account_type", "sort_code", "phone",
	"date_of_birth", "nationality", "address_line1", "city", "state", "postal_code"}

// Options configure a generated file.
type Options struct {
	Rows int
	// Beneficiaries is the number of distinct payees; default Rows/10, at least 1.
	Beneficiaries int
	// Prefix starts every reference, so files of different runs never share one.
	Prefix string
	Seed   uint64
}

// routingNumbers are ABA routing numbers with valid 3-7-1 checksums.
var routingNumbers = []string{"021000021", "011000015", "026009593", "121000358", "011000138"}

var firstNames = []string{"Anna", "Ben", "Clara", "David", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas"}
var lastNames = []string{"Keller", "Lopez", "Meyer", "Nowak", "Olsen", "Patel", "Quinn", "Rossi", "Schmidt", "Tanaka"}

// Write writes a CSV payout file with a header and o.Rows valid rows.
func Write(w io.Writer, o Options) error {
	if o.Beneficiaries <= 0 {
		o.Beneficiaries = max(1, o.Rows/10)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	for i := 0; i < o.Rows; i++ {
		b := i % o.Beneficiaries
		cents := 100 + rng.IntN(500000)
		if err := cw.Write(row(o.Prefix, i, b, cents)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// row returns one row for beneficiary b; its currency follows b, so one payee
// always has one instrument.
func row(prefix string, i, b, cents int) []string {
	first, last := firstNames[b%len(firstNames)], lastNames[(b/len(firstNames))%len(lastNames)]
	amount := fmt.Sprintf("%d.%02d", cents/100, cents%100)
	r := map[string]string{
		"reference": fmt.Sprintf("%s%07d", prefix, i+1), "amount": amount,
		"external_ref": fmt.Sprintf("%sEMP-%05d", prefix, b), "beneficiary_type": "individual",
		"first_name": first, "last_name": last,
		"email":         fmt.Sprintf("payee%05d@example.com", b),
		"date_of_birth": fmt.Sprintf("19%02d-%02d-%02d", 60+b%40, 1+b%12, 1+b%28),
		"address_line1": fmt.Sprintf("%d Example Street", 1+b%200),
	}
	switch b % 3 {
	case 0:
		r["currency"], r["country"], r["nationality"] = "EUR", "DE", "DE"
		r["iban"] = germanIBAN(37040044, uint64(1000000000+b))
		r["phone"], r["city"], r["postal_code"] = fmt.Sprintf("+4915123%06d", b%1000000), "Berlin", "10115"
	case 1:
		r["currency"], r["country"], r["nationality"] = "USD", "US", "US"
		r["routing_number"] = routingNumbers[b%len(routingNumbers)]
		r["account_number"] = fmt.Sprintf("%010d", 4000000000+b)
		r["account_type"] = "checking"
		r["phone"], r["city"], r["state"], r["postal_code"] = fmt.Sprintf("+1202555%04d", b%10000), "New York", "NY", "10001"
	default:
		r["currency"], r["country"], r["nationality"] = "GBP", "GB", "GB"
		r["sort_code"] = fmt.Sprintf("%06d", 200000+b%700000)
		r["account_number"] = fmt.Sprintf("%08d", 30000000+b)
		r["phone"], r["city"], r["postal_code"] = fmt.Sprintf("+447911%06d", b%1000000), "London", "EC1A 1BB"
	}
	out := make([]string, len(Header))
	for j, col := range Header {
		out[j] = r[col]
	}
	return out
}

// germanIBAN builds a German IBAN from a bank code and an account number, with
// the ISO 13616 mod-97 check digits.
func germanIBAN(bankCode uint32, account uint64) string {
	bban := fmt.Sprintf("%08d%010d", bankCode, account%10000000000)
	// Move "DE00" to the end and turn letters into numbers: D=13, E=14.
	n, _ := new(big.Int).SetString(bban+"131400", 10)
	check := 98 - new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("DE%02d%s", check, bban)
}
