package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// The XLSX fuzz targets check that no worksheet, shared string table or
// package makes the reader panic, return an error other than a *FileError,
// or pay an amount other than the one the cell contains. A hang is caught
// by the fuzzing engine, which fails an input that runs for more than 10
// seconds (internal/fuzz in Go 1.26). In plain go test the seeds run once
// each. The engine minimizes each new input for up to 60 seconds unless
// told otherwise, which with one worker leaves little time to fuzz:
//
//	go test ./ingest -run '^$' -fuzz '^FuzzXLSXSheet$' -fuzztime 5m -fuzzminimizetime 100x -parallel 1

// fuzzStrings is the shared string table of the fuzz workbook: the header
// and the values of the seed rows, so a seed may use shared or inline strings.
var fuzzStrings = []string{
	"reference", "amount", "currency", "external_ref", "beneficiary_type", "first_name", "last_name",
	"email", "country", "iban", "FZ-1", "12.50", "EUR", "cust-1", "individual", "Jörg", "Müller",
	"jorg@example.de", "DE", "DE89370400440532013000", "7.05", "line_x000D_break", "FZ-2",
}

// decodedFuzzStrings is fuzzStrings with its _xHHHH_ escapes decoded, as
// the reader returns them.
var decodedFuzzStrings = func() []string {
	out := make([]string, len(fuzzStrings))
	for i, s := range fuzzStrings {
		out[i] = oracleDecode(s)
	}
	return out
}()

// fuzzHeader is the header row of the seeds, as shared strings 0 to 9.
var fuzzHeader = fuzzStrings[:10]

// fuzzRowValues returns the cells of a valid EUR row of the seeds.
func fuzzRowValues(ref, amount string) []string {
	return []string{ref, amount, "EUR", "cust-" + ref, "individual", "Jörg", "Müller",
		"jorg@example.de", "DE", "DE89370400440532013000"}
}

// fuzzStyles has a date format (1), a custom date format (2), a number
// format (3) and the text format (4), beside General (0).
const fuzzStyles = `<?xml version="1.0" encoding="UTF-8"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
	`<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/></numFmts>` +
	`<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="2"/><xf numFmtId="49"/></cellXfs>` +
	`</styleSheet>`

// zipEntry is one part of a package built by a test.
type zipEntry struct {
	name string
	data []byte
}

// fuzzParts returns the parts of a workbook with one sheet, "Payouts",
// whose parts are the given worksheet and shared string table.
func fuzzParts(sheet, sharedStrings []byte) []zipEntry {
	const main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	const rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	const pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
	return []zipEntry{
		{"[Content_Types].xml", []byte(`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="xml" ContentType="application/xml"/></Types>`)},
		{"_rels/.rels", []byte(`<Relationships xmlns="` + pkg + `"><Relationship Id="rId1" Type="` + rels +
			`/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
		{"xl/workbook.xml", []byte(`<workbook xmlns="` + main + `" xmlns:r="` + rels + `"><sheets>` +
			`<sheet name="Payouts" sheetId="1" r:id="rId1"/></sheets></workbook>`)},
		{"xl/_rels/workbook.xml.rels", []byte(`<Relationships xmlns="` + pkg + `">` +
			`<Relationship Id="rId1" Type="` + rels + `/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="` + rels + `/styles" Target="styles.xml"/>` +
			`<Relationship Id="rId3" Type="` + rels + `/sharedStrings" Target="sharedStrings.xml"/>` +
			`</Relationships>`)},
		{"xl/styles.xml", []byte(fuzzStyles)},
		{"xl/sharedStrings.xml", sharedStrings},
		{"xl/worksheets/sheet1.xml", sheet},
	}
}

// fuzzPackage returns the bytes of the workbook of fuzzParts.
func fuzzPackage(sheet, sharedStrings []byte) []byte {
	return zipPackage(fuzzParts(sheet, sharedStrings))
}

// zipPackage returns the bytes of a zip of the parts, stored uncompressed,
// which keeps each run of a fuzz target short.
func zipPackage(parts []zipEntry) []byte {
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	for _, p := range parts {
		fw, err := w.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Store})
		if err == nil {
			_, err = fw.Write(p.data)
		}
		if err != nil {
			panic(fmt.Sprintf("build test package part %s: %v", p.name, err))
		}
	}
	if err := w.Close(); err != nil {
		panic(fmt.Sprintf("finish test package: %v", err))
	}
	return out.Bytes()
}

