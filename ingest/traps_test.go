package ingest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/payrun/payrun"
)

// Each test below covers one kind of damage that spreadsheets, exports and
// people do to payout files, with a small file under testdata.

func TestLeadingZerosDropped(t *testing.T) {
	records, _ := readFile(t, "leading_zeros.csv", Options{})
	rows := byReference(records)

	wantValid(t, rows["LZ-1"])
	if got := rows["LZ-1"].Instruction.Beneficiary.Bank.RoutingNumber; got != "021000021" {
		t.Errorf("routing number %q, want 021000021 kept as text", got)
	}
	p := wantError(t, rows["LZ-2"], "routing_number", CodeLeadingZero)
	if !strings.Contains(p.Hint, "leading zero") {
		t.Errorf("hint %q does not mention the leading zero", p.Hint)
	}
	wantError(t, rows["LZ-3"], "sort_code", CodeLeadingZero)
	wantError(t, rows["LZ-4"], "account_number", CodeLeadingZero)
	wantError(t, rows["LZ-5"], "routing_number", CodeRoutingChecksum)
}

func TestScientificNotationInIdentifiers(t *testing.T) {
	records, _ := readFile(t, "scientific.csv", Options{})
	rows := byReference(records)

	p := wantError(t, rows["SCI-1"], "account_number", CodeScientific)
	if !strings.Contains(p.Hint, "format the column as Text") {
		t.Errorf("hint %q, want the Text-format advice", p.Hint)
	}
	wantOnlyErrors(t, rows["SCI-1"], CodeScientific)
	wantError(t, rows["SCI-2"], "account_number", CodeScientific)
	wantValid(t, rows["SCI-3"])
}

func TestNumbersStayText(t *testing.T) {
	records, _ := readFile(t, "numeric_text.csv", Options{})
	rows := byReference(records)

	wantValid(t, rows["NUM-1"])
	if got := rows["NUM-1"].Instruction.Amount.Canonical(); got != "10.00" {
		t.Errorf("amount 010 parsed as %s, want 10.00 (decimal, not octal)", got)
	}
	wantError(t, rows["NUM-2"], "amount", CodeMissingValue)
	wantError(t, rows["NUM-3"], "amount", CodeAmountGrouping)
	wantError(t, rows["NUM-4"], "amount", CodeAmountNotPositive)
	wantError(t, rows["NUM-5"], "amount", CodeAmountNotPositive)
}

func TestSeparatorsNeverGuessed(t *testing.T) {
	records, _ := readFile(t, "separators.csv", Options{})
	rows := byReference(records)

	wantError(t, rows["SEP-1"], "amount", CodeAmountGrouping)
	wantError(t, rows["SEP-2"], "amount", CodeAmountDecimalSep)
	wantError(t, rows["SEP-3"], "amount", CodeAmountSymbol)
	wantError(t, rows["SEP-4"], "amount", CodeAmountTooManyDecimal)
	wantError(t, rows["SEP-9"], "amount", CodeAmountTooManyDigits)
	wantError(t, rows["SEP-10"], "amount", CodeAmountSymbol)
	wantError(t, rows["SEP-11"], "amount", CodeAmountTooManyDecimal)
}

func TestDeclaredEuropeanNumberFormat(t *testing.T) {
	opts := Options{Profile: Profile{Delimiter: ";", Decimal: ",", Grouping: "."}}
	records, _ := readFile(t, "separators_eu.csv", opts)
	rows := byReference(records)

	for ref, want := range map[string]string{"EU-1": "1234.56", "EU-2": "12.50", "EU-3": "1234.56"} {
		wantValid(t, rows[ref])
		if rows[ref].Instruction == nil {
			continue
		}
		if got := rows[ref].Instruction.Amount.Canonical(); got != want {
			t.Errorf("%s amount %s, want %s", ref, got, want)
		}
	}
	wantError(t, rows["EU-4"], "amount", CodeAmountInvalid)
}

