package ingest

import (
	"archive/zip"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// unzipXMLLimit is the largest worksheet, in bytes, that excelize keeps in
// memory. A larger one is spooled to a temporary file, so memory does not grow
// with rows.
const unzipXMLLimit = 1 << 20

// xlsxSource reads one sheet of an XLSX workbook in one pass. excelize
// supplies the workbook's sheets, their visibility, the styles and the date
// system. A sheetReader streams the worksheet XML itself, with each cell's
// stored type, style and formula state, which excelize's Rows iterator does
// not expose. The shared strings are read from the package.
type xlsxSource struct {
	book     *excelize.File
	zip      *zip.ReadCloser
	sheetXML *sheetReader
	strings  *sharedStrings

	sheet     string
	selection []Problem // the note on which sheet was read and why
	date1904  bool
	dateStyle map[int]bool
	row       int
	cells     []cell
}

// openXLSX opens the workbook, chooses the sheet and positions it after the
// header row.
func openXLSX(path string, profile Profile) (*xlsxSource, *columnMap, error) {
	book, err := excelize.OpenFile(path, excelize.Options{UnzipXMLSizeLimit: unzipXMLLimit})
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookPassword) || errors.Is(err, excelize.ErrWorkbookFileFormat) ||
			errors.Is(err, zip.ErrFormat) {
			return nil, nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as an unprotected .xlsx file",
				"the file is not a readable XLSX workbook: %v", err)
		}
		return nil, nil, fmt.Errorf("open payout workbook: %w", err)
	}
	archive, err := zip.OpenReader(path)
	if err != nil {
		book.Close()
		return nil, nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
			"the file is not a readable XLSX workbook: %v", err)
	}

	src := &xlsxSource{book: book, zip: archive, dateStyle: make(map[int]bool)}
	if props, err := book.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		src.date1904 = *props.Date1904
	}

	cols, err := src.chooseSheet(profile)
	if err != nil {
		src.close()
		return nil, nil, err
	}
	return src, cols, nil
}

// chooseSheet opens the profile's sheet, or else the first visible sheet with a
// header row containing the required columns.
func (x *xlsxSource) chooseSheet(profile Profile) (*columnMap, error) {
	paths, workbook, err := worksheetPaths(&x.zip.Reader)
	if err != nil {
		return nil, err
	}
	if x.strings, err = readSharedStrings(&x.zip.Reader, workbook); err != nil {
		return nil, err
	}
	sheets := x.book.GetSheetList()

	if profile.Sheet != "" {
		return x.openNamedSheet(profile, sheets, paths)
	}

	var skipped []string
	var firstErr error
	visible := 0
	for _, name := range sheets {
		if shown, _ := x.book.GetSheetVisible(name); !shown {
			skipped = append(skipped, fmt.Sprintf("hidden sheet %q", name))
			continue
		}
		visible++
		cols, err := x.openSheet(name, paths[name], profile)
		if err == nil {
			x.noteSelection(sheets, fmt.Sprintf(
				"read sheet %q, the first visible sheet with a header row containing %s", name,
				requiredNames), skipped)
			return cols, nil
		}
		var fe *FileError
		if !errors.As(err, &fe) {
			return nil, err
		}
		if firstErr == nil {
			firstErr = err
		}
		skipped = append(skipped, fmt.Sprintf("sheet %q (%s)", name, fe.Message))
	}

	if visible == 1 && firstErr != nil {
		return nil, firstErr
	}
	return nil, fileErrorf(CodeMissingColumns,
		"put the payouts on a visible sheet with a header row, or name the sheet in the source profile",
		"no visible sheet has a header row containing %s; checked: %s",
		requiredNames, strings.Join(skipped, "; "))
}

func (x *xlsxSource) openNamedSheet(profile Profile, sheets []string, paths map[string]string) (*columnMap, error) {
	for _, name := range sheets {
		if strings.EqualFold(name, profile.Sheet) {
			cols, err := x.openSheet(name, paths[name], profile)
			if err == nil {
				x.noteSelection(sheets, fmt.Sprintf("read sheet %q, named by the source profile", name), nil)
			}
			return cols, err
		}
	}
	return nil, fileErrorf(CodeSheetNotFound, "correct the sheet name in the source profile or --sheet",
		"the workbook has no sheet %q; its sheets are %s", profile.Sheet, quoteAll(sheets))
}

