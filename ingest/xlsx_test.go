package ingest

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

var xlsxHeader = []any{
	"reference", "amount", "currency", "external_ref", "beneficiary_type", "first_name", "last_name",
	"email", "country", "iban", "routing_number", "account_number", "account_type", "phone",
	"date_of_birth", "nationality", "address_line1", "city", "state", "postal_code",
}

// eurCells returns a valid EUR row with an IBAN; amount may be any cell value.
func eurCells(ref string, amount any) []any {
	return []any{ref, amount, "EUR", "cust-" + ref, "individual", "Jörg", "Müller", "jorg@example.de", "DE",
		"DE89370400440532013000", "", "", "", "+4915123456789", "1980-01-02", "DE", "Hauptstraße 1", "Berlin", "", "10115"}
}

// usdCells returns a valid USD row with ACH details.
func usdCells(ref string, amount, routing, account any) []any {
	return []any{ref, amount, "USD", "cust-" + ref, "individual", "Ann", "Lee", "ann@example.com", "US",
		"", routing, account, "savings", "+12125550123", "1990-05-06", "US", "1 Main St", "New York", "NY", "10001"}
}

// buildWorkbook writes a workbook with a cover sheet, a hidden sheet and the
// payout sheet, whose header sits below two title rows.
func buildWorkbook(t testing.TB) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()

	mustDo(t, f.SetSheetName("Sheet1", "Cover"))
	mustDo(t, f.SetCellValue("Cover", "A1", "June payouts, prepared by finance"))

	_, err := f.NewSheet("Old")
	mustDo(t, err)
	mustDo(t, f.SetSheetRow("Old", "A1", &xlsxHeader))
	old := eurCells("OLD-1", "5.00")
	mustDo(t, f.SetSheetRow("Old", "A2", &old))
	mustDo(t, f.SetSheetVisible("Old", false))

	_, err = f.NewSheet("Payouts")
	mustDo(t, err)
	mustDo(t, f.SetCellValue("Payouts", "A1", "Payout run June"))
	mustDo(t, f.SetSheetRow("Payouts", "A3", &xlsxHeader))

	rows := [][]any{
		eurCells("X-TEXT", "100.00"),                       // row 4
		eurCells("X-FLOAT", 12.339999999999999),            // row 5
		usdCells("X-TENTH", 10.005, "021000021", "123456"), // row 6
		usdCells("X-NUMACCT", "10.00", "021000021", 123456789012),
		usdCells("X-NUMROUTING", "10.00", 21000021, "123456"), // row 8
		eurCells("X-DATE", "20.00"),                           // row 9
		eurCells("X-CACHED", 0),                               // row 10
		eurCells("X-UNCACHED", nil),                           // row 11
		eurCells("X-NUMCACHED", 0),                            // row 12
		{"X-SHORT", "1.00", "EUR"},                            // row 13
	}
	for i, row := range rows {
		cellRow := row
		mustDo(t, f.SetSheetRow("Payouts", cellName(1, 4+i), &cellRow))
	}

	dob := time.Date(1980, 1, 2, 0, 0, 0, 0, time.UTC)
	mustDo(t, f.SetCellValue("Payouts", "O9", dob))
	mustDo(t, f.SetCellValue("Payouts", "B10", 12.5))
	mustDo(t, f.SetCellFormula("Payouts", "B10", "10+2.5"))
	mustDo(t, f.SetCellFormula("Payouts", "B11", "SUM(Z1:Z2)"))
	mustDo(t, f.SetCellValue("Payouts", "B12", 7.25))
	mustDo(t, f.SetCellFormula("Payouts", "B12", "7+0.25"))

	// Styled but empty cells far below make trailing empty rows.
	style, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	mustDo(t, err)
	mustDo(t, f.SetCellStyle("Payouts", "A20", "C25", style))

	path := filepath.Join(t.TempDir(), "payouts.xlsx")
	mustDo(t, f.SaveAs(path))

	// excelize stores every formula result as a string (t="str"); Excel stores
	// a numeric result without a type, which B12 gets here.
	patchWorksheet(t, path, `<c r="B12" t="str">`, `<c r="B12">`)
	return path
}

func cellName(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col, row)
	return name
}

