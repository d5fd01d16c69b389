package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
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

// hostileRows are a header and a valid row for the hostile packages to damage.
var hostileRows = inlineRow(1, fuzzHeader...) + inlineRow(2, fuzzRowValues("H-1", "12.50")...)

// billionLaughs is a DTD whose entity lol9 expands to 10^9 copies of "lol".
const billionLaughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
	`<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
	`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">` +
	`<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>`

// withParts returns parts with each replacement put in place of the part
// of its name, or added.
func withParts(parts []zipEntry, replacements ...zipEntry) []zipEntry {
	out := append([]zipEntry(nil), parts...)
	for _, r := range replacements {
		found := false
		for i := range out {
			if out[i].name == r.name {
				out[i], found = r, true
			}
		}
		if !found {
			out = append(out, r)
		}
	}
	return out
}

// hostileFileError writes a package and returns the file error that
// reading it ends with.
func hostileFileError(t *testing.T, data []byte) *FileError {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hostile.xlsx")
	mustDo(t, os.WriteFile(path, data, 0o600))
	fe := readXLSXRecords(t, path, func(*Reader, Record) {})
	if fe == nil {
		t.Fatalf("reading the package succeeded, want a file error")
	}
	return fe
}

// wantFileErrorText checks the code and a part of the message of a file error.
func wantFileErrorText(t *testing.T, fe *FileError, code, text string) {
	t.Helper()
	if fe.Code != code {
		t.Errorf("code %s (%s), want %s", fe.Code, fe.Message, code)
	}
	if !strings.Contains(fe.Message, text) {
		t.Errorf("message %q does not say %q", fe.Message, text)
	}
}

// markupBomb returns n bytes of text with a '<' every 1,000 bytes, which a
// limit on the run between two '<' alone would let through.
func markupBomb(n int) string {
	return strings.Repeat(strings.Repeat("x", 999)+"<", n/1000)
}

// farRightRows returns n rows from row first, each with one cell, in the
// last column of a worksheet.
func farRightRows(first, n int) string {
	var b strings.Builder
	for r := first; r < first+n; r++ {
		fmt.Fprintf(&b, `<row r="%d"><c r="XFD%d"><v>1</v></c></row>`, r, r)
	}
	return b.String()
}

func TestXLSXHostileWorksheets(t *testing.T) {
	table := sharedStringsXML(fuzzStrings)
	tests := []struct{ name, rows, want string }{
		{"cell left of the one before", `<row r="3"><c r="C3"><v>1</v></c><c r="A3"><v>2</v></c></row>`,
			"cell A3 comes after cell C3"},
		{"cell given twice", `<row r="3"><c r="B3"><v>1</v></c><c r="B3"><v>2</v></c></row>`,
			"cell B3 comes after cell B3"},
		{"cell of another row", `<row r="3"><c r="B7"><v>1</v></c></row>`, "names another row"},
		{"invalid cell reference", `<row r="3"><c r="3B"><v>1</v></c></row>`, "not a column and row"},
		{"row before the one above", `<row r="5"><c><v>1</v></c></row><row r="3"><c><v>1</v></c></row>`,
			"has row 3 after row 5"},
		{"row given twice", `<row r="5"><c><v>1</v></c></row><row r="5"><c><v>1</v></c></row>`,
			"has row 5 after row 5"},
		{"invalid row number", `<row r="3x"><c><v>1</v></c></row>`, "not a whole number"},
		{"row in a row", `<row r="3"><row r="4"/></row>`, "contains another row"},
		{"other element in sheetData", `<col min="1" max="2"/>`, "only rows belong there"},
		{"end tag without start", `<row r="3"></c></row>`, "closed by </c>"},
		{"two values", `<row r="3"><c r="B3"><v>1</v><v>2</v></c></row>`, "two values"},
		{"element in a value", `<row r="3"><c r="B3"><v>1<b/>2</v></c></row>`, "contains the element <b>"},
		{"unknown type", `<row r="3"><c r="B3" t="S"><v>1</v></c></row>`, `unknown type "S"`},
		{"number beyond range", `<row r="3"><c r="B3"><v>1e400</v></c></row>`, "beyond the range"},
		{"number too small", `<row r="3"><c r="B3"><v>1e-400</v></c></row>`, "beyond the range"},
		{"not a number", `<row r="3"><c r="B3"><v>NaN</v></c></row>`, "not a number"},
		{"logical value 7", `<row r="3"><c r="B3" t="b"><v>7</v></c></row>`, "neither 0 nor 1"},
		{"shared string past the table", `<row r="3"><c r="B3" t="s"><v>999</v></c></row>`,
			`shared string "999" is not in the workbook's table`},
		{"negative shared string", `<row r="3"><c r="B3" t="s"><v>-1</v></c></row>`,
			`shared string "-1" is not in the workbook's table`},
		{"text too long for a cell", `<row r="3"><c r="B3" t="inlineStr"><is><t>` + strings.Repeat("a", maxCellChars+1) +
			`</t></is></c></row>`, "more than 32767 characters"},
		{"CDATA bomb", `<row r="3"><c r="B3" t="str"><v><![CDATA[` + markupBomb(2<<20) + `]]></v></c></row>`,
			"longer than 1 MiB"},
		{"comment bomb", `<!--` + markupBomb(2<<20) + `-->`, "longer than 1 MiB"},
		{"deep nesting", `<row r="3"><c r="B3">` + strings.Repeat("<x>", 200) + strings.Repeat("</x>", 200) + `</c></row>`,
			"nest more than 128 deep"},
		{"rows of one cell in column XFD", farRightRows(3, 200), "more than 16 times as many"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sheet := worksheetXML(hostileRows, tt.rows)
			fe := hostileFileError(t, fuzzPackage(sheet, table))
			wantFileErrorText(t, fe, CodeXLSXInvalid, tt.want)
		})
	}
}

