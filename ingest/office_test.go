package ingest

import (
	"slices"
	"strings"
	"testing"
)

// The workbooks under testdata/office are written as spreadsheet programs
// write them: by LibreOffice itself, or by internal/officegen with the XML
// that Excel and Google Sheets write and LibreOffice does not.

// wantAmount checks that the row is valid and pays the canonical amount.
func wantAmount(t *testing.T, rec Record, want string) {
	t.Helper()
	wantValid(t, rec)
	if rec.Instruction == nil {
		return
	}
	if got := rec.Instruction.Amount.Canonical(); got != want {
		t.Errorf("row %d amount %s, want %s", rec.Row, got, want)
	}
}

// wantBirthDate checks the date of birth of a valid row.
func wantBirthDate(t *testing.T, rec Record, want string) {
	t.Helper()
	wantValid(t, rec)
	if rec.Instruction == nil || rec.Instruction.Beneficiary == nil {
		return
	}
	if got := rec.Instruction.Beneficiary.DateOfBirth.Reveal(); got != want {
		t.Errorf("row %d date_of_birth %q, want %q", rec.Row, got, want)
	}
}

func TestOfficeStrictOpenXML(t *testing.T) {
	records, r := readFile(t, "office/excel_strict.xlsx", Options{})
	if r.Sheet() != "Payouts" {
		t.Errorf("sheet %q, want Payouts", r.Sheet())
	}
	rows := byReference(records)
	if len(records) != 2 {
		t.Fatalf("%d records, want 2", len(records))
	}
	wantAmount(t, rows["ST-1"], "150.25")
	wantBirthDate(t, rows["ST-1"], "1980-01-02")
	wantAmount(t, rows["ST-2"], "75.00")
	wantBirthDate(t, rows["ST-2"], "1970-05-06")
}

func TestOfficeFormulaResults(t *testing.T) {
	records, _ := readFile(t, "office/excel_cell_types.xlsx", Options{})
	rows := byReference(records)

	wantAmount(t, rows["CT-1"], "100.00")
	wantError(t, rows["CT-2"], "amount", CodeCellError)
	wantError(t, rows["CT-8"], "amount", CodeFormulaNoValue)

	// =IF(1=0,"x","") is calculated: its result is the empty string.
	wantValid(t, rows["CT-6"])
	if _, found := findProblem(rows["CT-6"], CodeFormulaNoValue); found {
		t.Errorf("row %d: an empty string result is reported as not calculated", rows["CT-6"].Row)
	}

	// Rows 12-16 hold only formulas that give "", so they are empty rows.
	if last := records[len(records)-1].Row; last != 11 {
		t.Errorf("last record is row %d, want 11: rows of empty formula results are empty", last)
	}
	if len(records) != 10 {
		t.Errorf("%d records, want 10", len(records))
	}
}

func TestOfficeCellTypes(t *testing.T) {
	records, _ := readFile(t, "office/excel_cell_types.xlsx", Options{})
	rows := byReference(records)

	wantAmount(t, rows["CT-3"], "25.50")
	if in := rows["CT-3"].Instruction; in != nil && in.Beneficiary.Bank.IBAN.Reveal() != "DE89370400440532013000" {
		t.Errorf("inline rich IBAN read as %q", in.Beneficiary.Bank.IBAN.Reveal())
	}
	ct4 := rows["CT-4"]
	if ct4.Row != 5 {
		t.Errorf("row without r attribute is row %d, want 5", ct4.Row)
	}
	wantAmount(t, ct4, "10.00")
	wantAmount(t, rows["CT-9"], "42.00")
	if rows["CT-5"].Valid() {
		t.Errorf("row %d with a TRUE amount is valid", rows["CT-5"].Row)
	}
}

func TestOfficeDateCells(t *testing.T) {
	records, _ := readFile(t, "office/excel_cell_types.xlsx", Options{})
	rows := byReference(records)

	wantBirthDate(t, rows["CT-7"], "1980-01-02")
	// t="d" with milliseconds, which ISO 8601 allows.
	wantBirthDate(t, rows["CT-9"], "1985-07-15")
	// 12:00 under the m/d/yyyy format, which shows no time of day.
	wantBirthDate(t, rows["CT-10"], "1975-03-04")
}