func mustDo(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// patchWorksheet replaces text in every worksheet part of the workbook.
func patchWorksheet(t testing.TB, path, old, replacement string) {
	t.Helper()
	in, err := zip.OpenReader(path)
	mustDo(t, err)
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	patched := false
	for _, file := range in.File {
		rc, err := file.Open()
		mustDo(t, err)
		data, err := io.ReadAll(rc)
		mustDo(t, err)
		rc.Close()
		if strings.HasPrefix(file.Name, "xl/worksheets/") && bytes.Contains(data, []byte(old)) {
			data = bytes.ReplaceAll(data, []byte(old), []byte(replacement))
			patched = true
		}
		fw, err := w.Create(file.Name)
		mustDo(t, err)
		_, err = fw.Write(data)
		mustDo(t, err)
	}
	in.Close()
	mustDo(t, w.Close())
	if !patched {
		t.Fatalf("worksheet text %q not found", old)
	}
	mustDo(t, os.WriteFile(path, out.Bytes(), 0o600))
}

func TestXLSXSheetSelection(t *testing.T) {
	records, r := readFile(t, buildWorkbook(t), Options{})
	if r.Format() != "xlsx" {
		t.Errorf("Format() = %q, want xlsx", r.Format())
	}
	if r.Sheet() != "Payouts" {
		t.Errorf("Sheet() = %q, want Payouts", r.Sheet())
	}

	var selection string
	for _, p := range r.FileProblems() {
		if p.Code == CodeSheetSelected {
			selection = p.Message
		}
	}
	for _, want := range []string{`"Payouts"`, `"Cover"`, `hidden sheet "Old"`} {
		if !strings.Contains(selection, want) {
			t.Errorf("selection note %q does not mention %s", selection, want)
		}
	}
	if len(records) != 10 {
		t.Errorf("%d records, want 10 (trailing empty rows ignored)", len(records))
	}
	if records[0].Row != 4 {
		t.Errorf("first data row %d, want 4 (absolute sheet row)", records[0].Row)
	}
}

func TestXLSXTypedCells(t *testing.T) {
	records, _ := readFile(t, buildWorkbook(t), Options{})
	rows := byReference(records)

	wantValid(t, rows["X-TEXT"])

	wantValid(t, rows["X-FLOAT"])
	if in := rows["X-FLOAT"].Instruction; in != nil && in.Amount.Canonical() != "12.34" {
		t.Errorf("stored 12.339999999999999 read as %s, want 12.34", in.Amount.Canonical())
	}

	wantError(t, rows["X-TENTH"], "amount", CodeAmountTooManyDecimal)

	p := wantError(t, rows["X-NUMACCT"], "account_number", CodeNumericCell)
	if !strings.Contains(p.Hint, "format the column as Text") {
		t.Errorf("hint %q, want the Text-format advice", p.Hint)
	}
	if strings.Contains(p.Value, "56789012") {
		t.Errorf("value %q shows the account number unmasked", p.Value)
	}
	wantError(t, rows["X-NUMROUTING"], "routing_number", CodeNumericCell)

	wantValid(t, rows["X-DATE"])
	if in := rows["X-DATE"].Instruction; in != nil && in.Beneficiary.DateOfBirth.Reveal() != "1980-01-02" {
		t.Errorf("date cell read as %q, want 1980-01-02", in.Beneficiary.DateOfBirth.Reveal())
	}
}

func TestXLSXFormulas(t *testing.T) {
	records, _ := readFile(t, buildWorkbook(t), Options{})
	rows := byReference(records)

	wantValid(t, rows["X-CACHED"])
	if in := rows["X-CACHED"].Instruction; in != nil && in.Amount.Canonical() != "12.50" {
		t.Errorf("cached text formula read as %s, want 12.50", in.Amount.Canonical())
	}
	wantValid(t, rows["X-NUMCACHED"])
	if in := rows["X-NUMCACHED"].Instruction; in != nil && in.Amount.Canonical() != "7.25" {
		t.Errorf("cached numeric formula read as %s, want 7.25", in.Amount.Canonical())
	}
	wantError(t, rows["X-UNCACHED"], "amount", CodeFormulaNoValue)
	wantOnlyErrors(t, rows["X-UNCACHED"], CodeFormulaNoValue)
}

func TestXLSXShortRow(t *testing.T) {
	records, _ := readFile(t, buildWorkbook(t), Options{})
	short := byReference(records)["X-SHORT"]
	if short.Row != 13 {
		t.Errorf("short row at %d, want 13", short.Row)
	}
	wantError(t, short, "external_ref", CodeBeneficiaryNone)
	if short.Raw.Get("currency") != "EUR" {
		t.Errorf("currency %q, want EUR in its own column", short.Raw.Get("currency"))
	}
}

func TestXLSXProfileSheet(t *testing.T) {
	path := buildWorkbook(t)

	records, r := readFile(t, path, Options{Profile: Profile{Sheet: "old"}})
	if r.Sheet() != "Old" || len(records) != 1 {
		t.Errorf("sheet %q with %d records, want Old with 1", r.Sheet(), len(records))
	}

	withRow, _ := readFile(t, path, Options{Profile: Profile{Sheet: "Payouts", HeaderRow: 3}})
	if len(withRow) != 10 {
		t.Errorf("%d records with header_row 3, want 10", len(withRow))
	}

	_, err := Open(path, Options{Profile: Profile{Sheet: "Missing"}})
	fe, ok := err.(*FileError)
	if !ok || fe.Code != CodeSheetNotFound {
		t.Fatalf("Open with a missing sheet: %v, want %s", err, CodeSheetNotFound)
	}
	if !strings.Contains(fe.Message, `"Cover", "Old", "Payouts"`) {
		t.Errorf("message %q does not list the sheets", fe.Message)
	}
}

func TestXLSXWithoutHeader(t *testing.T) {
	f := excelize.NewFile()
	mustDo(t, f.SetSheetRow("Sheet1", "A1", &[]any{"reference", "ammount", "currency", "external_ref"}))
	path := filepath.Join(t.TempDir(), "typo.xlsx")
	mustDo(t, f.SaveAs(path))
	f.Close()

	_, err := Open(path, Options{})
	fe, ok := err.(*FileError)
	if !ok || fe.Code != CodeMissingColumns {
		t.Fatalf("Open: %v, want %s", err, CodeMissingColumns)
	}
	if !strings.Contains(fe.Message, `"ammount"`) {
		t.Errorf("message %q does not list the found columns", fe.Message)
	}
}

func TestXLSXNotAWorkbook(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fake.xlsx")
	mustDo(t, os.WriteFile(path, []byte("reference,amount\n"), 0o600))
	_, err := Open(path, Options{})
	fe, ok := err.(*FileError)
	if !ok || fe.Code != CodeXLSXInvalid {
		t.Fatalf("Open: %v, want %s", err, CodeXLSXInvalid)
	}
}
