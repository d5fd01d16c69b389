package ingest

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// unzipXMLLimit is the largest worksheet, in bytes, that excelize keeps in
// memory. A larger one is spooled to a temporary file, so memory does not grow
// with rows.
const unzipXMLLimit = 1 << 20

// xlsxSource reads one sheet of an XLSX workbook. excelize's streaming Rows
// iterator supplies the cell text, with shared and inline strings resolved.
// Rows does not expose each cell's stored type, style, or whether a formula has
// a calculated value, so a second streaming pass over the same worksheet XML
// (typeScanner) supplies them.
type xlsxSource struct {
	book  *excelize.File
	zip   *zip.ReadCloser
	rows  *excelize.Rows
	types *typeScanner

	sheet     string
	selection []Problem // the note on which sheet was read and why
	date1904  bool
	dateStyle map[int]bool
	row       int
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
	paths, err := worksheetPaths(&x.zip.Reader)
	if err != nil {
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

// openSheet starts both streams over a sheet and reads up to its header.
func (x *xlsxSource) openSheet(name, part string, profile Profile) (*columnMap, error) {
	x.closeSheet()
	if part == "" {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
			"the workbook lists sheet %q but its worksheet part is missing", name)
	}

	rows, err := x.book.Rows(name)
	if err != nil {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "read sheet %q: %v", name, err)
	}
	types, err := newTypeScanner(&x.zip.Reader, part)
	if err != nil {
		rows.Close()
		return nil, err
	}
	x.rows, x.types, x.sheet, x.row = rows, types, name, 0

	return locateHeader(x, profile.HeaderRow, profile.Aliases)
}

func (x *xlsxSource) next() (sourceRow, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return sourceRow{}, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
				"read sheet %q: %v", x.sheet, err)
		}
		return sourceRow{}, io.EOF
	}
	x.row++

	texts, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return sourceRow{}, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
			"read row %d of sheet %q: %v", x.row, x.sheet, err)
	}
	infos, err := x.types.rowCells(x.row)
	if err != nil {
		return sourceRow{}, err
	}
	return sourceRow{row: x.row, line: x.row, cells: x.typedCells(texts, infos)}, nil
}

// typedCells merges the text of each cell with its stored type.
func (x *xlsxSource) typedCells(texts []string, infos []cellInfo) []cell {
	width := len(texts)
	for _, info := range infos {
		if info.col > width {
			width = info.col
		}
	}
	cells := make([]cell, width)
	for i, t := range texts {
		cells[i].text = t
	}
	for _, info := range infos {
		if info.col >= 1 {
			cells[info.col-1] = x.typedCell(info, cells[info.col-1].text)
		}
	}
	return cells
}

func (x *xlsxSource) typedCell(info cellInfo, text string) cell {
	if info.formula && !info.hasValue {
		return cell{kind: cellFormulaNoValue}
	}
	switch info.typ {
	case "s", "inlineStr", "str":
		return cell{text: text}
	case "b":
		if info.value == "1" {
			return cell{text: "TRUE", kind: cellBool}
		}
		return cell{text: "FALSE", kind: cellBool}
	case "e":
		return cell{text: info.value, kind: cellError}
	case "d":
		return cell{text: isoDate(info.value), kind: cellDate}
	}
	if !info.hasValue {
		return cell{text: text}
	}
	if x.isDateStyle(info.style) {
		if date, ok := x.serialDate(info.value); ok {
			return cell{text: date, kind: cellDate}
		}
	}
	return cell{text: info.value, kind: cellNumber}
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
	if x.rows != nil {
		x.rows.Close()
		x.rows = nil
	}
	if x.types != nil {
		x.types.close()
		x.types = nil
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