func TestCurrencyMinorUnits(t *testing.T) {
	// Without a declared decimal separator, 1.234 KWD could be 1234 KWD.
	records, _ := readFile(t, "minor_units.csv", Options{Profile: Profile{Decimal: "."}})
	rows := byReference(records)

	wantValid(t, rows["MU-1"])
	wantError(t, rows["MU-2"], "amount", CodeAmountTooManyDecimal)
	wantValid(t, rows["MU-3"])
	wantError(t, rows["MU-4"], "amount", CodeAmountTooManyDecimal)
	wantError(t, rows["MU-5"], "amount", CodeAmountTooManyDecimal)
	wantValid(t, rows["MU-6"])
	wantError(t, rows["MU-7"], "currency", CodeCurrencyInvalid)
}

func TestByteOrderMarkStripped(t *testing.T) {
	records, r := readFile(t, "bom.csv", Options{})
	if r.Header()[0] != "reference" {
		t.Errorf("first header %q, want reference without the BOM", r.Header()[0])
	}
	wantValid(t, records[0])

	fe := readError(t, "bom_missing_column.csv", Options{})
	if fe.Code != CodeMissingColumns {
		t.Errorf("code %s, want %s", fe.Code, CodeMissingColumns)
	}
}

func TestUTF16WithByteOrderMark(t *testing.T) {
	for _, name := range []string{"utf16le.csv", "utf16be.csv"} {
		records, _ := readFile(t, name, Options{})
		if len(records) != 1 {
			t.Fatalf("%s: %d records, want 1", name, len(records))
		}
		wantValid(t, records[0])
		if got := records[0].Instruction.Beneficiary.LastName.Reveal(); got != "Müller" {
			t.Errorf("%s: last name %q, want Müller", name, got)
		}
	}
	if fe := readError(t, "utf16_no_bom.csv", Options{}); fe.Code != CodeUTF16WithoutBOM {
		t.Errorf("code %s, want %s", fe.Code, CodeUTF16WithoutBOM)
	}
}

func TestLegacyEncodingRejected(t *testing.T) {
	fe := readError(t, "windows1252.csv", Options{})
	if fe.Code != CodeInvalidEncoding {
		t.Errorf("code %s, want %s", fe.Code, CodeInvalidEncoding)
	}
	if !strings.Contains(fe.Message, "line 2") {
		t.Errorf("message %q does not name line 2", fe.Message)
	}
}

func TestLegacyEncodingDeclared(t *testing.T) {
	records, _ := readFile(t, "windows1252.csv", Options{Profile: Profile{Encoding: "windows-1252"}})
	rows := byReference(records)

	wantValid(t, rows["CP-1"])
	if got := rows["CP-1"].Instruction.Beneficiary.FirstName.Reveal(); got != "Jörg" {
		t.Errorf("first name %q, want Jörg", got)
	}
	if got := rows["CP-2"].Instruction.Beneficiary.FirstName.Reveal(); got != "Zoë" {
		t.Errorf("first name %q, want Zoë", got)
	}
}

func TestSemicolonDelimiterMismatch(t *testing.T) {
	fe := readError(t, "semicolon.csv", Options{})
	if fe.Code != CodeDelimiterMismatch {
		t.Errorf("code %s, want %s", fe.Code, CodeDelimiterMismatch)
	}
	if !strings.Contains(fe.Message, `";"`) {
		t.Errorf("message %q does not name the semicolon", fe.Message)
	}

	records, _ := readFile(t, "semicolon.csv", Options{Profile: Profile{Delimiter: ";", Decimal: ","}})
	wantValid(t, records[0])

	tabs, _ := readFile(t, "tab.tsv", Options{Profile: Profile{Delimiter: "tab"}})
	wantValid(t, tabs[0])
}

