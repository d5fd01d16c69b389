package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// xlsxSource reads one sheet of an XLSX workbook in one pass, straight from
// the zip package. The workbook part supplies the sheets, their visibility
// and the date system, and the styles part the number format of each cell
// format. A sheetReader streams the worksheet XML with each cell's stored
// type, style and formula state.
type xlsxSource struct {
	zip      *zip.ReadCloser
	pkg      *xlsxPackage
	sheetXML *sheetReader
	strings  *sharedStrings
	formats  *cellFormats

	sheet     string
	selection []Problem // the note on which sheet was read and why
	date1904  bool
	row       int
	cells     []cell
	// sharedText counts the bytes of shared strings that the sheet's cells
	// have referred to, which sharedTextLimit bounds.
	sharedText, sharedTextLimit uint64
	// madeCells and storedCells count the cells of the rows so far, with
	// and without the empty ones for the columns that rows leave out.
	madeCells, storedCells int
}

// openXLSX opens the workbook, chooses the sheet and positions it after the
// header row.
func openXLSX(path string, profile Profile) (*xlsxSource, *columnMap, error) {
	archive, err := zip.OpenReader(path)
	if err != nil {
		return nil, nil, notWorkbookError(path, err)
	}

	pkg, err := newXLSXPackage(&archive.Reader)
	if err != nil {
		archive.Close()
		return nil, nil, err
	}
	src := &xlsxSource{zip: archive, pkg: pkg}
	cols, err := src.chooseSheet(profile)
	if err != nil {
		src.close()
		return nil, nil, err
	}
	return src, cols, nil
}

// oleMagic starts an OLE compound file: an encrypted (password-protected)
// workbook, or one in the old .xls format.
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// notWorkbookError explains why a file could not be opened as a zip package.
func notWorkbookError(path string, err error) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return fmt.Errorf("open payout workbook: %w", err)
	}

	head := make([]byte, len(oleMagic))
	if file, openErr := os.Open(path); openErr == nil {
		io.ReadFull(file, head)
		file.Close()
	}
	if bytes.Equal(head, oleMagic) {
		return fileErrorf(CodeXLSXInvalid,
			"remove the password (File > Info > Protect Workbook in Excel) and save the file as Excel Workbook (.xlsx)",
			"the file is an encrypted (password-protected) workbook or an old .xls workbook, which payrun cannot read")
	}
	return fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
		"the file is not a readable XLSX workbook: %v", err)
}

// chooseSheet opens the profile's sheet, or else the first visible sheet with a
// header row containing the required columns.
func (x *xlsxSource) chooseSheet(profile Profile) (*columnMap, error) {
	book, err := readWorkbook(x.pkg)
	if err != nil {
		return nil, err
	}
	sheets := book.sheets
	x.date1904 = book.date1904
	if x.strings, err = readSharedStrings(x.pkg, book.stringsPart); err != nil {
		return nil, err
	}
	if x.formats, err = readCellFormats(x.pkg, book.stylesPart); err != nil {
		return nil, err
	}

	if profile.Sheet != "" {
		return x.openNamedSheet(profile, sheets)
	}

	var skipped []string
	var firstErr error
	visible := 0
	failed := make(map[string]string) // part -> the message of its file error
	for i, sheet := range sheets {
		if note, skip := skipNote(sheet); skip {
			skipped = append(skipped, note)
			continue
		}
		visible++
		if message, ok := failed[sheet.part]; ok && sheet.part != "" {
			// Several sheets may name one part, which is read only once.
			skipped = append(skipped, fmt.Sprintf("sheet %q (%s)", sheet.name, message))
			continue
		}
		cols, err := x.openSheet(sheet.name, sheet.part, profile)
		if err == nil {
			reason := fmt.Sprintf("read sheet %q, the first visible sheet with a header row containing %s",
				sheet.name, requiredNames)
			x.noteSelection(len(sheets), reason, skipped, x.otherPayoutSheets(sheets[i+1:], profile))
			return cols, nil
		}
		var fe *FileError
		if !errors.As(err, &fe) {
			return nil, err
		}
		if firstErr == nil {
			firstErr = err
		}
		failed[sheet.part] = fe.Message
		skipped = append(skipped, fmt.Sprintf("sheet %q (%s)", sheet.name, fe.Message))
	}

	if visible == 1 && firstErr != nil {
		return nil, firstErr
	}
	return nil, fileErrorf(CodeMissingColumns,
		"put the payouts on a visible sheet with a header row, or name the sheet in the source profile",
		"no visible sheet has a header row containing %s; checked: %s",
		requiredNames, joinNotes(skipped))
}