func TestOfficeDateFormats(t *testing.T) {
	want := map[string]string{
		"DT-1": "1980-01-02", "DT-2": "1975-12-31", "DT-3": "1990-06-15", "DT-4": "1968-02-29",
		"DT-5": "2001-09-11", "DT-6": "1958-03-01", "DT-7": "1999-12-31",
	}
	for _, name := range []string{"office/excel_dates.xlsx", "office/excel_dates_1904.xlsx"} {
		t.Run(name, func(t *testing.T) {
			records, _ := readFile(t, name, Options{})
			rows := byReference(records)
			for ref, date := range want {
				wantBirthDate(t, rows[ref], date)
			}
			wantAmount(t, rows["DT-2"], "1234.50")
			wantAmount(t, rows["DT-4"], "0.30")
		})
	}
}

func TestClassifyFormatCode(t *testing.T) {
	tests := map[string]dateFormat{
		"General":                         notDate,
		"#,##0.00":                        notDate,
		`#,##0.00\ [$€-407]`:              notDate,
		`_-* #,##0.00\ "€"_-;\-* "-"??_-`: notDate,
		`0.00E+00`:                        notDate,
		`#,##0.00 "days"`:                 notDate,
		`[Red]#,##0.00`:                   notDate,
		"dd/mm/yyyy":                      dateOnly,
		`[$-409]mmmm\ d\,\ yyyy;@`:        dateOnly,
		`yyyy"年"m"月"d"日"`:                 dateOnly,
		"m/d/yyyy h:mm":                   dateTime,
		"[h]:mm":                          dateTime,
		"mm:ss":                           dateTime,
		"[mm]":                            dateTime,
	}
	for code, want := range tests {
		if got := classifyFormatCode(code); got != want {
			t.Errorf("classifyFormatCode(%q) = %d, want %d", code, got, want)
		}
	}
}

func TestOfficeRichText(t *testing.T) {
	records, _ := readFile(t, "office/excel_rich_text.xlsx", Options{})
	rows := make(map[string]Record)
	for _, rec := range records {
		rows[rec.Reference] = rec
	}

	wantAmount(t, rows["RT-1"], "100.00")
	if in := rows["RT-1"].Instruction; in != nil && in.Beneficiary.FirstName.Reveal() != "Jörg Karl" {
		t.Errorf("rich-text first name %q, want the runs joined", in.Beneficiary.FirstName.Reveal())
	}

	wantAmount(t, rows["RT-2"], "2500")
	if in := rows["RT-2"].Instruction; in != nil && in.Beneficiary.LastName.Reveal() != "山田" {
		t.Errorf("last name %q, want 山田 without its phonetic reading", in.Beneficiary.LastName.Reveal())
	}

	wantAmount(t, rows["RT-3"], "30.50")
	if in := rows["RT-3"].Instruction; in != nil && in.Description != "Invoice _x0031_" {
		t.Errorf("description %q, want the escaped underscore kept as text", in.Description)
	}

	wantError(t, rows["RT-4"], "first_name", CodeControlCharacter)
}

func TestOfficeSheetChoice(t *testing.T) {
	records, r := readFile(t, "office/excel_sheets.xlsx", Options{})
	if r.Sheet() != "Payouts" {
		t.Fatalf("sheet %q, want Payouts", r.Sheet())
	}

	var note string
	for _, p := range r.FileProblems() {
		if p.Code == CodeSheetSelected {
			note = p.Message
		}
	}
	for _, want := range []string{`sheet "Notes"`, `very hidden sheet "Archive"`} {
		if !strings.Contains(note, want) {
			t.Errorf("selection note %q does not mention %s", note, want)
		}
	}

	rows := byReference(records)
	wantValid(t, rows["QP-1"])
	if in := rows["QP-1"].Instruction; in != nil && in.Beneficiary.Bank.RoutingNumber != "021000021" {
		t.Errorf("routing number %q, want 021000021", in.Beneficiary.Bank.RoutingNumber)
	}
	wantError(t, rows["QP-2"], "routing_number", CodeNumericCell)

	old, r := readFile(t, "office/excel_sheets.xlsx", Options{Profile: Profile{Sheet: "archive"}})
	if r.Sheet() != "Archive" || len(old) != 1 {
		t.Errorf("profile sheet: read %q with %d records, want Archive with 1", r.Sheet(), len(old))
	}
}

