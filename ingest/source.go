package ingest

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// cellKind is the stored type of a cell. Every CSV field is text; XLSX cells
// keep the type the spreadsheet stored.
type cellKind uint8

const (
	cellText cellKind = iota
	cellNumber
	cellDate
	cellBool
	cellError
	cellFormulaNoValue
)

// cell is one cell of a row. For numbers and dates, text is the stored value
// (for dates already converted to YYYY-MM-DD).
type cell struct {
	text string
	kind cellKind
	// ascii is true when the source has checked that text is 7-bit ASCII,
	// so the validator need not check again.
	ascii bool
	// percent is true for a number cell whose format shows it as a
	// percentage: a cell that shows 50% stores 0.5.
	percent bool
}

// sourceRow is one row of a file, header included.
type sourceRow struct {
	row   int // spreadsheet row
	line  int // first physical line (CSV); equals row for XLSX
	cells []cell
	// hidden is true for a worksheet row that is hidden by hand, by a filter
	// or by a collapsed group, or has a height of 0. A CSV file does not
	// record hidden rows.
	hidden bool
	// worksheet is true for a row of an XLSX worksheet, whose cells keep
	// their columns whatever the cells beside them contain.
	worksheet bool
}

func (r sourceRow) isEmpty() bool {
	for _, c := range r.cells {
		// isBlank is false for every ASCII byte above the space.
		if c.text != "" && c.text[0] > ' ' && c.text[0] < utf8.RuneSelf {
			return false
		}
		if c.kind != cellText || strings.TrimFunc(c.text, isBlank) != "" {
			return false
		}
	}
	return true
}

func (r sourceRow) texts() []string {
	out := make([]string, len(r.cells))
	for i, c := range r.cells {
		out[i] = c.text
	}
	return out
}

// source yields the rows of one file or sheet in order. next returns io.EOF
// after the last row and a *FileError for a structural problem.
type source interface {
	next() (sourceRow, error)
	close() error
}

// headerScanRows is how many leading rows header detection looks at.
const headerScanRows = 30

// locateHeader reads rows until the header: the row given by headerRow, or
// with headerRow 0 the first row that maps to all required columns. When no row
// qualifies, the error lists the columns of the first non-empty row.
func locateHeader(src source, headerRow int, aliases map[string]string) (*columnMap, error) {
	var first *columnMap
	var firstErr error
	for scanned := 0; headerRow > 0 || scanned < headerScanRows; scanned++ {
		row, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if headerRow > 0 && row.row < headerRow {
			continue
		}
		if headerRow > 0 && (row.row > headerRow || row.isEmpty()) {
			// encoding/csv skips blank lines, so an empty header row shows up
			// as a later row.
			return nil, fileErrorf(CodeNoHeader, "set header_row to the row that holds the column names",
				"header row %d is empty", headerRow)
		}
		if row.isEmpty() {
			continue
		}

		isFirst := first == nil && firstErr == nil
		if isFirst {
			if err := checkDelimiter(row); err != nil {
				return nil, err
			}
		}
		cols, ferr := mapHeader(row.texts(), aliases)
		switch {
		case ferr != nil && (headerRow > 0 || ferr.Code == CodeInvalidProfile):
			return nil, ferr
		case ferr != nil:
			// A data row below a title row may repeat values; only the first
			// row's header error is reported.
			if isFirst {
				firstErr = ferr
			}
			continue
		}

		missing := cols.missingColumns()
		if len(missing) == 0 {
			return cols, nil
		}
		if headerRow > 0 {
			return nil, cols.missingColumnsError(missing)
		}
		if isFirst {
			first = cols
		}
	}

	switch {
	case firstErr != nil:
		return nil, firstErr
	case first != nil:
		return nil, first.missingColumnsError(first.missingColumns())
	}
	return nil, fileErrorf(CodeNoHeader, "check that this is the payout file and that it was saved completely",
		"the file has no header row: it contains no rows")
}

// checkDelimiter rejects a header that parsed as one column but contains
// another delimiter, which is what a ";"-separated file read with "," gives.
func checkDelimiter(row sourceRow) error {
	if len(row.cells) != 1 {
		return nil
	}
	text := row.cells[0].text
	for _, d := range []struct{ char, name, setting string }{
		{";", "semicolon", ";"}, {"\t", "tab", "tab"}, {",", "comma", ","}, {"|", "vertical bar", "|"},
	} {
		if strings.Contains(text, d.char) {
			return fileErrorf(CodeDelimiterMismatch,
				fmt.Sprintf("set delimiter = %q in the source profile or pass --delimiter %q", d.setting, d.setting),
				"delimiter mismatch: the header parsed as one column containing %q, so the file is probably %s-separated",
				d.char, d.name)
		}
	}
	return nil
}