// maxSheetNotes bounds the sheets that a message lists one by one, since
// a workbook may list thousands.
const maxSheetNotes = 20

// joinNotes joins notes on sheets with "; ", listing at most maxSheetNotes.
func joinNotes(notes []string) string {
	if len(notes) <= maxSheetNotes {
		return strings.Join(notes, "; ")
	}
	return fmt.Sprintf("%s; and %d more sheets", strings.Join(notes[:maxSheetNotes], "; "), len(notes)-maxSheetNotes)
}

// skipNote describes a sheet that the sheet choice passes over: a hidden
// sheet, or a chart or dialog sheet, which holds no cells.
func skipNote(sheet sheetEntry) (string, bool) {
	switch {
	case sheet.kind == "chartsheet":
		return fmt.Sprintf("chart sheet %q", sheet.name), true
	case sheet.kind != "worksheet":
		return fmt.Sprintf("sheet %q (a %s, not a worksheet)", sheet.name, sheet.kind), true
	case sheet.state == "veryHidden":
		return fmt.Sprintf("very hidden sheet %q (only a macro can show it)", sheet.name), true
	case !sheet.visible():
		return fmt.Sprintf("hidden sheet %q", sheet.name), true
	}
	return "", false
}

// otherPayoutSheets returns the names of the visible worksheets among
// sheets that also have a payout header row. Only one sheet is read, so
// their payouts would otherwise go unpaid without a word.
func (x *xlsxSource) otherPayoutSheets(sheets []sheetEntry, profile Profile) []string {
	var names []string
	// payouts maps a part to whether it has a payout header row. A sheet
	// that names the part being read contains the same rows, which are paid.
	payouts := map[string]bool{x.sheetXML.partName: false}
	for _, sheet := range sheets {
		if _, skip := skipNote(sheet); skip {
			continue
		}
		found, probed := payouts[sheet.part]
		if !probed {
			probe := &xlsxSource{zip: x.zip, pkg: x.pkg, strings: x.strings, formats: x.formats, date1904: x.date1904}
			_, err := probe.openSheet(sheet.name, sheet.part, profile)
			probe.closeSheet()
			found = err == nil
			payouts[sheet.part] = found
		}
		if found {
			names = append(names, sheet.name)
		}
	}
	return names
}

func (x *xlsxSource) openNamedSheet(profile Profile, sheets []sheetEntry) (*columnMap, error) {
	names := make([]string, len(sheets))
	for i, sheet := range sheets {
		names[i] = sheet.name
	}
	for _, sheet := range sheets {
		if strings.EqualFold(sheet.name, profile.Sheet) {
			cols, err := x.openSheet(sheet.name, sheet.part, profile)
			if err == nil {
				x.noteSelection(len(sheets), fmt.Sprintf("read sheet %q, named by the source profile", sheet.name), nil, nil)
			}
			return cols, err
		}
	}
	return nil, fileErrorf(CodeSheetNotFound, "correct the sheet name in the source profile or --sheet",
		"the workbook has no sheet %q; its sheets are %s", profile.Sheet, quoteAll(names))
}

// noteSelection records which sheet was read and why, when there was a
// choice: the sheets skipped before it, and later sheets with payouts that
// are not read.
func (x *xlsxSource) noteSelection(sheets int, reason string, skipped, unread []string) {
	if sheets < 2 {
		return
	}
	msg := reason
	if len(skipped) > 0 {
		msg += "; skipped " + strings.Join(skipped, "; ")
	}
	hint := "name the sheet in the source profile (sheet) or with --sheet to read another one"
	if len(unread) > 0 {
		msg += fmt.Sprintf("; %s %s also %s a payout header row but %s not read, so %s payouts are not paid from this file",
			pluralVerb(len(unread), "sheet", "sheets"), quoteAll(unread), pluralVerb(len(unread), "has", "have"),
			pluralVerb(len(unread), "was", "were"), pluralVerb(len(unread), "its", "their"))
		hint = "put all payouts on one sheet, or save each sheet as its own file; " + hint
	}
	x.selection = []Problem{{
		Severity: SeverityWarning, Code: CodeSheetSelected, Column: "", Message: msg, Hint: hint,
	}}
}