// TestCarriageReturnLines reads a file whose lines end with a carriage
// return alone, as "CSV (Macintosh)" exports of old Excel versions do.
func TestCarriageReturnLines(t *testing.T) {
	records, _ := readFile(t, "mac_cr.csv", Options{})
	if len(records) != 3 {
		t.Fatalf("%d records, want 3", len(records))
	}
	wantValid(t, records[0])
	wantValid(t, records[1])
	if got := records[1].Instruction.Amount.Canonical(); got != "12.50" {
		t.Errorf("amount %s, want 12.50", got)
	}
	if records[2].Valid() || records[2].Row != 4 || records[2].Line != 4 {
		t.Errorf("third record: valid %v at row %d, line %d; want invalid at row 4, line 4",
			records[2].Valid(), records[2].Row, records[2].Line)
	}
}

// TestSepLine takes the delimiter from Excel's "sep=;" first line, reads
// that line as a title row, and refuses a profile that sets another one.
func TestSepLine(t *testing.T) {
	records, _ := readFile(t, "sep_line.csv", Options{})
	if len(records) != 2 {
		t.Fatalf("%d records, want 2", len(records))
	}
	for _, rec := range records {
		wantValid(t, rec)
	}
	if records[0].Row != 3 {
		t.Errorf("first data row is row %d, want 3 (the sep= line is row 1)", records[0].Row)
	}

	same, _ := readFile(t, "sep_line.csv", Options{Profile: Profile{Delimiter: ";"}})
	wantValid(t, same[0])

	fe := readError(t, "sep_line.csv", Options{Profile: Profile{Delimiter: ","}})
	if fe.Code != CodeDelimiterMismatch || !strings.Contains(fe.Message, "sep=;") {
		t.Errorf("conflicting delimiters: %s %q, want %s naming sep=;", fe.Code, fe.Message, CodeDelimiterMismatch)
	}
}

func TestInvisibleCharactersRemoved(t *testing.T) {
	records, _ := readFile(t, "invisible.csv", Options{})
	for _, rec := range records {
		wantValid(t, rec)
	}
	if got := records[0].Instruction.Reference; got != "INV-1" {
		t.Errorf("reference %q, want INV-1", got)
	}
	if got := records[0].Instruction.Beneficiary.Bank.IBAN.Reveal(); got != "DE89370400440532013000" {
		t.Errorf("IBAN %q, want the zero-width space removed", got)
	}
	if got := records[1].Instruction.Beneficiary.ExternalRef; got != "cust-x" {
		t.Errorf("external_ref %q, want cust-x", got)
	}
	if got := records[2].Instruction.Beneficiary.FirstName.Reveal(); got != "José" || len(got) != len("José") {
		t.Errorf("first name %q, want NFC José", got)
	}
}

// Soft hyphens, direction marks and embeddings (Unicode format characters)
// are as invisible as zero-width spaces; a reference that kept one would get
// a second key and a second payout.
func TestFormatCharactersRemoved(t *testing.T) {
	records, _ := readFile(t, "invisible_format.csv", Options{})
	for _, rec := range records {
		wantValid(t, rec)
	}
	want := map[int]string{0: "INV-7", 1: "INV-8"}
	for i, ref := range want {
		if got := records[i].Instruction.Reference; got != ref {
			t.Errorf("row %d reference %q, want %q", i, got, ref)
		}
	}
	if got := records[0].Instruction.Beneficiary.ExternalRef; got != "cust-7" {
		t.Errorf("external_ref %q, want cust-7", got)
	}
	if got := records[0].Instruction.Beneficiary.Bank.IBAN.Reveal(); got != "DE89370400440532013000" {
		t.Errorf("IBAN %q, want the soft hyphen removed", got)
	}
	if got := records[0].Instruction.Beneficiary.FirstName.Reveal(); got != "Anna" {
		t.Errorf("first name %q, want Anna", got)
	}
	if got := records[1].Instruction.Beneficiary.FirstName.Reveal(); got != "Mia" {
		t.Errorf("first name %q, want the embedding marks removed", got)
	}
	if got := records[1].Instruction.Beneficiary.LastName.Reveal(); got != "Fa\u200dte" {
		t.Errorf("last name %q, want the zero-width joiner kept inside a name", got)
	}
}

