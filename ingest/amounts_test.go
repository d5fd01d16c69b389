package ingest

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// amountCase is the expected result of one row of an amount test file: the
// canonical amount of a valid row, or the code of the amount error and a
// word its message must contain.
type amountCase struct {
	amount, code, word string
}

// checkAmountCases reads a testdata file and compares each row with its case.
func checkAmountCases(t *testing.T, name string, opts Options, cases map[string]amountCase) {
	t.Helper()
	records, _ := readFile(t, name, opts)
	rows := byReference(records)
	if len(rows) != len(cases) {
		t.Errorf("%s has %d rows, want %d", name, len(rows), len(cases))
	}

	for ref, want := range cases {
		rec, ok := rows[ref]
		if !ok {
			t.Errorf("%s has no row %s", name, ref)
			continue
		}
		if want.code == "" {
			wantAmount(t, rec, want.amount)
			continue
		}
		p := wantError(t, rec, "amount", want.code)
		if !strings.Contains(p.Message, want.word) {
			t.Errorf("%s: message %q does not contain %q", ref, p.Message, want.word)
		}
	}
}

func TestAmountFormsWithoutProfile(t *testing.T) {
	checkAmountCases(t, "amount_forms.csv", Options{}, map[string]amountCase{
		"AF-minus-sign":       {code: CodeAmountNotPositive, word: "negative"},
		"AF-en-dash":          {code: CodeAmountNotPositive, word: "negative"},
		"AF-fullwidth-minus":  {code: CodeAmountNotPositive, word: "negative"},
		"AF-trailing-minus":   {code: CodeAmountNotPositive, word: "minus"},
		"AF-brackets":         {code: CodeAmountNotPositive, word: "negative"},
		"AF-hyphen-minus":     {code: CodeAmountNotPositive, word: "negative"},
		"AF-plus":             {code: CodeAmountInvalid, word: "plus sign"},
		"AF-apostrophe":       {code: CodeAmountInvalid, word: "apostrophe"},
		"AF-percent":          {code: CodeAmountInvalid, word: "percentage"},
		"AF-leading-point":    {code: CodeAmountInvalid, word: "starts with the decimal separator"},
		"AF-trailing-point":   {code: CodeAmountInvalid, word: "ends with the decimal separator"},
		"AF-ten-point":        {code: CodeAmountInvalid, word: "ends with the decimal separator"},
		"AF-space":            {code: CodeAmountGrouping, word: "a space"},
		"AF-no-break-space":   {code: CodeAmountGrouping, word: "U+00A0"},
		"AF-narrow-space":     {code: CodeAmountGrouping, word: "U+202F"},
		"AF-apostrophe-group": {code: CodeAmountGrouping, word: "U+0027"},
		"AF-quote-group":      {code: CodeAmountGrouping, word: "U+2019"},
		"AF-points":           {code: CodeAmountGrouping, word: "thousands"},
		"AF-ten-thousand":     {code: CodeAmountTooManyDecimal, word: "3 decimals"},
		"AF-leading-zeros":    {amount: "10.00"},
		"AF-tabs":             {amount: "10.00"},
		"AF-exponent":         {code: CodeAmountInvalid, word: "scientific"},
	})
}

// TestAmountTenThousandHint checks that "10.000" in EUR, without a declared
// number format, names the thousands separator as a possible meaning.
func TestAmountTenThousandHint(t *testing.T) {
	records, _ := readFile(t, "amount_forms.csv", Options{})
	p := wantError(t, byReference(records)["AF-ten-thousand"], "amount", CodeAmountTooManyDecimal)
	if !strings.Contains(p.Hint, `grouping = "."`) {
		t.Errorf("hint %q does not show how to declare \".\" as thousands separator", p.Hint)
	}
}

func TestAmountFormsFrench(t *testing.T) {
	french := Options{Profile: Profile{Decimal: ",", Grouping: "space"}}
	checkAmountCases(t, "amount_forms_fr.csv", french, map[string]amountCase{
		"LC-space":          {amount: "1234.56"},
		"LC-no-break-space": {amount: "1234.56"},
		"LC-narrow-space":   {amount: "1234.56"},
		"LC-thin-space":     {amount: "1234.56"},
		"LC-figure-space":   {amount: "1234.56"},
		"LC-indian":         {code: CodeAmountInvalid, word: "more than one decimal separator"},
		"LC-misplaced":      {code: CodeAmountInvalid, word: "groups of three digits"},
		"LC-double-space":   {code: CodeAmountInvalid, word: "groups of three digits"},
		"LC-plain":          {amount: "1234.56"},
		"LC-point":          {code: CodeAmountDecimalSep, word: "decimal separator"},
	})
}