func TestOfficeSheetShape(t *testing.T) {
	records, _ := readFile(t, "office/excel_shape.xlsx", Options{})
	var got []int
	for _, rec := range records {
		got = append(got, rec.Row)
	}
	if want := []int{4, 5, 6, 7, 9}; !slices.Equal(got, want) {
		t.Fatalf("records at rows %v, want %v (formatted and blank rows skipped)", got, want)
	}

	rows := byReference(records)
	wantAmount(t, rows["SH-1"], "100.00")
	wantError(t, rows["SH-2"], "external_ref", CodeBeneficiaryNone)
	wantError(t, rows["SH-3"], "", CodeRowHidden)
	if rows["Total"].Valid() {
		t.Errorf("total row %d is valid", rows["Total"].Row)
	}
}

func TestOfficePrefixedElements(t *testing.T) {
	records, _ := readFile(t, "office/excel_prefixed.xlsx", Options{})
	rows := byReference(records)
	wantAmount(t, rows["PX-1"], "10.00")
	wantAmount(t, rows["PX-2"], "20.00")
}

func TestOfficeOtherPayoutSheets(t *testing.T) {
	records, r := readFile(t, "office/excel_two_sheets.xlsx", Options{})
	if r.Sheet() != "EUR" || len(records) != 1 {
		t.Fatalf("read sheet %q with %d records, want EUR with 1", r.Sheet(), len(records))
	}

	var note Problem
	for _, p := range r.FileProblems() {
		if p.Code == CodeSheetSelected {
			note = p
		}
	}
	for _, want := range []string{`chart sheet "Chart1"`, `sheet "USD" also has a payout header row but was not read`} {
		if !strings.Contains(note.Message, want) {
			t.Errorf("selection note %q does not say %s", note.Message, want)
		}
	}
	if !strings.Contains(note.Hint, "one sheet") {
		t.Errorf("hint %q does not say to put the payouts on one sheet", note.Hint)
	}
}

func TestOfficeDamagedColumnReference(t *testing.T) {
	fe := readError(t, "office/damaged_column.xlsx", Options{})
	if fe.Code != CodeXLSXInvalid {
		t.Errorf("code %s, want %s", fe.Code, CodeXLSXInvalid)
	}
	if !strings.Contains(fe.Message, "beyond column XFD") {
		t.Errorf("message %q does not name the column limit", fe.Message)
	}
}

func TestOfficeLibreOfficeGerman(t *testing.T) {
	records, r := readFile(t, "office/libreoffice_de.xlsx", Options{})
	if r.Sheet() != "Auszahlungen" {
		t.Fatalf("sheet %q, want Auszahlungen", r.Sheet())
	}
	var got []int
	for _, rec := range records {
		got = append(got, rec.Row)
	}
	if want := []int{4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 22}; !slices.Equal(got, want) {
		t.Errorf("records at rows %v, want %v", got, want)
	}

	rows := byReference(records)
	wantAmount(t, rows["LO-1"], "1234.50")
	wantBirthDate(t, rows["LO-1"], "1980-01-02")
	if in := rows["LO-1"].Instruction; in != nil && in.Beneficiary.Bank.IBAN.Reveal() != "DE89370400440532013000" {
		t.Errorf("IBAN %q, want it without spaces and in capitals", in.Beneficiary.Bank.IBAN.Reveal())
	}
	wantAmount(t, rows["LO-2"], "33.33")   // =ROUND(100/3;2)
	wantAmount(t, rows["LO-3"], "1357.95") // =B4*1.1
	wantError(t, rows["LO-4"], "amount", CodeAmountTooManyDecimal)
	wantError(t, rows["LO-5"], "routing_number", CodeNumericCell)
	wantAmount(t, rows["LO-6"], "250.00")
	wantError(t, rows["LO-7"], "account_number", CodeNumericCell)
	wantAmount(t, rows["LO-8"], "75.50")
	wantAmount(t, rows["LO-9"], "150000")
	wantAmount(t, rows["LO-10"], "0.30") // =0.1+0.2
	if rows["Summe"].Valid() {
		t.Errorf("total row %d is valid", rows["Summe"].Row)
	}

	report, err := ValidateFile("testdata/office/libreoffice_de.xlsx", Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"EUR": "2626.08", "GBP": "75.50", "JPY": "150000", "USD": "250.00"}
	for code, total := range want {
		if report.Totals[code] != total {
			t.Errorf("total %s %s, want %s", code, report.Totals[code], total)
		}
	}
}