// sharedStringsXML returns a shared string table of plain items.
func sharedStringsXML(items []string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	for _, s := range items {
		b.WriteString("<si><t>" + xmlEscape(s) + "</t></si>")
	}
	b.WriteString("</sst>")
	return []byte(b.String())
}

// worksheetXML wraps rows in a worksheet part.
func worksheetXML(rows ...string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		strings.Join(rows, "") + `</sheetData></worksheet>`)
}

// inlineRow returns row n with inline string cells from column A.
func inlineRow(n int, values ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<row r="%d">`, n)
	for i, v := range values {
		fmt.Fprintf(&b, `<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>`, columnLetters(i+1), n, xmlEscape(v))
	}
	b.WriteString("</row>")
	return b.String()
}

// sharedRow returns row n whose cells are the given shared string indexes.
func sharedRow(n int, indexes ...int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<row r="%d">`, n)
	for i, index := range indexes {
		fmt.Fprintf(&b, `<c r="%s%d" t="s"><v>%d</v></c>`, columnLetters(i+1), n, index)
	}
	b.WriteString("</row>")
	return b.String()
}

func xmlEscape(s string) string {
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		panic(err)
	}
	return b.String()
}

// writeFuzzFile writes data to name in dir and returns its path.
func writeFuzzFile(t *testing.T, dir, name string, data []byte) string {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readXLSXRecords reads every record of path and calls check with each. It
// returns the *FileError that ended the reading, or nil after the last
// record, and fails t on an error of any other type or a valid record with
// an error.
func readXLSXRecords(t *testing.T, path string, check func(*Reader, Record)) *FileError {
	r, err := Open(path, Options{})
	if err != nil {
		return wantFileError(t, "Open", err)
	}
	defer r.Close()
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return wantFileError(t, "Next", err)
		}
		if rec.Valid() && len(codes(rec, SeverityError)) > 0 {
			t.Fatalf("row %d valid with errors %v", rec.Row, rec.Problems)
		}
		check(r, rec)
	}
}

func wantFileError(t *testing.T, call string, err error) *FileError {
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("%s error %v (%T), want *FileError", call, err, err)
	}
	if fe.Code == "" || fe.Message == "" || fe.Hint == "" {
		t.Fatalf("%s file error %+v lacks a code, message or hint", call, fe)
	}
	return fe
}

