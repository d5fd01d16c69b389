package ingest

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"path/filepath"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/payrun/payrun"
)

// Record is one data row of a payout file.
type Record struct {
	// Row is the spreadsheet row; Line is the first physical line in a CSV file.
	Row, Line int
	// Raw holds the cell values by original header, unmasked, for --errors-out only.
	Raw map[string]string
	// Instruction is the validated payout; nil when the row has an error.
	Instruction *payrun.Instruction
	// Problems lists every error and warning of this row.
	Problems []Problem
}

// Valid reports whether the row has no error.
func (r Record) Valid() bool { return r.Instruction != nil }

// Reader streams the records of one payout file. Open reads the file once to
// count references (two rows with one reference are both invalid), and Next
// reads it a second time, so a Reader takes a path, not a stream.
type Reader struct {
	path   string
	format string
	sheet  string
	opts   Options
	rules  rules

	src          source
	cols         *columnMap
	fileProblems []Problem

	seed       maphash.Seed
	references map[uint64]rowPair
	payees     map[uint64]rowPair
}

// rowPair counts the rows that share a hash and keeps the first two of them,
// so a message can name the other row. It is the fixed per-row memory cost.
type rowPair struct {
	count         uint32
	first, second uint32
}

func (p rowPair) add(row int) rowPair {
	p.count++
	switch p.count {
	case 1:
		p.first = uint32(row)
	case 2:
		p.second = uint32(row)
	}
	return p
}

// other returns a row of the pair that is not row.
func (p rowPair) other(row int) int {
	if int(p.first) == row {
		return int(p.second)
	}
	return int(p.first)
}

// Open opens a payout file, checks its structure and counts its references.
// File-level problems (a missing column, an invalid encoding, broken CSV) are
// returned as *FileError. An error of another type means the file could not be
// read at all.
func Open(path string, opts Options) (*Reader, error) {
	r := &Reader{path: path, opts: opts, seed: maphash.MakeSeed()}

	var err error
	if r.rules, err = newRules(opts); err != nil {
		return nil, err
	}
	if r.format, err = formatOf(path); err != nil {
		return nil, err
	}

	if err := r.countKeys(); err != nil {
		return nil, err
	}
	if err := r.start(); err != nil {
		return nil, err
	}
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

// openSource opens the file and positions it after the header.
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

// countKeys is the first pass: it checks every row's structure and counts
// reference and payee hashes.
func (r *Reader) countKeys() error {
	src, cols, err := r.openSource()
	if err != nil {
		return err
	}
	defer src.close()

	r.references = make(map[uint64]rowPair)
	r.payees = make(map[uint64]rowPair)
	for {
		row, err := src.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if row.isEmpty() {
			continue
		}
		ref, payee := r.keysOf(cols, row)
		if ref != 0 {
			r.references[ref] = r.references[ref].add(row.row)
		}
		if payee != 0 {
			r.payees[payee] = r.payees[payee].add(row.row)
		}
	}
}

// start is the second pass: it reopens the file for Next.
func (r *Reader) start() error {
	src, cols, err := r.openSource()
	if err != nil {
		return err
	}
	r.src, r.cols = src, cols
	r.fileProblems = append(r.fileProblems, cols.unknownColumnProblems()...)
	r.fileProblems = append(r.fileProblems, cols.unnamedColumnProblems()...)
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

// hashKey hashes length-prefixed parts with the reader's seed.
func (r *Reader) hashKey(parts ...string) uint64 {
	var h maphash.Hash
	h.SetSeed(r.seed)
	for _, p := range parts {
		fmt.Fprintf(&h, "%d:", len(p))
		h.WriteString(p)
	}
	return h.Sum64()
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