func TestXLSXHostileXML(t *testing.T) {
	sheet := worksheetXML(hostileRows)
	table := sharedStringsXML(fuzzStrings)
	laughs := billionLaughs + `<worksheet><sheetData>` + hostileRows + `<row r="3"><c r="A3" t="str"><v>&lol9;</v></c></row>` +
		`</sheetData></worksheet>`
	tests := []struct {
		name  string
		parts []zipEntry
		want  string
	}{
		{"billion laughs in the worksheet", fuzzParts([]byte(laughs), table), "<!DOCTYPE>"},
		{"billion laughs in the shared strings", fuzzParts(sheet, []byte(billionLaughs+`<sst><si><t>&lol9;</t></si></sst>`)),
			"<!DOCTYPE>"},
		{"billion laughs in the workbook", withParts(fuzzParts(sheet, table), zipEntry{"xl/workbook.xml",
			[]byte(billionLaughs + `<workbook><sheets><sheet name="&lol9;" sheetId="1"/></sheets></workbook>`)}), "<!DOCTYPE>"},
		{"worksheet cut short", fuzzParts(sheet[:len(sheet)-len("</sheetData></worksheet>")], table), "ends inside <sheetData>"},
		{"extra end tag in the shared strings", fuzzParts(sheet, []byte(`<sst><si><t>a</t></si></si></sst>`)), "closed by </si>"},
		{"shared strings without sst", fuzzParts(sheet, []byte(`<table><si><t>a</t></si></table>`)), "root element is <table>"},
		{"shared string too long", fuzzParts(sheet, []byte(`<sst><si><t>`+strings.Repeat("a", maxCellChars+1)+`</t></si></sst>`)),
			"more than 32767 characters"},
		{"deep shared strings", fuzzParts(sheet, []byte(`<sst>`+strings.Repeat("<si>", 200)+strings.Repeat("</si>", 200)+`</sst>`)),
			"nest more than 128 deep"},
		{"deep workbook", withParts(fuzzParts(sheet, table), zipEntry{"xl/workbook.xml",
			[]byte(`<workbook>` + strings.Repeat("<x>", 20000) + strings.Repeat("</x>", 20000) + `</workbook>`)}),
			"nest more than 128 deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := hostileFileError(t, zipPackage(tt.parts))
			wantFileErrorText(t, fe, CodeXLSXInvalid, tt.want)
		})
	}
}