func pluralVerb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// openSheet starts the stream over a sheet and reads up to its header.
func (x *xlsxSource) openSheet(name, part string, profile Profile) (*columnMap, error) {
	x.closeSheet()
	if part == "" {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
			"the workbook lists sheet %q but its worksheet part is missing", name)
	}

	sheetXML, err := newSheetReader(x.pkg, name, part)
	if err != nil {
		return nil, err
	}
	x.sheetXML, x.sheet, x.row = sheetXML, name, 0
	x.sharedText, x.sharedTextLimit = 0, maxSharedTextGrace+maxSharedTextRatio*sheetXML.size
	x.madeCells, x.storedCells = 0, 0

	return locateHeader(x, profile.HeaderRow, profile.Aliases)
}

// maxSheetRows is the row limit of a worksheet (ECMA-376 and Excel: 1,048,576).
const maxSheetRows = 1 << 20

func (x *xlsxSource) next() (sourceRow, error) {
	info, err := x.sheetXML.nextRow()
	if err != nil {
		return sourceRow{}, err
	}
	num := info.num
	if num <= x.row || num > maxSheetRows {
		return sourceRow{}, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
			"sheet %q has row %d after row %d: rows must be in order and at most %d", x.sheet, num, x.row, maxSheetRows)
	}
	x.row = num

	cells, err := x.typedCells(info.cells)
	if err != nil {
		return sourceRow{}, err
	}
	return sourceRow{row: num, line: num, cells: cells, hidden: info.hidden, worksheet: true}, nil
}

// typedCells turns the stored cells of a row, which come in column order,
// into cells with gaps for the columns the row leaves out. The cells are
// reused by the next row.
func (x *xlsxSource) typedCells(infos []cellInfo) ([]cell, error) {
	width := 0
	if n := len(infos); n > 0 {
		width = infos[n-1].col
	}
	if err := x.countCells(width, len(infos)); err != nil {
		return nil, err
	}
	x.cells = append(x.cells[:0], make([]cell, width)...)
	for _, info := range infos {
		c, err := x.typedCell(info)
		if err != nil {
			return nil, err
		}
		x.cells[info.col-1] = c
	}
	return x.cells, nil
}

// Bounds of the empty cells that rows make for the columns they leave out.
// A row whose one cell is in column XFD makes 16,384 cells for the checks
// to read, so a sheet of such rows, 40 bytes of XML each, would take hours
// and gigabytes to validate. The rows of a sheet may make 16 times the
// cells they store, plus 1,048,576 (64 rows as wide as a worksheet).
// NOTE: 16 is a judgment: payout rows leave out a few columns at most.
const (
	maxMadeCellsRatio = 16
	maxMadeCellsGrace = 1 << 20
)

// countCells adds a row to the counts: width cells made, of which stored
// are in the sheet. It fails when the rows make too many empty cells.
func (x *xlsxSource) countCells(width, stored int) error {
	x.madeCells += width
	x.storedCells += stored
	if x.madeCells <= maxMadeCellsGrace+maxMadeCellsRatio*x.storedCells {
		return nil
	}
	return fileErrorf(CodeXLSXInvalid,
		"delete the cells far right of the payouts (Ctrl+End in Excel goes to the last used cell), then save the workbook again",
		"sheet %q row %d: the rows so far store %d cells but leave so many columns out between them that they make %d, "+
			"more than %d times as many, which no payout sheet does: the file is damaged or built to slow payrun down",
		x.sheet, x.row, x.storedCells, x.madeCells, maxMadeCellsRatio)
}

// typedCell reads a cell by its type. A cell without a value is empty,
// unless it is a formula that was never calculated.
func (x *xlsxSource) typedCell(info cellInfo) (cell, error) {
	value := info.stored()
	if info.formula && value == "" {
		if info.typ == "str" && info.valueElement {
			// A string formula whose result is "", such as =IF(A2="","",A2).
			return cell{}, nil
		}
		return cell{kind: cellFormulaNoValue}, nil
	}
	if value == "" {
		return cell{}, nil
	}

	switch info.typ {
	case "s":
		return x.sharedString(info)
	case "inlineStr", "str":
		return cell{text: value}, nil
	case "b":
		return x.logicalCell(info)
	case "e":
		return cell{text: value, kind: cellError}, nil
	case "d":
		if t, ok := parseISODateTime(value); ok {
			return cell{text: formatDate(t, x.formats.dateFormat(info.style)), kind: cellDate}, nil
		}
		return cell{text: value, kind: cellDate}, nil
	}
	return x.numberCell(info)
}

// xmlSpace is the white space that XML allows around a number or an index.
const xmlSpace = " \t\r\n"

