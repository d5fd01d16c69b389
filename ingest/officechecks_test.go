package ingest

import (
	"slices"
	"strings"
	"testing"
)

// The tests in this file cover the row checks that depend on how a
// spreadsheet stores a row or a cell, over files in testdata/office.

func TestHiddenRowsFiltered(t *testing.T) {
	records, _ := readFile(t, "office/excel_filtered_rows.xlsx", Options{})
	rows := byReference(records)
	if len(records) != 4 {
		t.Fatalf("%d records, want 4", len(records))
	}
	wantAmount(t, rows["FLT-1"], "10.00")
	wantAmount(t, rows["FLT-3"], "30.00")
	for _, ref := range []string{"FLT-2", "FLT-4"} {
		p := wantError(t, rows[ref], "", CodeRowHidden)
		if !strings.Contains(p.Message, "hidden in the spreadsheet") {
			t.Errorf("%s message %q does not say that the row is hidden", ref, p.Message)
		}
		if !strings.Contains(p.Hint, "unhide") {
			t.Errorf("%s hint %q does not say to unhide the row", ref, p.Hint)
		}
	}

	// The user sees FLT-1 and FLT-3 only, so only they are paid.
	report, err := ValidateFile("testdata/office/excel_filtered_rows.xlsx", Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if report.Totals["EUR"] != "40.00" {
		t.Errorf("EUR total %s, want 40.00", report.Totals["EUR"])
	}
	if report.Rows.Valid != 2 {
		t.Errorf("%d valid rows, want 2", report.Rows.Valid)
	}
}

func TestHiddenRowsEveryForm(t *testing.T) {
	records, _ := readFile(t, "office/excel_hidden_rows.xlsx", Options{})
	var got []int
	for _, rec := range records {
		got = append(got, rec.Row)
	}
	// Rows 7 and 8 are hidden and empty, so they are skipped like any
	// empty row.
	if want := []int{2, 3, 4, 5, 6, 9}; !slices.Equal(got, want) {
		t.Fatalf("records at rows %v, want %v", got, want)
	}

	rows := byReference(records)
	wantAmount(t, rows["HR-1"], "10.00") // hidden="false", as LibreOffice writes a visible row
	wantAmount(t, rows["HR-5"], "50.00") // the visible summary row of a collapsed group
	wantAmount(t, rows["HR-6"], "60.00")
	for _, ref := range []string{"HR-2", "HR-3", "HR-4"} {
		wantError(t, rows[ref], "", CodeRowHidden)
		wantOnlyErrors(t, rows[ref], CodeRowHidden)
	}
}

func TestCellOutsideHeaderWarns(t *testing.T) {
	records, _ := readFile(t, "office/excel_note_beyond_header.xlsx", Options{})
	rows := byReference(records)
	wantAmount(t, rows["NB-1"], "10.00")

	// The note "checked by A.K." is in R3, two columns right of the last
	// header cell P1.
	nb2 := rows["NB-2"]
	wantAmount(t, nb2, "20.00")
	p, found := findProblem(nb2, CodeCellOutsideHeader)
	if !found {
		t.Fatalf("row %d problems %v, want %s", nb2.Row, nb2.Problems, CodeCellOutsideHeader)
	}
	if p.Severity != SeverityWarning {
		t.Errorf("severity %q, want warning", p.Severity)
	}
	if p.Column != "R" {
		t.Errorf("column %q, want R", p.Column)
	}
	if !strings.Contains(p.Message, "cell R3") {
		t.Errorf("message %q does not name cell R3", p.Message)
	}
	if !strings.Contains(p.Message, "ignores its value") {
		t.Errorf("message %q does not say that the value is ignored", p.Message)
	}
	if strings.Contains(p.Hint, "quote") {
		t.Errorf("hint %q gives the CSV advice on quoting", p.Hint)
	}
	if _, found := findProblem(nb2, CodeTooManyCells); found {
		t.Errorf("row %d has %s, which only a CSV row can have", nb2.Row, CodeTooManyCells)
	}
}

func TestColumnLetters(t *testing.T) {
	tests := map[int]string{1: "A", 16: "P", 26: "Z", 27: "AA", 52: "AZ", 703: "AAA", maxSheetColumns: "XFD"}
	for col, want := range tests {
		if got := columnLetters(col); got != want {
			t.Errorf("columnLetters(%d) = %q, want %q", col, got, want)
		}
		if back := columnNumber(want); back != col {
			t.Errorf("columnNumber(%q) = %d, want %d", want, back, col)
		}
	}
}

func TestLogicalValueAmount(t *testing.T) {
	records, _ := readFile(t, "office/excel_cell_types.xlsx", Options{})
	p := wantError(t, byReference(records)["CT-5"], "amount", CodeAmountInvalid)
	if !strings.Contains(p.Message, "logical value TRUE") {
		t.Errorf("message %q does not name the logical value TRUE", p.Message)
	}
	if strings.Contains(p.Hint, "currency code") {
		t.Errorf("hint %q is about currency codes", p.Hint)
	}

	records, _ = readFile(t, "office/excel_misplaced_types.xlsx", Options{})
	p = wantError(t, byReference(records)["MT-3"], "amount", CodeAmountInvalid)
	if !strings.Contains(p.Message, "logical value FALSE") {
		t.Errorf("message %q does not name the logical value FALSE", p.Message)
	}
}

func TestStoredDecimalsNamed(t *testing.T) {
	tests := []struct {
		file, ref string
		stored    string // the stored value after rounding to 15 digits
		round     string // the ROUND call of the hint
	}{
		// =100/3 under a € format with 2 decimals shows 33,33 €.
		{"office/libreoffice_de.xlsx", "LO-4", "33.3333333333333", "=ROUND(...;2)"},
		// Excel stores 33.333333333333336.
		{"office/excel_misplaced_types.xlsx", "MT-5", "33.3333333333333", "=ROUND(...;2)"},
		{"office/libreoffice_ja.xlsx", "JA-4", "1500.5", "=ROUND(...;0)"},
	}
	for _, tt := range tests {
		records, _ := readFile(t, tt.file, Options{})
		p := wantError(t, byReference(records)[tt.ref], "amount", CodeAmountTooManyDecimal)
		if !strings.Contains(p.Message, "the cell stores "+tt.stored+" and may show fewer decimals") {
			t.Errorf("%s message %q does not give the stored value %s", tt.ref, p.Message, tt.stored)
		}
		if !strings.Contains(p.Message, "payrun never rounds") {
			t.Errorf("%s message %q does not say that payrun never rounds", tt.ref, p.Message)
		}
		if !strings.Contains(p.Hint, tt.round) {
			t.Errorf("%s hint %q does not suggest %s", tt.ref, p.Hint, tt.round)
		}
	}
}

func TestQuestionMarkLegacyCSV(t *testing.T) {
	tests := []struct {
		file    string
		profile Profile
		ref     string
		columns []string
	}{
		// Windows-1252 has no Ł or ą: "Łukasz Wąsowski" became "?ukasz W?sowski".
		{"office/excel_csv_windows1252.csv", Profile{Encoding: "windows-1252"}, "CSV-3", []string{"first_name", "last_name"}},
		// LibreOffice wrote 太郎 山田 as "??" and "??".
		{"office/libreoffice_de_semicolon.csv", Profile{Encoding: "windows-1252", Delimiter: ";", Decimal: ","}, "LO-9",
			[]string{"first_name", "last_name"}},
	}
	for _, tt := range tests {
		records, _ := readFile(t, tt.file, Options{Profile: tt.profile})
		rec := byReference(records)[tt.ref]
		for _, col := range tt.columns {
			p := wantError(t, rec, col, CodeQuestionMark)
			if !strings.Contains(p.Message, "in place of a letter") {
				t.Errorf("%s %s message %q does not say that a letter was replaced", tt.ref, col, p.Message)
			}
			if !strings.Contains(p.Hint, `"CSV UTF-8"`) {
				t.Errorf("%s %s hint %q does not suggest CSV UTF-8", tt.ref, col, p.Hint)
			}
			if strings.Contains(p.Value, "?") {
				t.Errorf("%s %s value %q is not masked", tt.ref, col, p.Value)
			}
		}
	}
}

func TestQuestionMarkWorksheetColumns(t *testing.T) {
	records, _ := readFile(t, "office/excel_question_marks.xlsx", Options{})
	rows := byReference(records)
	tests := map[string]string{
		"QM-1": "last_name", "QM-2": "first_name", "QM-3": "account_holder_name", "QM-4": "address_line1",
		"QM-5": "address_line2", "QM-6": "city", "QM-8": "business_name",
	}
	for ref, col := range tests {
		p := wantError(t, rows[ref], col, CodeQuestionMark)
		wantOnlyErrors(t, rows[ref], CodeQuestionMark)
		if strings.Contains(p.Hint, "CSV UTF-8") {
			t.Errorf("%s hint %q suggests a CSV export for a workbook", ref, p.Hint)
		}
	}

	// A question mark in a description is punctuation.
	wantAmount(t, rows["QM-7"], "10.00")
}

func TestFullWidthDigitsAmount(t *testing.T) {
	records, _ := readFile(t, "office/libreoffice_ja.xlsx", Options{})
	rec := byReference(records)["JA-2"]
	p := wantError(t, rec, "amount", CodeAmountInvalid)
	if !strings.Contains(p.Message, "full-width digits") {
		t.Errorf("message %q does not say that the digits are full-width", p.Message)
	}
	if !strings.Contains(p.Hint, "half-width") {
		t.Errorf("hint %q does not ask for half-width digits", p.Hint)
	}
	// The value is reported as typed, never converted.
	if p.Value != "１５０００" {
		t.Errorf("value %q, want the full-width text as typed", p.Value)
	}
}

func TestDateCellAmount(t *testing.T) {
	records, _ := readFile(t, "office/excel_misplaced_types.xlsx", Options{})
	rows := byReference(records)
	// MT-1 is a date serial under a date format, MT-2 an ISO 8601 date cell.
	for _, ref := range []string{"MT-1", "MT-2"} {
		p := wantError(t, rows[ref], "amount", CodeAmountInvalid)
		if !strings.Contains(p.Message, "holds the date 2026-06-15, not an amount") {
			t.Errorf("%s message %q does not say that the cell holds a date", ref, p.Message)
		}
	}
}

func TestDateCellIdentifier(t *testing.T) {
	records, _ := readFile(t, "office/excel_misplaced_types.xlsx", Options{})
	rec := byReference(records)["MT-4"]
	p := wantError(t, rec, "sort_code", CodeNumericCell)
	wantOnlyErrors(t, rec, CodeNumericCell)
	if !strings.Contains(p.Message, "stored as a date") {
		t.Errorf("message %q does not say that the cell is stored as a date", p.Message)
	}
	if strings.Contains(p.Message, "stored as a number") {
		t.Errorf("message %q calls the date a number", p.Message)
	}
	if p.Value != "2021-02-01" {
		t.Errorf("value %q, want the date 2021-02-01", p.Value)
	}
}

func TestNonASCIIDigitFinding(t *testing.T) {
	tests := []struct{ text, message string }{
		{"１５０００", "full-width digits such as １"},
		{"1５00", "full-width digits such as ５"},
		{"١٥٠", "the digit ١ of another script"}, // Arabic-Indic
		{"१२३", "the digit १ of another script"}, // Devanagari
		{"15000", ""},
		{"1\u00a0234,56 €", ""},
	}
	for _, tt := range tests {
		f := nonASCIIDigitFinding(tt.text)
		switch {
		case tt.message == "" && f != nil:
			t.Errorf("nonASCIIDigitFinding(%q) = %q, want none", tt.text, f.message)
		case tt.message != "" && f == nil:
			t.Errorf("nonASCIIDigitFinding(%q) = none, want %q", tt.text, tt.message)
		case f != nil && !strings.Contains(f.message, tt.message):
			t.Errorf("nonASCIIDigitFinding(%q) = %q, want %q in it", tt.text, f.message, tt.message)
		}
	}
}