func TestIBANAsPeopleWriteIt(t *testing.T) {
	records, _ := readFile(t, "iban.csv", Options{})
	rows := byReference(records)

	wantValid(t, rows["IBAN-1"])
	if got := rows["IBAN-1"].Instruction.Beneficiary.Bank.IBAN.Reveal(); got != "DE89370400440532013000" {
		t.Errorf("IBAN %q, want spaces removed and uppercase", got)
	}
	p := wantError(t, rows["IBAN-2"], "iban", CodeIBANChecksum)
	if p.Value != "DE**3001" {
		t.Errorf("value %q, want the masked IBAN DE**3001", p.Value)
	}
	wantError(t, rows["IBAN-3"], "iban", CodeIBANLength)
	wantError(t, rows["IBAN-4"], "iban", CodeIBANCountry)
	wantError(t, rows["IBAN-5"], "iban", CodeIBANInvalid)
	wantValid(t, rows["IBAN-6"])
	wantError(t, rows["IBAN-7"], "iban", CodeBankDetails)
}

func TestHeaderTypoAndExtraColumns(t *testing.T) {
	fe := readError(t, "header_typo.csv", Options{})
	if fe.Code != CodeMissingColumns {
		t.Errorf("code %s, want %s", fe.Code, CodeMissingColumns)
	}
	for _, want := range []string{"amount", `"ammount"`, "expected", "found"} {
		if !strings.Contains(fe.Message, want) {
			t.Errorf("message %q does not contain %s", fe.Message, want)
		}
	}

	aliased, _ := readFile(t, "header_typo.csv", Options{Profile: Profile{Aliases: map[string]string{"Ammount": "amount"}}})
	if got := aliased[0].Raw.Get("ammount"); got != "10.00" {
		t.Errorf("aliased raw amount %q, want 10.00", got)
	}

	records, r := readFile(t, "extra_columns.csv", Options{})
	wantValid(t, records[0])
	var unknown []string
	for _, p := range r.FileProblems() {
		if p.Code == CodeUnknownColumn {
			unknown = append(unknown, p.Column)
		}
	}
	if diff := cmp.Diff([]string{"notes", "Cost Centre"}, unknown); diff != "" {
		t.Errorf("unknown columns (-want +got):\n%s", diff)
	}

	if fe := readError(t, "duplicate_header.csv", Options{}); fe.Code != CodeDuplicateColumns {
		t.Errorf("code %s, want %s", fe.Code, CodeDuplicateColumns)
	}
}

func TestCSVShape(t *testing.T) {
	records, _ := readFile(t, "shape.csv", Options{})
	rows := byReference(records)
	if len(records) != 5 {
		t.Fatalf("%d records, want 5 (empty rows ignored)", len(records))
	}

	wantValid(t, rows["SHAPE-1"])
	short := rows["SHAPE-2"]
	if p := wantError(t, short, "email", CodeMissingValue); p.Row != 3 {
		t.Errorf("short row problem row %d, want 3", p.Row)
	}
	if short.Raw.Get("currency") != "EUR" {
		t.Errorf("short row currency %q, want EUR in its own column", short.Raw.Get("currency"))
	}

	quoted := rows["SHAPE-3"]
	if quoted.Row != 4 || quoted.Line != 4 {
		t.Errorf("multi-line record at row %d line %d, want row 4 line 4", quoted.Row, quoted.Line)
	}
	wantError(t, quoted, "address_line1", CodeControlCharacter)
	if got := quoted.Raw.Get("last_name"); got != `Marie "Annie" Dupont` {
		t.Errorf("quoted last name %q", got)
	}

	after := rows["SHAPE-4"]
	if after.Row != 5 || after.Line != 6 {
		t.Errorf("record after the multi-line one at row %d line %d, want row 5 line 6", after.Row, after.Line)
	}
	wantValid(t, after)

	shifted := rows["SHAPE-5"]
	if shifted.Row != 7 || shifted.Line != 8 {
		t.Errorf("record after a blank line at row %d line %d, want row 7 line 8", shifted.Row, shifted.Line)
	}
	wantOnlyErrors(t, shifted, CodeTooManyCells)
}

