package ingest

import (
	"strings"
	"testing"
)

// wantMessage checks that the row has the error code on the column and that
// its message contains word.
func wantMessage(t *testing.T, rec Record, column, code, word string) {
	t.Helper()
	p := wantError(t, rec, column, code)
	if !strings.Contains(p.Message, word) {
		t.Errorf("row %d: message %q does not contain %q", rec.Row, p.Message, word)
	}
}

func TestCurrencyCodes(t *testing.T) {
	records, _ := readFile(t, "currencies.csv", Options{})
	rows := byReference(records)

	wantAmount(t, rows["CU-lower"], "10.00")
	wantAmount(t, rows["CU-spaces"], "10.00")
	wantAmount(t, rows["CU-xof"], "1000")
	wantAmount(t, rows["CU-xaf"], "1000")
	wantAmount(t, rows["CU-xcd"], "10.00")
	wantAmount(t, rows["CU-ves"], "10.00")
	wantAmount(t, rows["CU-sle"], "10.00")
	wantAmount(t, rows["CU-zwg"], "10.00")

	wantMessage(t, rows["CU-dem"], "currency", CodeCurrencyInvalid, "replaced by EUR")
	wantMessage(t, rows["CU-hrk"], "currency", CodeCurrencyInvalid, "replaced by EUR")
	wantMessage(t, rows["CU-vef"], "currency", CodeCurrencyInvalid, "replaced by VES")
	wantMessage(t, rows["CU-sll"], "currency", CodeCurrencyInvalid, "replaced by SLE")
	wantMessage(t, rows["CU-che"], "currency", CodeCurrencyInvalid, "a fund")
	wantMessage(t, rows["CU-xau"], "currency", CodeCurrencyInvalid, "precious metal")
	wantMessage(t, rows["CU-xts"], "currency", CodeCurrencyInvalid, "testing")
	wantMessage(t, rows["CU-xxx"], "currency", CodeCurrencyInvalid, "no currency")
	wantMessage(t, rows["CU-cyrillic"], "currency", CodeCurrencyInvalid, "U+0415")
	wantMessage(t, rows["CU-fullwidth"], "currency", CodeCurrencyInvalid, "U+FF25")
	wantMessage(t, rows["CU-symbol"], "currency", CodeCurrencyInvalid, "U+20AC")
}

func TestIdentifierSpellings(t *testing.T) {
	records, _ := readFile(t, "identifiers.csv", Options{})
	rows := byReference(records)

	for _, ref := range []string{"ID-no-break", "ID-narrow", "ID-lower", "ID-zero-width", "ID-bic-11"} {
		rec := rows[ref]
		wantValid(t, rec)
		if rec.Instruction == nil {
			continue
		}
		if got := rec.Instruction.Beneficiary.Bank.IBAN.Reveal(); got != "DE89370400440532013000" {
			t.Errorf("%s: IBAN %q, want DE89370400440532013000", ref, got)
		}
	}
	if in := rows["ID-lower"].Instruction; in != nil && in.Beneficiary.Bank.BIC != "DEUTDEFF" {
		t.Errorf("BIC %q, want DEUTDEFF", in.Beneficiary.Bank.BIC)
	}
	if in := rows["ID-bic-11"].Instruction; in != nil && in.Beneficiary.Bank.BIC != "DEUTDEFF500" {
		t.Errorf("BIC %q, want DEUTDEFF500 as written", in.Beneficiary.Bank.BIC)
	}

	wantMessage(t, rows["ID-dash"], "iban", CodeIBANInvalid, `"-" (U+002D)`)
	wantMessage(t, rows["ID-dot"], "iban", CodeIBANInvalid, `"." (U+002E)`)
	wantMessage(t, rows["ID-label"], "iban", CodeIBANInvalid, "label IBAN")
	wantMessage(t, rows["ID-label-colon"], "iban", CodeIBANInvalid, "label IBAN")
	wantMessage(t, rows["ID-bic-9"], "bic", CodeBICInvalid, "9 characters")
}