// plainAmount matches an amount that every currency of two decimals reads
// as written.
var plainAmount = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,2})?$`)

// checkCell fails t when a valid record's reference or amount differs from
// what the oracle reads in that row: a different reference, or a plain
// decimal amount paid as another value.
func checkCell(t *testing.T, r *Reader, rec Record, sheet *oracleSheet) {
	if !rec.Valid() {
		return
	}
	row, ok := sheet.rows[rec.Row]
	if !ok {
		t.Fatalf("valid record for row %d, which the worksheet does not have", rec.Row)
	}

	refCell := row[r.cols.index[colReference]+1]
	if got, want := rec.Reference, cleanIdentifier(refCell.text); got != want {
		t.Fatalf("row %d reference %q, want %q from the cell", rec.Row, got, want)
	}

	amountCell := row[r.cols.index[colAmount]+1]
	if !plainAmount.MatchString(amountCell.text) {
		return
	}
	want := decimal.RequireFromString(amountCell.text)
	if !rec.Instruction.Amount.Value.Equal(want) {
		t.Fatalf("row %d amount %s, want %s from the cell", rec.Row, rec.Instruction.Amount.Value, want)
	}
}

// addSheetSeeds adds the worksheets of the office files and of the
// workbook of the XLSX tests, with their shared strings written inline.
func addSheetSeeds(f *testing.F) {
	paths, err := filepath.Glob("testdata/office/*.xlsx")
	if err != nil {
		f.Fatal(err)
	}
	paths = append(paths, buildWorkbook(f))
	for _, path := range paths {
		for _, sheet := range inlinedSheets(f, path) {
			f.Add(sheet)
		}
	}

	header := make([]int, len(fuzzHeader))
	for i := range header {
		header[i] = i
	}
	f.Add(worksheetXML(inlineRow(1, fuzzHeader...), inlineRow(2, fuzzRowValues("FZ-1", "12.50")...)))
	f.Add(worksheetXML(sharedRow(1, header...), sharedRow(2, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19),
		`<row r="3"><c r="A3" t="inlineStr"><is><r><t>FZ-</t></r><r><t>3</t></r></is></c><c r="B3"><v>7.05</v></c>`+
			`<c r="C3" t="str"><v>EUR</v></c><c r="D3" t="s"><v>13</v></c></row>`))
}

// maxSeedPart leaves out the damaged office files whose parts are large,
// because every mutation of a seed copies it.
const maxSeedPart = 64 << 10

// inlinedSheets returns the worksheet parts of an XLSX file, each cell of a
// shared string rewritten as an inline string.
func inlinedSheets(tb testing.TB, path string) [][]byte {
	archive, err := zip.OpenReader(path)
	if err != nil {
		if strings.Contains(path, "damaged_") {
			return nil
		}
		tb.Fatal(err)
	}
	defer archive.Close()

	// A damaged table leaves the cells as they are.
	table := &sharedStrings{}
	if data, ok := zipPart(tb, &archive.Reader, "xl/sharedStrings.xml"); ok {
		if parsed, err := parseSharedStrings(bytes.NewReader(data)); err == nil {
			table = parsed
		}
	}
	var sheets [][]byte
	for _, file := range archive.File {
		if !strings.HasPrefix(file.Name, "xl/worksheets/") || file.UncompressedSize64 > maxSeedPart {
			continue
		}
		data, _ := zipPart(tb, &archive.Reader, file.Name)
		sheets = append(sheets, inlineSharedCells(data, table))
	}
	return sheets
}

func zipPart(tb testing.TB, archive *zip.Reader, name string) ([]byte, bool) {
	file, err := archive.Open(name)
	if err != nil {
		return nil, false
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		tb.Fatalf("read %s: %v", name, err)
	}
	return data, true
}

var sharedCell = regexp.MustCompile(`<c ([^>]*?)t="s"([^>]*)><v>([0-9]+)</v></c>`)

func inlineSharedCells(sheet []byte, table *sharedStrings) []byte {
	return sharedCell.ReplaceAllFunc(sheet, func(m []byte) []byte {
		parts := sharedCell.FindSubmatch(m)
		var index int
		fmt.Sscan(string(parts[3]), &index)
		text, ok := table.get(index)
		if !ok {
			return m
		}
		return []byte(`<c ` + string(parts[1]) + `t="inlineStr"` + string(parts[2]) +
			`><is><t xml:space="preserve">` + xmlEscape(text) + `</t></is></c>`)
	})
}

// FuzzXLSXSheet reads a workbook whose worksheet is the input. A worksheet
// that the oracle finds damaged must end in a *FileError, and every valid
// record must carry the reference and the amount its cells hold.
func FuzzXLSXSheet(f *testing.F) {
	addSheetSeeds(f)
	table := sharedStringsXML(fuzzStrings)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, sheetXML []byte) {
		path := writeFuzzFile(t, dir, "sheet.xlsx", fuzzPackage(sheetXML, table))
		oracle, damage := readOracleSheet(sheetXML, decodedFuzzStrings)
		fe := readXLSXRecords(t, path, func(r *Reader, rec Record) {
			if damage != nil && rec.Row >= damage.row {
				t.Fatalf("record of row %d, want a file error %v", rec.Row, damage)
			}
			checkCell(t, r, rec, oracle)
		})
		if damage != nil && fe == nil {
			t.Fatalf("worksheet read to the end, want a file error %v", damage)
		}
	})
}

// fuzzSharedSheet is the worksheet of FuzzXLSXSharedStrings: a header in
// inline strings, and rows whose reference and amount cells are shared
// strings 0 to 7.
var fuzzSharedSheet = worksheetXML(
	inlineRow(1, fuzzHeader...),
	sharedValueRow(2, 0, 1), sharedValueRow(3, 2, 3), sharedValueRow(4, 4, 5), sharedValueRow(5, 6, 7))

// sharedValueRow returns a valid EUR row whose reference and amount are
// shared strings.
func sharedValueRow(n, reference, amount int) string {
	row := inlineRow(n, fuzzRowValues("X", "1")...)
	row = strings.Replace(row, fmt.Sprintf(`<c r="A%d" t="inlineStr"><is><t>X</t></is></c>`, n),
		fmt.Sprintf(`<c r="A%d" t="s"><v>%d</v></c>`, n, reference), 1)
	return strings.Replace(row, fmt.Sprintf(`<c r="B%d" t="inlineStr"><is><t>1</t></is></c>`, n),
		fmt.Sprintf(`<c r="B%d" t="s"><v>%d</v></c>`, n, amount), 1)
}

// FuzzXLSXSharedStrings reads a workbook whose shared string table is the
// input. A table that the oracle finds damaged must end in a *FileError,
// and every valid record must carry the reference and amount of its items.
func FuzzXLSXSharedStrings(f *testing.F) {
	paths, err := filepath.Glob("testdata/office/*.xlsx")
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range paths {
		archive, err := zip.OpenReader(path)
		if err != nil {
			continue
		}
		if data, ok := zipPart(f, &archive.Reader, "xl/sharedStrings.xml"); ok && len(data) <= maxSeedPart {
			f.Add(data)
		}
		archive.Close()
	}
	f.Add(sharedStringsXML([]string{"FZ-1", "12.50", "FZ-2", "7.05", "FZ-3", "0.99", "FZ-4", "100"}))
	f.Add([]byte(`<sst><si><r><t>FZ-</t></r><r><t>1</t></r><rPh><t>ignored</t></rPh></si><si><t>1_x0032_.50</t></si>` +
		`<si><t xml:space="preserve"> FZ-2 </t></si><si><t>7.05</t></si></sst>`))

	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, table []byte) {
		path := writeFuzzFile(t, dir, "strings.xlsx", fuzzPackage(fuzzSharedSheet, table))
		// Damage in the table ends the reading before the first row;
		// damage in the sheet, such as an index past the table, at its row.
		damage := &oracleDamage{row: 1}
		items, err := readOracleStrings(table)
		oracle := &oracleSheet{}
		if damage.err = err; err == nil {
			oracle, damage = readOracleSheet(fuzzSharedSheet, items)
		}
		fe := readXLSXRecords(t, path, func(r *Reader, rec Record) {
			if damage != nil && rec.Row >= damage.row {
				t.Fatalf("record of row %d, want a file error %v", rec.Row, damage)
			}
			checkCell(t, r, rec, oracle)
		})
		if damage != nil && fe == nil {
			t.Fatalf("workbook read to the end, want a file error %v", damage)
		}
	})
}

// FuzzXLSXPackage validates arbitrary bytes as an XLSX file: the report
// either has a file error or counts every row as valid or invalid.
func FuzzXLSXPackage(f *testing.F) {
	paths, err := filepath.Glob("testdata/office/*.xlsx")
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) <= maxSeedPart {
			f.Add(data)
		}
	}
	f.Add(fuzzPackage(worksheetXML(inlineRow(1, fuzzHeader...), inlineRow(2, fuzzRowValues("FZ-1", "12.50")...)),
		sharedStringsXML(fuzzStrings)))

	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := writeFuzzFile(t, dir, "package.xlsx", data)
		report, err := ValidateFile(path, Options{}, nil)
		if err != nil {
			t.Fatalf("ValidateFile error %v, want a report", err)
		}
		if report.Error != nil {
			wantFileError(t, "ValidateFile", report.Error)
			return
		}
		if rows := report.Rows; rows.Valid+rows.Invalid != rows.Total || rows.Valid < 0 {
			t.Fatalf("row counts %+v do not add up", rows)
		}
	})
}

// TestFuzzWorkbooksValid checks that the fixed parts of the fuzz targets
// make valid rows, so their amount and reference checks run.
func TestFuzzWorkbooksValid(t *testing.T) {
	dir := t.TempDir()
	sheet := worksheetXML(inlineRow(1, fuzzHeader...), inlineRow(2, fuzzRowValues("FZ-1", "12.50")...))
	for _, tt := range []struct {
		name         string
		sheet, table []byte
		valid        int
	}{
		{"sheet.xlsx", sheet, sharedStringsXML(fuzzStrings), 1},
		{"strings.xlsx", fuzzSharedSheet, sharedStringsXML([]string{"FZ-1", "12.50", "FZ-2", "7.05", "FZ-3", "0.99", "FZ-4", "100"}), 4},
	} {
		path := writeFuzzFile(t, dir, tt.name, fuzzPackage(tt.sheet, tt.table))
		valid := 0
		if fe := readXLSXRecords(t, path, func(_ *Reader, rec Record) {
			if rec.Valid() {
				valid++
			}
		}); fe != nil {
			t.Fatalf("%s: %v", tt.name, fe)
		}
		if valid != tt.valid {
			t.Errorf("%s: %d valid rows, want %d", tt.name, valid, tt.valid)
		}
	}
}