func TestAmountFormsSwiss(t *testing.T) {
	swiss := Options{Profile: Profile{Decimal: ".", Grouping: "'"}}
	checkAmountCases(t, "amount_forms_ch.csv", swiss, map[string]amountCase{
		"CH-apostrophe": {amount: "1234.56"},
		"CH-quote":      {amount: "1234.56"},
		"CH-misplaced":  {code: CodeAmountInvalid, word: "groups of three digits"},
		"CH-indian":     {code: CodeAmountInvalid, word: "groups of three digits"},
	})
}

// TestThreeDecimalsUndeclared checks that "10.000" KWD is rejected as
// ambiguous when the profile declares no number format, because a German
// export writes ten thousand that way.
func TestThreeDecimalsUndeclared(t *testing.T) {
	checkAmountCases(t, "three_decimals.csv", Options{}, map[string]amountCase{
		"TD-ten":      {code: CodeAmountGrouping, word: "10000 KWD"},
		"TD-one-k":    {code: CodeAmountGrouping, word: "1234 KWD"},
		"TD-bhd":      {code: CodeAmountGrouping, word: "10001 BHD"},
		"TD-fraction": {amount: "0.250"},
		"TD-long":     {amount: "1000.000"},
		"TD-short":    {amount: "10.500"},
		"TD-eur":      {code: CodeAmountTooManyDecimal, word: "3 decimals"},
		"TD-jpy":      {code: CodeAmountTooManyDecimal, word: "3 decimals"},
		"TD-grouped":  {code: CodeAmountGrouping, word: "thousands separator"},
	})
}

func TestThreeDecimalsDeclared(t *testing.T) {
	point := Options{Profile: Profile{Decimal: "."}}
	checkAmountCases(t, "three_decimals.csv", point, map[string]amountCase{
		"TD-ten":      {amount: "10.000"},
		"TD-one-k":    {amount: "1.234"},
		"TD-bhd":      {amount: "10.001"},
		"TD-fraction": {amount: "0.250"},
		"TD-long":     {amount: "1000.000"},
		"TD-short":    {amount: "10.500"},
		"TD-eur":      {code: CodeAmountTooManyDecimal, word: "3 decimals"},
		"TD-jpy":      {code: CodeAmountTooManyDecimal, word: "3 decimals"},
		"TD-grouped":  {code: CodeAmountGrouping, word: "thousands separator"},
	})

	german := Options{Profile: Profile{Decimal: ",", Grouping: "."}}
	checkAmountCases(t, "three_decimals.csv", german, map[string]amountCase{
		"TD-ten":      {amount: "10000.000"},
		"TD-one-k":    {amount: "1234.000"},
		"TD-bhd":      {amount: "10001.000"},
		"TD-fraction": {code: CodeAmountDecimalSep, word: "leading 0"},
		"TD-long":     {code: CodeAmountInvalid, word: "groups of three digits"},
		"TD-short":    {code: CodeAmountInvalid, word: "groups of three digits"},
		"TD-eur":      {amount: "10000.00"},
		"TD-jpy":      {amount: "1200"},
		"TD-grouped":  {amount: "10000.500"},
	})
}

// TestThreeDecimalsWorkbook checks the ambiguity in an XLSX file: a text
// cell "10.000" is rejected like the CSV field, while a number cell stores
// its value without separators and so is never ambiguous.
func TestThreeDecimalsWorkbook(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	header := []any{"reference", "amount", "currency", "beneficiary_id", "instrument_id", "method"}
	mustDo(t, f.SetSheetRow("Sheet1", "A1", &header))
	rows := [][]any{
		{"WB-text", "10.000", "KWD", "ben_1", "ins_1", "swift"},
		{"WB-number", 10.0, "KWD", "ben_1", "ins_2", "swift"},
		{"WB-minus", "\u221210.000", "KWD", "ben_1", "ins_3", "swift"},
	}
	for i, row := range rows {
		mustDo(t, f.SetSheetRow("Sheet1", cellName(1, 2+i), &row))
	}
	path := filepath.Join(t.TempDir(), "kwd.xlsx")
	mustDo(t, f.SaveAs(path))

	records, _ := readFile(t, path, Options{})
	got := byReference(records)
	wantError(t, got["WB-text"], "amount", CodeAmountGrouping)
	wantAmount(t, got["WB-number"], "10.000")
	wantError(t, got["WB-minus"], "amount", CodeAmountNotPositive)
}