// damagedCell returns the file error for a cell whose stored value does
// not fit its type.
func (x *xlsxSource) damagedCell(info cellInfo, format string, args ...any) error {
	ref := columnLetters(info.col) + strconv.Itoa(x.row)
	return fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
		"sheet %q cell %s: "+format, append([]any{x.sheet, ref}, args...)...)
}

// sharedString resolves a cell of type s, whose value indexes the shared
// string table. It counts the text it returns against sharedTextLimit.
func (x *xlsxSource) sharedString(info cellInfo) (cell, error) {
	index := strings.Trim(info.value, xmlSpace)
	i, err := strconv.Atoi(index)
	text, ok := x.strings.get(i)
	if err != nil || !ok || strings.Trim(index, "0123456789") != "" {
		return cell{}, x.damagedCell(info, "shared string %q is not in the workbook's table", shorten(info.value))
	}

	x.sharedText += uint64(len(text))
	if x.sharedText > x.sharedTextLimit {
		return cell{}, fileErrorf(CodeXLSXInvalid,
			"check where the file came from; if it is genuine, export the sheet as CSV UTF-8 and validate that",
			"sheet %q row %d: the cells so far refer to %s of shared strings, more than %s plus %d times the sheet's %s, "+
				"which no payout file repeats: the file is damaged or built to slow payrun down",
			x.sheet, x.row, byteSize(x.sharedText), byteSize(maxSharedTextGrace), maxSharedTextRatio, byteSize(x.sheetXML.size))
	}
	return cell{text: text}, nil
}

// Bounds of the shared-string text that a sheet's cells may refer to. A
// cell of a few bytes can refer to a shared string of 32,767 characters,
// which every check of the row then reads, so without a bound a small
// sheet could take hours to validate. Payout rows refer to a few times
// their own size, so the bound is 16 times the sheet's part plus 256 MiB.
// NOTE: 16 is a judgment, not a measured limit.
const (
	maxSharedTextRatio = 16
	maxSharedTextGrace = 256 << 20
)

// logicalCell reads a cell of type b, whose value is 0 or 1 (xsd:boolean).
func (x *xlsxSource) logicalCell(info cellInfo) (cell, error) {
	switch strings.Trim(info.value, xmlSpace) {
	case "1", "true":
		return cell{text: "TRUE", kind: cellBool}, nil
	case "0", "false":
		return cell{text: "FALSE", kind: cellBool}, nil
	}
	return cell{}, x.damagedCell(info, "the logical value %q is neither 0 nor 1", shorten(info.value))
}

// maxNumberText bounds the text of a number cell. The exact decimal form
// of any double has at most 1,077 characters, and a longer number would
// make the amount checks slow.
const maxNumberText = 2048

// numberCell reads a number cell, or a date when its number format shows
// one. Its value must be a number that a spreadsheet can store: a finite
// double, written as decimal digits with an optional exponent.
func (x *xlsxSource) numberCell(info cellInfo) (cell, error) {
	text := strings.Trim(info.value, xmlSpace)
	if !isDecimalNumber(text) || len(text) > maxNumberText {
		return cell{}, x.damagedCell(info, "the number cell stores %q, which is not a number", shorten(info.value))
	}
	number, err := strconv.ParseFloat(text, 64)
	if err != nil || (number == 0 && strings.Trim(mantissa(text), "0.+-") != "") {
		return cell{}, x.damagedCell(info, "the number %s is beyond the range of a spreadsheet number", shorten(text))
	}

	format := x.formats.dateFormat(info.style)
	if format == percentNumber {
		return cell{text: text, kind: cellNumber, percent: true}, nil
	}
	if format != notDate {
		if t, ok := x.serialTime(number); ok {
			return cell{text: formatDate(t, format), kind: cellDate}, nil
		}
	}
	return cell{text: text, kind: cellNumber}, nil
}

// isDecimalNumber reports whether s is a decimal number with an optional
// sign, fraction and exponent, such as "-1.5E3": the lexical form of
// xsd:double without INF and NaN.
func isDecimalNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isDigit(s[i]); i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}

	if i < len(s) && s[i]|0x20 == 'e' {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// mantissa returns a number's text before its exponent.
func mantissa(s string) string {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		return s[:i]
	}
	return s
}

func (x *xlsxSource) closeSheet() {
	if x.sheetXML != nil {
		x.sheetXML.close()
		x.sheetXML = nil
	}
}

func (x *xlsxSource) close() error {
	x.closeSheet()
	return x.zip.Close()
}

func quoteAll(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return strings.Join(quoted, ", ")
}
