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
	"time"

	"github.com/xuri/excelize/v2"
)

// xlsxSource reads one sheet of an XLSX workbook in one pass, straight from
// the zip package. The workbook part supplies the sheets, their visibility
// and the date system, and the styles part the number format of each cell
// format. A sheetReader streams the worksheet XML with each cell's stored
// type, style and formula state.
type xlsxSource struct {
	zip      *zip.ReadCloser
	sheetXML *sheetReader
	strings  *sharedStrings
	formats  *cellFormats

	sheet     string
	selection []Problem // the note on which sheet was read and why
	date1904  bool
	dateStyle map[int]dateFormat // cache of dateFormatOf
	row       int
	cells     []cell
}

// openXLSX opens the workbook, chooses the sheet and positions it after the
// header row.
func openXLSX(path string, profile Profile) (*xlsxSource, *columnMap, error) {
	archive, err := zip.OpenReader(path)
	if err != nil {
		return nil, nil, notWorkbookError(path, err)
	}

	src := &xlsxSource{zip: archive, dateStyle: make(map[int]dateFormat)}
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
	book, err := readWorkbook(&x.zip.Reader)
	if err != nil {
		return nil, err
	}
	sheets := book.sheets
	x.date1904 = book.date1904
	if x.strings, err = readSharedStrings(&x.zip.Reader, book.stringsPart); err != nil {
		return nil, err
	}
	if x.formats, err = readCellFormats(&x.zip.Reader, book.stylesPart); err != nil {
		return nil, err
	}

	if profile.Sheet != "" {
		return x.openNamedSheet(profile, sheets)
	}

	var skipped []string
	var firstErr error
	visible := 0
	for i, sheet := range sheets {
		if note, skip := skipNote(sheet); skip {
			skipped = append(skipped, note)
			continue
		}
		visible++
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
		skipped = append(skipped, fmt.Sprintf("sheet %q (%s)", sheet.name, fe.Message))
	}

	if visible == 1 && firstErr != nil {
		return nil, firstErr
	}
	return nil, fileErrorf(CodeMissingColumns,
		"put the payouts on a visible sheet with a header row, or name the sheet in the source profile",
		"no visible sheet has a header row containing %s; checked: %s",
		requiredNames, strings.Join(skipped, "; "))
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
	for _, sheet := range sheets {
		if _, skip := skipNote(sheet); skip {
			continue
		}
		probe := &xlsxSource{zip: x.zip, strings: x.strings, formats: x.formats, date1904: x.date1904, dateStyle: x.dateStyle}
		if _, err := probe.openSheet(sheet.name, sheet.part, profile); err == nil {
			names = append(names, sheet.name)
		}
		probe.closeSheet()
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

	sheetXML, err := newSheetReader(&x.zip.Reader, part)
	if err != nil {
		return nil, err
	}
	x.sheetXML, x.sheet, x.row = sheetXML, name, 0

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

// typedCells turns the stored cells of a row into cells in column order,
// with gaps for the columns the row leaves out. The cells are reused by the
// next row.
func (x *xlsxSource) typedCells(infos []cellInfo) ([]cell, error) {
	width := 0
	for _, info := range infos {
		width = max(width, info.col)
	}
	if width > maxSheetColumns {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
			"sheet %q row %d has a cell beyond column XFD, the last column a worksheet can have", x.sheet, x.row)
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

func (x *xlsxSource) typedCell(info cellInfo) (cell, error) {
	if info.formula && !info.hasValue {
		if info.typ == "str" && info.valueElement {
			// A string formula whose result is "", such as =IF(A2="","",A2).
			return cell{}, nil
		}
		return cell{kind: cellFormulaNoValue}, nil
	}
	switch info.typ {
	case "s":
		return x.sharedString(info)
	case "inlineStr", "str":
		return cell{text: info.value}, nil
	case "b":
		if info.value == "1" {
			return cell{text: "TRUE", kind: cellBool}, nil
		}
		return cell{text: "FALSE", kind: cellBool}, nil
	case "e":
		return cell{text: info.value, kind: cellError}, nil
	case "d":
		if t, ok := parseISODateTime(info.value); ok {
			return cell{text: formatDate(t, x.dateFormatOf(info.style)), kind: cellDate}, nil
		}
		return cell{text: info.value, kind: cellDate}, nil
	}
	if !info.hasValue {
		return cell{}, nil
	}
	if format := x.dateFormatOf(info.style); format != notDate {
		if t, ok := x.serialTime(info.value); ok {
			return cell{text: formatDate(t, format), kind: cellDate}, nil
		}
	}
	return cell{text: info.value, kind: cellNumber}, nil
}

// sharedString resolves a cell of type s, whose value indexes the shared
// string table.
func (x *xlsxSource) sharedString(info cellInfo) (cell, error) {
	if !info.hasValue {
		return cell{}, nil
	}
	i, err := strconv.Atoi(strings.TrimSpace(info.value))
	text, ok := x.strings.get(i)
	if err != nil || !ok {
		return cell{}, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
			"sheet %q row %d column %d: shared string %q is not in the workbook's table", x.sheet, x.row, info.col, info.value)
	}
	return cell{text: text}, nil
}

// serialTime converts an Excel date serial in the workbook's date system.
func (x *xlsxSource) serialTime(value string) (time.Time, bool) {
	serial, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return time.Time{}, false
	}
	t, err := excelize.ExcelDateToTime(serial, x.date1904)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// isoLayouts are the forms of the ISO 8601 value of a date cell (t="d").
var isoLayouts = []string{"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04Z07:00",
	"2006-01-02T15:04", time.DateOnly}

// parseISODateTime parses the value of a date cell, such as
// "2024-01-15T00:00:00Z" or "2024-01-15T00:00:00.000".
func parseISODateTime(v string) (time.Time, bool) {
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// formatDate writes a date cell as YYYY-MM-DD, or as YYYY-MM-DDTHH:MM:SS when
// it has a time of day that its number format may show. A format that shows
// only the date hides the time, so the cell reads as the date it displays.
func formatDate(t time.Time, format dateFormat) string {
	midnight := t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0
	if format == dateOnly || midnight {
		return t.Format(time.DateOnly)
	}
	return t.Format("2006-01-02T15:04:05")
}

// dateFormat is the part of a date serial that a cell's number format shows.
type dateFormat uint8

const (
	notDate  dateFormat = iota // a number format
	dateOnly                   // the date without a time of day
	dateTime                   // a time of day, possibly with the date
)

// dateFormatOf classifies the number format of a cell format (an index into
// cellXfs).
func (x *xlsxSource) dateFormatOf(style int) dateFormat {
	if known, ok := x.dateStyle[style]; ok {
		return known
	}
	format := notDate
	if id, custom, ok := x.formats.numberFormat(style); ok {
		format = classifyNumberFormat(id, custom)
	}
	x.dateStyle[style] = format
	return format
}

// classifyNumberFormat classifies a number format: a custom format code by
// its letters, a built-in format by its id. Ids 14-17 show a date, 18-21 and
// 45-47 a time, 22 both. The East Asian ids 27-36 and 50-58 differ by
// locale, so those that show a time in any of them (32-35, 55, 56) count as
// time, which keeps a time of day rather than dropping it.
// NOTE: the East Asian split is from the Japanese and Chinese built-in
// tables as far as they are known here; a Korean or Thai workbook may differ.
func classifyNumberFormat(id int, custom string) dateFormat {
	if custom != "" {
		return classifyFormatCode(custom)
	}
	switch {
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 36, id >= 50 && id <= 54, id == 57, id == 58:
		return dateOnly
	case id >= 18 && id <= 22, id >= 32 && id <= 35, id >= 45 && id <= 47, id == 55, id == 56:
		return dateTime
	}
	return notDate
}

// classifyFormatCode reads a custom number format code: y, m and d show a
// date, h and s (also elapsed [h], [m] and [s]) a time of day. Quoted text,
// escaped characters and other bracketed parts such as [$-409] or [Red] are
// skipped.
func classifyFormatCode(code string) dateFormat {
	if strings.EqualFold(code, "General") {
		return notDate
	}
	hasDate, hasTime := false, false
	inQuote := false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '[':
			end := strings.IndexByte(code[i:], ']')
			if end < 0 {
				end = len(code) - i
			}
			if elapsedTime(code[i+1 : i+end]) {
				hasTime = true
			}
			i += end
		case c == '\\' || c == '_' || c == '*':
			i++
		default:
			switch c | 0x20 {
			case 'y', 'd', 'm':
				hasDate = true
			case 'h', 's':
				hasTime = true
			}
		}
	}
	switch {
	case hasTime:
		return dateTime
	case hasDate:
		return dateOnly
	}
	return notDate
}

// elapsedTime reports the bracketed elapsed-time codes [h], [mm], [ss].
func elapsedTime(inner string) bool {
	if inner == "" {
		return false
	}
	lower := strings.ToLower(inner)
	return strings.Trim(lower, "h") == "" || strings.Trim(lower, "m") == "" || strings.Trim(lower, "s") == ""
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