// deflatedEntry returns a zip entry of data written n/len(data) times and
// compressed at the fastest level, which for repeated data still reaches
// about 195 times.
func deflatedEntry(t *testing.T, name string, data []byte, n int) []byte {
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	w.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	for _, p := range fuzzParts(nil, sharedStringsXML(fuzzStrings)) {
		if p.name == name {
			continue
		}
		fw, err := w.Create(p.name)
		mustDo(t, err)
		_, err = fw.Write(p.data)
		mustDo(t, err)
	}
	fw, err := w.Create(name)
	mustDo(t, err)
	for written := 0; written < n; written += len(data) {
		_, err = fw.Write(data)
		mustDo(t, err)
	}
	mustDo(t, w.Close())
	return out.Bytes()
}

func TestXLSXZipBombs(t *testing.T) {
	// 70 MiB of empty elements, about 200 times its compressed size: the
	// zip directory shows the ratio, so nothing is inflated.
	bomb := deflatedEntry(t, "xl/worksheets/sheet1.xml", bytes.Repeat([]byte("<x/>"), 1<<14), 70<<20)
	fe := hostileFileError(t, bomb)
	wantFileErrorText(t, fe, CodeXLSXInvalid, "zip bomb")

	// A 10 KB zip inflates to at most about 10 MB, deflate's limit, which
	// is read in bounded time: here a run of spaces stops at 1 MiB.
	spaces := deflatedEntry(t, "xl/worksheets/sheet1.xml", bytes.Repeat([]byte(" "), 1<<14), 10<<20)
	if len(spaces) > 64<<10 {
		t.Errorf("the package of 10 MiB of spaces is %d bytes, want a small zip", len(spaces))
	}
	fe = hostileFileError(t, spaces)
	wantFileErrorText(t, fe, CodeXLSXInvalid, "longer than 1 MiB")

	// A zip directory that states an inflated size of 4 GiB for a few bytes
	// of deflate data is rejected before it is read.
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	for _, p := range fuzzParts(nil, sharedStringsXML(fuzzStrings))[:6] {
		fw, err := w.Create(p.name)
		mustDo(t, err)
		_, err = fw.Write(p.data)
		mustDo(t, err)
	}
	raw, err := w.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate,
		CompressedSize64: 2, UncompressedSize64: 4 << 30})
	mustDo(t, err)
	_, err = raw.Write([]byte{0x03, 0x00}) // an empty final deflate block
	mustDo(t, err)
	mustDo(t, w.Close())
	fe = hostileFileError(t, out.Bytes())
	wantFileErrorText(t, fe, CodeXLSXInvalid, "zip bomb")
}

// TestXLSXSharedTextBound reads a sheet whose cells refer to one shared
// string of 32,000 characters again and again, more text than the sheet
// may refer to, through the source alone, which is quick.
func TestXLSXSharedTextBound(t *testing.T) {
	long := strings.Repeat("7", 32000)
	table := sharedStringsXML(append(append([]string(nil), fuzzStrings...), long))
	ref := len(fuzzStrings)
	var rows strings.Builder
	rows.WriteString(hostileRows)
	for r := 3; r < 6000; r++ {
		fmt.Fprintf(&rows, `<row r="%d"><c r="K%d" t="s"><v>%d</v></c><c r="L%d" t="s"><v>%d</v></c></row>`, r, r, ref, r, ref)
	}
	path := filepath.Join(t.TempDir(), "repeated.xlsx")
	mustDo(t, os.WriteFile(path, fuzzPackage(worksheetXML(rows.String()), table), 0o600))

	src, _, err := openXLSX(path, Profile{})
	mustDo(t, err)
	defer src.close()
	for err == nil {
		_, err = src.next()
	}
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("reading the sheet ended with %v, want a file error", err)
	}
	wantFileErrorText(t, fe, CodeXLSXInvalid, "more than 256.0 MiB plus 16 times the sheet's")
}