func TestOfficeLibreOfficeFrench(t *testing.T) {
	records, _ := readFile(t, "office/libreoffice_fr.xlsx", Options{})
	rows := byReference(records)
	wantAmount(t, rows["FR-3"], "99.90")
	for _, ref := range []string{"FR-1", "FR-2", "FR-5", "FR-6"} {
		if rows[ref].Valid() {
			t.Errorf("%s with a French text amount is valid without a number format in the profile", ref)
		}
	}

	french := Options{Profile: Profile{Decimal: ",", Grouping: "space"}}
	records, _ = readFile(t, "office/libreoffice_fr.xlsx", french)
	rows = byReference(records)
	wantAmount(t, rows["FR-1"], "1234.56")
	wantAmount(t, rows["FR-2"], "12.50")
	wantAmount(t, rows["FR-3"], "99.90") // a number cell, whatever the profile says
	wantAmount(t, rows["FR-6"], "1234.56")
	wantError(t, rows["FR-4"], "date_of_birth", CodeDateInvalid)
	wantError(t, rows["FR-5"], "amount", CodeAmountSymbol)
}

func TestOfficeLibreOfficeJapanese(t *testing.T) {
	records, r := readFile(t, "office/libreoffice_ja.xlsx", Options{})
	if r.Sheet() != "支払い" {
		t.Errorf("sheet %q, want 支払い", r.Sheet())
	}
	rows := byReference(records)
	wantAmount(t, rows["JA-1"], "150000")
	wantBirthDate(t, rows["JA-1"], "1985-04-01")
	wantBirthDate(t, rows["JA-3"], "1990-06-15") // under a Japanese era format
	if rows["JA-2"].Valid() {
		t.Errorf("JA-2 with full-width digits is valid")
	}
	wantError(t, rows["JA-4"], "amount", CodeAmountTooManyDecimal)
}

func TestOfficeDamagedPackages(t *testing.T) {
	tests := []struct{ file, message string }{
		{"office/damaged_wide_row.xlsx", "more than 16384 cells"},
		{"office/damaged_long_cell.xlsx", "longer than 1 MiB"},
		{"office/damaged_ole_header.xlsx", "encrypted (password-protected) workbook or an old .xls"},
	}
	for _, tt := range tests {
		fe := readError(t, tt.file, Options{})
		if fe.Code != CodeXLSXInvalid {
			t.Errorf("%s: code %s, want %s", tt.file, fe.Code, CodeXLSXInvalid)
		}
		if !strings.Contains(fe.Message, tt.message) {
			t.Errorf("%s: message %q does not say %q", tt.file, fe.Message, tt.message)
		}
	}
}

func TestOfficeHiddenDuplicates(t *testing.T) {
	records, _ := readFile(t, "office/excel_duplicates.xlsx", Options{})
	if len(records) != 6 {
		t.Fatalf("%d records, want 6", len(records))
	}
	// A no-break space or a zero-width space after a reference hides a
	// duplicate from the eye but not from payrun. The earlier row of each
	// pair turns invalid when the later one is read, so the report shows it.
	report, err := ValidateFile("testdata/office/excel_duplicates.xlsx", Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var duplicateRows []int
	for _, p := range report.Problems {
		if p.Code == CodeDuplicateReference {
			duplicateRows = append(duplicateRows, p.Row)
		}
	}
	slices.Sort(duplicateRows)
	if want := []int{2, 3, 4, 5}; !slices.Equal(duplicateRows, want) {
		t.Errorf("duplicate_reference on rows %v, want %v", duplicateRows, want)
	}
	if report.Rows.Valid != 2 || report.Totals["EUR"] != "15.00" {
		t.Errorf("%d valid rows paying EUR %s, want 2 paying 15.00", report.Rows.Valid, report.Totals["EUR"])
	}

	// 7.5 as a number cell and "7.50" as text are one amount.
	wantAmount(t, records[4], "7.50")
	wantAmount(t, records[5], "7.50")
	if _, found := findProblem(records[5], CodePossibleDuplicate); !found {
		t.Errorf("row %d problems %v, want %s", records[5].Row, records[5].Problems, CodePossibleDuplicate)
	}
}