func TestCSVSyntaxError(t *testing.T) {
	fe := readError(t, "bad_quote.csv", Options{})
	if fe.Code != CodeCSVSyntax {
		t.Errorf("code %s, want %s", fe.Code, CodeCSVSyntax)
	}
	if !strings.Contains(fe.Message, "line 3") {
		t.Errorf("message %q does not name line 3", fe.Message)
	}
}

func TestTitleRowsAboveHeader(t *testing.T) {
	records, _ := readFile(t, "title_rows.csv", Options{})
	if len(records) != 1 {
		t.Fatalf("%d records, want 1", len(records))
	}
	if records[0].Row != 4 {
		t.Errorf("row %d, want 4 (absolute)", records[0].Row)
	}
	wantValid(t, records[0])

	explicit, _ := readFile(t, "title_rows.csv", Options{Profile: Profile{HeaderRow: 3}})
	wantValid(t, explicit[0])
	if fe := readError(t, "title_rows.csv", Options{Profile: Profile{HeaderRow: 2}}); fe.Code != CodeNoHeader {
		t.Errorf("code %s, want %s for an empty header row", fe.Code, CodeNoHeader)
	}
}

func TestEmptyFile(t *testing.T) {
	if fe := readError(t, "empty.csv", Options{}); fe.Code != CodeNoHeader {
		t.Errorf("code %s, want %s", fe.Code, CodeNoHeader)
	}
}

func TestDuplicateRowsInOneFile(t *testing.T) {
	records, r := readFile(t, "duplicates.csv", Options{})

	// Row 2 looked valid when Next returned it; row 4 repeats its reference.
	wantValid(t, records[0])
	second := wantError(t, records[2], "reference", CodeDuplicateReference)
	if !strings.Contains(second.Message, "row 2") {
		t.Errorf("message %q does not name the other row 2", second.Message)
	}

	late := records[2].LateDuplicates
	if len(late) != 1 {
		t.Fatalf("row 4 reports %d late duplicates, want 1: %+v", len(late), late)
	}
	first := late[0]
	if first.Row != 2 || first.Line != 2 || first.Reference != "DUP-A" {
		t.Errorf("late duplicate at row %d line %d reference %q, want row 2 line 2 DUP-A",
			first.Row, first.Line, first.Reference)
	}
	if !first.WasValid {
		t.Errorf("late duplicate WasValid = false, want true: row 2 was returned valid")
	}
	p := first.Problem
	if p.Row != 2 || p.Code != CodeDuplicateReference || p.Severity != SeverityError || p.Column != "reference" {
		t.Errorf("late problem %+v, want a duplicate_reference error on row 2", p)
	}
	if !strings.Contains(p.Message, "row 4") || p.Hint == "" {
		t.Errorf("late problem message %q hint %q, want row 4 named and a hint", p.Message, p.Hint)
	}
	if all := r.LateDuplicates(); len(all) != 1 || all[0].Row != 2 {
		t.Errorf("LateDuplicates() = %+v, want row 2 only", all)
	}

	// A warning on the later row of the same payee and amount is enough.
	wantValid(t, records[1])
	wantValid(t, records[3])
	if _, ok := findProblem(records[1], CodePossibleDuplicate); ok {
		t.Errorf("row %d has a duplicate warning, want it on the later row only", records[1].Row)
	}
	if p, ok := findProblem(records[3], CodePossibleDuplicate); !ok || p.Severity != SeverityWarning {
		t.Errorf("row %d problems %v, want a %s warning", records[3].Row, records[3].Problems, CodePossibleDuplicate)
	} else if !strings.Contains(p.Message, "row 3") {
		t.Errorf("warning %q does not name the earlier row 3", p.Message)
	}
	if _, ok := findProblem(records[4], CodePossibleDuplicate); ok {
		t.Errorf("row %d has a duplicate warning, want none", records[4].Row)
	}
}