func TestSortCodeSpellings(t *testing.T) {
	records, _ := readFile(t, "identifiers.csv", Options{})
	rows := byReference(records)

	for _, ref := range []string{"ID-sort-dashes", "ID-sort-spaces", "ID-sort-plain", "ID-sort-no-break"} {
		rec := rows[ref]
		wantValid(t, rec)
		if rec.Instruction == nil {
			continue
		}
		if got := rec.Instruction.Beneficiary.Bank.SortCode; got != "200000" {
			t.Errorf("%s: sort code %q, want 200000", ref, got)
		}
	}
	wantMessage(t, rows["ID-sort-en-dash"], "sort_code", CodeSortCodeInvalid, "U+2013")
	wantMessage(t, rows["ID-account-spaces"], "account_number", CodeAccountInvalid, "only digits")
}

// TestReferenceSpellings checks which references are one reference: trailing
// spaces, no-break spaces and zero-width characters do not count, but case
// does, because Anton matches references exactly.
func TestReferenceSpellings(t *testing.T) {
	records, _ := readFile(t, "references.csv", Options{})
	if len(records) != 8 {
		t.Fatalf("%d records, want 8", len(records))
	}

	// Rows 2 to 7 are three pairs, and each row of a pair is invalid. The
	// earlier row learns of its duplicate later, as a late duplicate.
	late := make(map[int]bool)
	for _, rec := range records {
		for _, d := range rec.LateDuplicates {
			late[d.Row] = true
		}
	}
	for _, rec := range records[:6] {
		if rec.Row%2 == 1 {
			wantError(t, rec, "reference", CodeDuplicateReference)
			continue
		}
		if !late[rec.Row] {
			t.Errorf("row %d (%q) is not reported as a late duplicate", rec.Row, rec.Raw.Get("reference"))
		}
	}

	wantValid(t, records[6])
	wantValid(t, records[7])
	if _, ok := findProblem(records[7], CodePossibleDuplicate); !ok {
		t.Errorf("row %d (d-1) pays what row %d (D-1) pays without a warning", records[7].Row, records[6].Row)
	}
}

// TestDefaultsFillBlankCells checks that an empty cell, a cell of spaces and
// a cell of a no-break space all take the profile's default, and a filled
// cell keeps its value.
func TestDefaultsFillBlankCells(t *testing.T) {
	opts := Options{Profile: Profile{Defaults: Defaults{Method: "SWIFT", SourceCurrency: "usd"}}}
	records, _ := readFile(t, "defaults_cells.csv", opts)
	rows := byReference(records)

	for _, ref := range []string{"DF-empty", "DF-spaces", "DF-no-break"} {
		rec := rows[ref]
		wantValid(t, rec)
		if rec.Instruction == nil {
			continue
		}
		if rec.Instruction.Method != "swift" || rec.Instruction.SourceCurrency != "USD" {
			t.Errorf("%s: method %q source currency %q, want swift and USD", ref,
				rec.Instruction.Method, rec.Instruction.SourceCurrency)
		}
	}
	if in := rows["DF-cell"].Instruction; in == nil || in.Method != "wire" || in.SourceCurrency != "EUR" {
		t.Errorf("DF-cell: instruction %+v, want method wire and source currency EUR from the cells", in)
	}
}

// TestInvalidDefaultsNamed checks that an invalid default names the config
// file, since the cell it replaces is empty.
func TestInvalidDefaultsNamed(t *testing.T) {
	opts := Options{Profile: Profile{Defaults: Defaults{Method: "carrier", SourceCurrency: "DEM"}}}
	records, _ := readFile(t, "defaults_cells.csv", opts)
	rows := byReference(records)

	wantMessage(t, rows["DF-empty"], "method", CodeMethodInvalid, "default method")
	wantMessage(t, rows["DF-empty"], "source_currency", CodeCurrencyInvalid, "default of the config file")
	wantValid(t, rows["DF-cell"])
}
