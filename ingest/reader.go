package ingest

import (
	"errors"
	"fmt"
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
	// Raw holds the cell values by original header, unmasked, for --errors-out
	// only. It is valid until the next call to Next.
	Raw Raw
	// Reference is the row's cleaned reference cell, also when the row is
	// invalid; "" when the cell is empty or damaged.
	Reference string
	// Instruction is the validated payout; nil when the row has an error. It
	// is valid until the next call to Next, which may reuse its memory; use
	// KeepInstruction for one that lasts.
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

// KeepInstruction returns a copy of the record's Instruction that stays
// valid after the next call to Next, or nil when the row has an error. The
// Beneficiary is shared with the record; Next never reuses it.
func (r Record) KeepInstruction() *payrun.Instruction {
	if r.Instruction == nil {
		return nil
	}
	in := *r.Instruction
	in.Amount.Value = in.Amount.Value.Copy()
	return &in
}

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

	cols         *columnMap
	fileProblems []Problem

	// rows reads and validates the rows; batch is the one being returned.
	rows    *pipeline
	batch   *rowBatch
	next    int
	batches int
	err     error // ends the file after the batch's records

	dups *duplicateIndex
	// hash, if not nil, is fed the raw bytes of the first CSV source.
	hash *fileHash
}

// Open opens a payout file and checks its structure up to the header.
// File-level problems (a missing column, an invalid encoding, broken CSV) are
// returned as *FileError; Next can still return one for broken CSV further
// down. An error of another type means the file could not be read at all.
func Open(path string, opts Options) (*Reader, error) { return open(path, opts, nil, false) }

// open is Open that also feeds the raw bytes a CSV source reads to fh, if
// not nil. With reuseText, the strings of a record are valid only until the
// next call to Next (see startPipeline).
func open(path string, opts Options, fh *fileHash, reuseText bool) (*Reader, error) {
	r := &Reader{path: path, opts: opts, dups: newDuplicateIndex(), hash: fh}

	var err error
	if r.rules, err = newRules(opts); err != nil {
		return nil, err
	}
	if r.format, err = formatOf(path); err != nil {
		return nil, err
	}

	src, cols, err := r.openSource()
	if err != nil {
		return nil, err
	}
	r.cols = cols
	r.rows = startPipeline(src, func() *validator { return newValidator(r) }, reuseText)
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

	var raw io.Writer
	if r.hash != nil {
		raw = r.hash
		r.hash = nil // a second reading of the file must not feed it again
	}
	src, err := openCSV(r.path, r.rules.delimiter, r.opts.Profile.Delimiter != "", r.opts.Profile.Encoding, raw)
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

// rereadLate reads the file again from the top and calls fn with each
// earlier row of the late duplicates, validated again (so it is valid, as it
// was the first time) and with the late duplicate it belongs to. The records
// are valid only during the call.
func (r *Reader) rereadLate(late []LateDuplicate, fn func(Record, LateDuplicate) error) error {
	remaining := make(map[int]LateDuplicate, len(late))
	for _, d := range late {
		remaining[d.Row] = d
	}

	sheet, problems := r.sheet, r.fileProblems
	src, _, err := r.openSource()
	r.sheet, r.fileProblems = sheet, problems
	if err != nil {
		return fmt.Errorf("read %s again for its duplicate rows: %w", r.path, err)
	}
	defer src.close()

	v := newValidator(r)
	for len(remaining) > 0 {
		row, err := src.next()
		if err != nil {
			return fmt.Errorf("read %s again for its duplicate rows: %w", r.path, err)
		}
		d, ok := remaining[row.row]
		if !ok {
			continue
		}
		delete(remaining, row.row)
		rec, _ := v.validate(row, &payrun.Instruction{}, nil)
		if err := fn(rec, d); err != nil {
			return err
		}
	}
	return nil
}

// Next returns the next non-empty data row, or io.EOF after the last one.
// A *FileError means the file is damaged at that point (invalid CSV or
// encoding) and cannot be used.
func (r *Reader) Next() (Record, error) {
	for r.batch == nil || r.next == len(r.batch.records) {
		if r.err != nil || r.rows == nil {
			return Record{}, r.endError()
		}
		r.nextBatch()
	}
	rec := r.batch.records[r.next]
	r.next++
	return rec, nil
}

func (r *Reader) endError() error {
	if r.err == nil {
		return errors.New("read payout file: the reader is closed")
	}
	return r.err
}

// nextBatch takes the next validated batch and runs the duplicate checks
// over it.
func (r *Reader) nextBatch() {
	if r.batch != nil {
		r.rows.release(r.batch)
	}
	r.batch, r.next = r.rows.next(), 0
	if r.batches == 0 {
		r.reserveIndex(r.batch)
	}
	r.batches++
	r.checkDuplicates(r.batch.records, r.batch.keys)
	r.err = r.batch.err
}

// minRowBytes bounds the row estimate of reserveIndex: no payout row is
// shorter than its reference, amount and currency with two delimiters.
const minRowBytes = 10

// reserveIndex sizes the duplicate index from the first full batch: the
// file's size divided by the bytes per row so far estimates the rows, so a
// file of rows alike in length fills the index without growing it.
func (r *Reader) reserveIndex(b *rowBatch) {
	if len(b.rows) < batchRows || b.read <= 0 || b.size <= b.read {
		return
	}
	rows := b.size * int64(len(b.rows)) / b.read
	rows = min(rows, b.size/minRowBytes) * 21 / 20 // 5% more for rows a little shorter
	r.dups.references.reserve(int(rows))
	r.dups.payees.reserve(int(rows))
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
	if r.rows == nil {
		return nil
	}
	err := r.rows.close()
	r.rows, r.batch, r.next = nil, nil, 0
	r.dups.free()
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