// workbookRels returns a workbook relationship part whose worksheet
// relationship rId1 points at target.
func workbookRels(target string) zipEntry {
	return zipEntry{"xl/_rels/workbook.xml.rels", []byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="` + transitionalRelationships + `/worksheet" Target="` + target + `"/>` +
		`<Relationship Id="rId3" Type="` + transitionalRelationships + `/sharedStrings" Target="sharedStrings.xml"/>` +
		`</Relationships>`)}
}

// workbookSheets returns a workbook part that lists the sheets, each with
// the relationship id rId1.
func workbookSheets(names ...string) zipEntry {
	var b strings.Builder
	b.WriteString(`<workbook xmlns:r="` + transitionalRelationships + `"><sheets>`)
	for i, name := range names {
		fmt.Fprintf(&b, `<sheet name="%s" sheetId="%d" r:id="rId1"/>`, name, i+1)
	}
	b.WriteString(`</sheets></workbook>`)
	return zipEntry{"xl/workbook.xml", []byte(b.String())}
}

func TestXLSXHostilePackages(t *testing.T) {
	parts := fuzzParts(worksheetXML(hostileRows), sharedStringsXML(fuzzStrings))
	without := func(name string) []zipEntry {
		var out []zipEntry
		for _, p := range parts {
			if p.name != name {
				out = append(out, p)
			}
		}
		return out
	}
	tests := []struct {
		name  string
		parts []zipEntry
		code  string
		want  string
	}{
		{"worksheet part missing", without("xl/worksheets/sheet1.xml"), CodeXLSXInvalid,
			"open worksheet xl/worksheets/sheet1.xml"},
		{"worksheet relationship missing", withParts(parts, zipEntry{"xl/workbook.xml",
			[]byte(`<workbook xmlns:r="` + transitionalRelationships + `"><sheets><sheet name="Payouts" r:id="rId9"/></sheets></workbook>`)}),
			CodeXLSXInvalid, `lists sheet "Payouts" but its worksheet part is missing`},
		{"parts named alike", withParts(parts, zipEntry{"XL/Worksheets/Sheet1.xml", worksheetXML()}), CodeXLSXInvalid,
			"differ in more than letter case"},
		// Relationships are followed one step from the package and one
		// from the workbook, never further, so a cycle cannot loop: a part
		// linked as the wrong kind is read as that kind.
		{"sheet is the workbook part", withParts(parts, workbookRels("workbook.xml")), CodeNoHeader, "contains no rows"},
		{"sheet is its own relationships", withParts(parts, workbookRels("_rels/workbook.xml.rels")), CodeNoHeader,
			"contains no rows"},
		{"workbook is the package relationships", withParts(parts, zipEntry{"_rels/.rels",
			[]byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
				`<Relationship Id="rId1" Type="` + transitionalRelationships + `/officeDocument" Target="_rels/.rels"/></Relationships>`)}),
			CodeXLSXInvalid, "read workbook relationships"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := hostileFileError(t, zipPackage(tt.parts))
			wantFileErrorText(t, fe, tt.code, tt.want)
		})
	}
}

func TestXLSXSheetsOfOnePart(t *testing.T) {
	// A thousand sheets that name one worksheet without a header: the part
	// is read once and the message lists the first sheets only.
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprintf("S%d", i+1)
	}
	parts := fuzzParts(worksheetXML(inlineRow(1, "no", "header")), sharedStringsXML(fuzzStrings))
	fe := hostileFileError(t, zipPackage(withParts(parts, workbookSheets(names...))))
	wantFileErrorText(t, fe, CodeMissingColumns, "and 980 more sheets")
	if n := strings.Count(fe.Message, `sheet "S`); n != maxSheetNotes {
		t.Errorf("message names %d sheets, want %d", n, maxSheetNotes)
	}
}

func TestDecodeEscapedSurrogates(t *testing.T) {
	tests := map[string]string{
		"_xD83D__xDE00_":        "😀",
		"a_xD83D_b":             "a\uFFFDb",
		"_xDE00_":               "\uFFFD",
		"_xD83D__xD83D__xDE00_": "\uFFFD😀",
	}
	for in, want := range tests {
		if got := decodeEscapes(in); got != want {
			t.Errorf("decodeEscapes(%q) = %q, want %q", in, got, want)
		}
	}
}
