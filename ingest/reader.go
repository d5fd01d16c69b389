package ingest

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/payrun/payrun"
)

// Record is one data row of a payout file.
type Record struct {
	// Row is the spreadsheet row; Line is the first physical line in a CSV file.
	Row, Line int
	// Raw holds the cell values by original header, unmasked, for --errors-out
	// only. It is valid until the next call to Next.
	Raw Raw
	// Reference is the row's cleaned reference cell, also when the row is
	// invalid; "" when the cell is empty or damaged.
	Reference string
	// Instruction is the validated payout; nil when the row has an error.
	Instruction *payrun.Instruction
	// Minor is the amount of Instruction in minor units of its currency, 0
	// when the row has an error.
	Minor int64
	// Problems lists every error and warning of this row.
	Problems []Problem
	// LateDuplicates lists rows returned earlier that this row's reference
	// makes invalid. Each earlier row is listed once, on the first row that
	// repeats its reference.
	LateDuplicates []LateDuplicate
}

// Valid reports whether the row has no error. A valid row may still turn
// invalid when a later row repeats its reference (see LateDuplicates).
func (r Record) Valid() bool { return r.Instruction != nil }

// Reader streams the records of one payout file in a single pass. A reference
// that a later row repeats makes both rows invalid: the later Record carries
// the error, and the earlier row comes back as a LateDuplicate, on that later
// Record and from LateDuplicates after io.EOF.
type Reader struct {
	path   string
	format string
	sheet  string
	opts   Options
	rules  rules

	src          source
	cols         *columnMap
	fileProblems []Problem

	check  rowCheck
	dups   *duplicateIndex
	scales []currencyScale
}

// currencyScale caches payrun.CurrencyScale for one code.
type currencyScale struct {
	code  string
	scale int
	ok    bool
}

// maxCachedScales bounds the cache; a file pays in a handful of currencies.
const maxCachedScales = 16

// scaleOf returns the minor-unit digits of an ISO 4217 code and whether it is one.
func (r *Reader) scaleOf(code string) (int, bool) {
	for _, s := range r.scales {
		if s.code == code {
			return s.scale, s.ok
		}
	}
	scale, ok := payrun.CurrencyScale(code)
	if len(r.scales) < maxCachedScales {
		r.scales = append(r.scales, currencyScale{code: code, scale: scale, ok: ok})
	}
	return scale, ok
}

// Open opens a payout file and checks its structure up to the header.
// File-level problems (a missing column, an invalid encoding, broken CSV) are
// returned as *FileError; Next can still return one for broken CSV further
// down. An error of another type means the file could not be read at all.
func Open(path string, opts Options) (*Reader, error) {
	r := &Reader{path: path, opts: opts, dups: newDuplicateIndex()}

	var err error
	if r.rules, err = newRules(opts); err != nil {
		return nil, err
	}
	if r.format, err = formatOf(path); err != nil {
		return nil, err
	}

	if r.src, r.cols, err = r.openSource(); err != nil {
		return nil, err
	}
	r.fileProblems = append(r.fileProblems, r.cols.unknownColumnProblems()...)
	r.fileProblems = append(r.fileProblems, r.cols.unnamedColumnProblems()...)
	return r, nil
}

// formatOf returns "csv" or "xlsx" from the file's extension.
func formatOf(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv", ".txt":
		return "csv", nil
	case ".xlsx", ".xlsm":
		return "xlsx", nil
	}
	return "", fileErrorf(CodeUnsupportedFormat, "export the payout file as CSV or XLSX",
		"unsupported file type %q: payrun reads .csv and .xlsx files", filepath.Ext(path))
}

// openSource opens the file and positions it after the header. For XLSX it
// also sets the sheet and the note on why it was chosen.
func (r *Reader) openSource() (source, *columnMap, error) {
	if r.format == "xlsx" {
		x, cols, err := openXLSX(r.path, r.opts.Profile)
		if err != nil {
			return nil, nil, err
		}
		r.sheet = x.sheet
		r.fileProblems = append(r.fileProblems[:0], x.selection...)
		return x, cols, nil
	}

	src, err := openCSV(r.path, r.rules.delimiter, r.opts.Profile.Encoding)
	if err != nil {
		return nil, nil, err
	}
	cols, err := locateHeader(src, r.opts.Profile.HeaderRow, r.opts.Profile.Aliases)
	if err != nil {
		src.close()
		return nil, nil, err
	}
	return src, cols, nil
}

// rereadLate reads the file again from the top and calls fn with the cells of
// the earlier row of each late duplicate that was valid, as an invalid Record
// whose only problem is its duplicate_reference error. It serves
// --errors-out, which needs those rows' raw values after they were streamed.
func (r *Reader) rereadLate(late []LateDuplicate, fn func(Record) error) error {
	wanted := make(map[int]Problem)
	for _, d := range late {
		if d.WasValid {
			wanted[d.Row] = d.Problem
		}
	}
	if len(wanted) == 0 {
		return nil
	}

	sheet, problems := r.sheet, r.fileProblems
	src, _, err := r.openSource()
	r.sheet, r.fileProblems = sheet, problems
	if err != nil {
		return fmt.Errorf("read %s again for its duplicate rows: %w", r.path, err)
	}
	defer src.close()

	for len(wanted) > 0 {
		row, err := src.next()
		if err != nil {
			return fmt.Errorf("read %s again for its duplicate rows: %w", r.path, err)
		}
		p, ok := wanted[row.row]
		if !ok {
			continue
		}
		delete(wanted, row.row)
		rec := Record{Row: row.row, Line: row.line, Raw: Raw{header: r.cols.header, cells: row.cells},
			Problems: []Problem{p}}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

// Next returns the next non-empty data row, or io.EOF after the last one.
func (r *Reader) Next() (Record, error) {
	for {
		row, err := r.src.next()
		if err != nil {
			return Record{}, err
		}
		if row.isEmpty() {
			continue
		}
		return r.validate(row), nil
	}
}

// Format returns "csv" or "xlsx".
func (r *Reader) Format() string { return r.format }

// Sheet returns the name of the XLSX sheet being read, or "" for CSV.
func (r *Reader) Sheet() string { return r.sheet }

// Header returns the header cells as the file spells them, in file order.
func (r *Reader) Header() []string { return append([]string(nil), r.cols.header...) }

// LateDuplicates returns every late duplicate found so far; after io.EOF,
// all of them, in the order of the rows that revealed them.
func (r *Reader) LateDuplicates() []LateDuplicate {
	return append([]LateDuplicate(nil), r.dups.late...)
}

// FileProblems returns file-level warnings: unknown columns, unnamed columns,
// and which sheet was read and why.
func (r *Reader) FileProblems() []Problem { return append([]Problem(nil), r.fileProblems...) }

// Close closes the file.
func (r *Reader) Close() error {
	if r.src == nil {
		return nil
	}
	err := r.src.close()
	r.src = nil
	return err
}

// maxAmounts parses a profile's per-currency maximums.
func maxAmounts(m map[string]string) (map[string]decimal.Decimal, error) {
	out := make(map[string]decimal.Decimal, len(m))
	for code, text := range m {
		value, err := decimal.NewFromString(text)
		if err != nil || !value.IsPositive() {
			return nil, fileErrorf(CodeInvalidProfile, "write the maximum as a positive decimal string such as \"10000.00\"",
				"invalid max_amount %q for %s in the source profile", text, code)
		}
		out[strings.ToUpper(code)] = value
	}
	return out, nil
}