func TestReferenceUsedThreeTimes(t *testing.T) {
	records, r := readFile(t, "duplicates_three.csv", Options{})

	wantValid(t, records[0])
	wantError(t, records[1], "reference", CodeDuplicateReference)
	wantError(t, records[2], "reference", CodeDuplicateReference)
	if n := len(records[2].LateDuplicates); n != 0 {
		t.Errorf("third use reports %d late duplicates, want 0 (row 2 is reported once)", n)
	}
	if all := r.LateDuplicates(); len(all) != 1 || all[0].Row != 2 {
		t.Errorf("LateDuplicates() = %+v, want row 2 once", all)
	}
}

func TestSameRowsInAnotherColumnOrder(t *testing.T) {
	a, _ := readFile(t, "same_a.csv", Options{})
	b, _ := readFile(t, "same_b.csv", Options{})
	if len(a) != len(b) {
		t.Fatalf("%d and %d records", len(a), len(b))
	}
	for i := range a {
		wantValid(t, a[i])
		wantValid(t, b[i])
		if a[i].Instruction == nil || b[i].Instruction == nil {
			continue
		}
		if diff := cmp.Diff(revealed(a[i].Instruction), revealed(b[i].Instruction)); diff != "" {
			t.Errorf("row %d differs (-a +b):\n%s", a[i].Row, diff)
		}
	}
}

// revealed flattens an instruction into comparable strings, raw values included.
func revealed(in *payrun.Instruction) map[string]string {
	m := map[string]string{
		"reference": in.Reference, "amount": in.Amount.Canonical(), "currency": in.Amount.Currency,
		"source_currency": in.SourceCurrency, "method": in.Method, "purpose": in.Purpose,
	}
	if b := in.Beneficiary; b != nil {
		m["external_ref"], m["type"], m["name"] = b.ExternalRef, b.Type, b.DisplayName().Reveal()
		m["email"], m["phone"], m["dob"] = b.Email.Reveal(), b.Phone.Reveal(), b.DateOfBirth.Reveal()
		m["iban"], m["account"], m["routing"] = b.Bank.IBAN.Reveal(), b.Bank.AccountNumber.Reveal(), b.Bank.RoutingNumber
		m["sort_code"], m["bank_method"], m["holder"] = b.Bank.SortCode, b.Bank.Method, b.Bank.HolderName.Reveal()
	}
	return m
}

func TestTwoReadersOfOneFile(t *testing.T) {
	first, err := Open("testdata/same_a.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := Open("testdata/same_a.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()

	for i := 0; i < 3; i++ {
		a, errA := first.Next()
		b, errB := second.Next()
		if errA != nil || errB != nil {
			t.Fatalf("Next() errors %v, %v", errA, errB)
		}
		if diff := cmp.Diff(revealed(a.Instruction), revealed(b.Instruction)); diff != "" {
			t.Errorf("interleaved readers differ at row %d:\n%s", a.Row, diff)
		}
	}
}

func TestCanonicalAmounts(t *testing.T) {
	records, _ := readFile(t, "canonical.csv", Options{})
	a, b := records[0].Instruction, records[1].Instruction
	if a == nil || b == nil {
		t.Fatalf("rows invalid: %v / %v", records[0].Problems, records[1].Problems)
	}
	if a.Amount.Canonical() != "12.50" || b.Amount.Canonical() != "12.50" {
		t.Errorf("canonical amounts %s and %s, want 12.50 for both", a.Amount.Canonical(), b.Amount.Canonical())
	}
	if !a.Amount.Value.Equal(decimal.RequireFromString("12.5")) {
		t.Errorf("amount %s, want 12.5", a.Amount.Value)
	}
	if _, ok := findProblem(records[1], CodePossibleDuplicate); !ok {
		t.Errorf("12.5 and 12.50 to one payee are not reported as the same payout")
	}
	wantError(t, records[2], "amount", CodeAmountTooManyDecimal)
}