// noteSelection records which sheet was read and why, when there was a choice.
func (x *xlsxSource) noteSelection(sheets []string, reason string, skipped []string) {
	if len(sheets) < 2 {
		return
	}
	msg := reason
	if len(skipped) > 0 {
		msg += "; skipped " + strings.Join(skipped, "; ")
	}
	x.selection = []Problem{{
		Severity: SeverityWarning, Code: CodeSheetSelected, Column: "", Message: msg,
		Hint: "name the sheet in the source profile (sheet) or with --sheet to read another one",
	}}
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
	num, infos, err := x.sheetXML.nextRow()
	if err != nil {
		return sourceRow{}, err
	}
	if num <= x.row || num > maxSheetRows {
		return sourceRow{}, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
			"sheet %q has row %d after row %d: rows must be in order and at most %d", x.sheet, num, x.row, maxSheetRows)
	}
	x.row = num

	cells, err := x.typedCells(infos)
	if err != nil {
		return sourceRow{}, err
	}
	return sourceRow{row: num, line: num, cells: cells}, nil
}

// typedCells turns the stored cells of a row into cells in column order,
// with gaps for the columns the row leaves out. The cells are reused by the
// next row.
func (x *xlsxSource) typedCells(infos []cellInfo) ([]cell, error) {
	width := 0
	for _, info := range infos {
		width = max(width, info.col)
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
		return cell{text: isoDate(info.value), kind: cellDate}, nil
	}
	if !info.hasValue {
		return cell{}, nil
	}
	if x.isDateStyle(info.style) {
		if date, ok := x.serialDate(info.value); ok {
			return cell{text: date, kind: cellDate}, nil
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

// serialDate converts an Excel date serial to YYYY-MM-DD, or to
// YYYY-MM-DDTHH:MM:SS when it has a time of day.
func (x *xlsxSource) serialDate(value string) (string, bool) {
	serial, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return "", false
	}
	t, err := excelize.ExcelDateToTime(serial, x.date1904)
	if err != nil {
		return "", false
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format(time.DateOnly), true
	}
	return t.Format("2006-01-02T15:04:05"), true
}

// isoDate keeps the date part of an ISO 8601 date cell ("2024-01-15T00:00:00Z").
func isoDate(v string) string {
	if len(v) >= 10 && (len(v) == 10 || strings.HasSuffix(v[10:], "T00:00:00Z") || strings.HasSuffix(v[10:], "T00:00:00")) {
		return v[:10]
	}
	return v
}

func (x *xlsxSource) isDateStyle(style int) bool {
	if style == 0 {
		return false
	}
	if known, ok := x.dateStyle[style]; ok {
		return known
	}
	isDate := false
	if s, err := x.book.GetStyle(style); err == nil {
		isDate = isDateFormat(s.NumFmt, s.CustomNumFmt)
	}
	x.dateStyle[style] = isDate
	return isDate
}

// isDateFormat reports whether a number format shows a date or time: the
// built-in formats 14-22, 27-36, 45-47 and 50-58 of ECMA-376 Part 1 §18.8.30,
// or a custom format with date or time letters outside quotes and brackets.
func isDateFormat(id int, custom *string) bool {
	if custom != nil && *custom != "" {
		return customDateFormat(*custom)
	}
	switch {
	case id >= 14 && id <= 22, id >= 27 && id <= 36, id >= 45 && id <= 47, id >= 50 && id <= 58:
		return true
	}
	return false
}

func customDateFormat(code string) bool {
	if strings.EqualFold(code, "General") {
		return false
	}
	inQuote, inBracket := false, false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '[':
			inBracket = true
		case c == ']':
			inBracket = false
		case inBracket:
		case c == '\\' || c == '_' || c == '*':
			i++
		default:
			switch c | 0x20 {
			case 'y', 'm', 'd', 'h', 's':
				return true
			}
		}
	}
	return false
}

func (x *xlsxSource) closeSheet() {
	if x.sheetXML != nil {
		x.sheetXML.close()
		x.sheetXML = nil
	}
}

func (x *xlsxSource) close() error {
	x.closeSheet()
	err := x.book.Close()
	if zerr := x.zip.Close(); err == nil {
		err = zerr
	}
	return err
}

func quoteAll(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return strings.Join(quoted, ", ")
}
