package ingest

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/payrun/payrun"
)

// FileReport summarises the validation of one payout file; its JSON form is one
// element of the "files" array that payrun validate --json prints.
type FileReport struct {
	Path   string     `json:"path"`
	SHA256 string     `json:"sha256"`
	Format string     `json:"format"`
	Sheet  string     `json:"sheet"`
	Error  *FileError `json:"error"`
	Rows   RowCounts  `json:"rows"`
	// Totals are the sums of valid rows per currency, as decimal strings.
	Totals   map[string]string `json:"totals"`
	Problems []Problem         `json:"problems"`
}

// RowCounts counts data rows. Warnings counts rows with at least one warning,
// valid or not.
type RowCounts struct {
	Total    int `json:"total"`
	Valid    int `json:"valid"`
	Invalid  int `json:"invalid"`
	Warnings int `json:"warnings"`
}

// Add adds other's counts to c.
func (c *RowCounts) Add(other RowCounts) {
	c.Total += other.Total
	c.Valid += other.Valid
	c.Invalid += other.Invalid
	c.Warnings += other.Warnings
}

// OK reports whether the file has no file-level error, no invalid row and no
// error problem (such as a control mismatch).
func (r *FileReport) OK() bool {
	if r.Error != nil || r.Rows.Invalid > 0 {
		return false
	}
	for _, p := range r.Problems {
		if p.IsError() {
			return false
		}
	}
	return true
}

// ValidateFile reads a whole payout file and reports every problem, the row
// counts and the totals of valid rows. A non-nil control is checked too.
// A file-level problem is reported in FileReport.Error; an error is returned
// only when the file cannot be read at all.
func ValidateFile(path string, opts Options, control *Control) (*FileReport, error) {
	return validateFile(path, opts, control, nil)
}

// ValidateFileFunc is ValidateFile that also passes each record to fn, which
// payrun validate --errors-out uses to write the invalid rows. After the last
// record, fn also gets the earlier row of each late duplicate that was valid
// when it was passed, as an invalid record with its duplicate_reference error.
// An earlier row that was already invalid is not passed again, so it appears
// once, without that error.
//
// A file is read once, unless a repeated reference made a valid row invalid:
// then the file is read again up to the last such row, because only the row
// itself has the amount to take out of the totals.
func ValidateFileFunc(path string, opts Options, control *Control, fn func(*Reader, Record) error) (*FileReport, error) {
	return validateFile(path, opts, control, fn)
}

func validateFile(path string, opts Options, control *Control, fn func(*Reader, Record) error) (*FileReport, error) {
	if format, _ := formatOf(path); format == "csv" {
		// A CSV file is hashed as it is read, so it is read only once.
		fh := newFileHash()
		defer fh.stop()
		report, err := validateRows(path, opts, control, fn, fh)
		if err != nil {
			return nil, err
		}
		if err := fh.finish(path); err != nil {
			return nil, err
		}
		report.SHA256 = fh.sum()
		return report, nil
	}

	// An XLSX file is read from its zip directory, not front to back, so
	// the hash reads it beside validation, on another core.
	type hashResult struct {
		sum string
		err error
	}
	hashed := make(chan hashResult, 1)
	go func() {
		sum, _, err := FileSHA256(path)
		hashed <- hashResult{sum, err}
	}()

	report, err := validateRows(path, opts, control, fn, nil)
	h := <-hashed
	if h.err != nil {
		return nil, h.err
	}
	if err != nil {
		return nil, err
	}
	report.SHA256 = h.sum
	return report, nil
}

func validateRows(path string, opts Options, control *Control, fn func(*Reader, Record) error, fh *fileHash) (*FileReport, error) {
	report := &FileReport{Path: path, Totals: map[string]string{}, Problems: []Problem{}}
	report.Format, _ = formatOf(path)

	// The collector copies the few strings it keeps, so the reader may
	// reuse the memory of the row text.
	reader, err := open(path, opts, fh, true)
	var fe *FileError
	if errors.As(err, &fe) {
		report.Error = fe
		return report, nil
	}
	if err != nil {
		return nil, err
	}
	defer reader.Close()
	report.Sheet = reader.Sheet()
	report.Problems = append(report.Problems, reader.FileProblems()...)

	c := &collector{report: report, fn: fn, rowsFrom: len(report.Problems)}
	err = c.collect(reader)
	if errors.As(err, &fe) {
		// A file-level problem below the header makes the whole file unusable,
		// as one found by Open does, so no row counts are reported.
		*report = FileReport{Path: path, Format: report.Format, Sheet: report.Sheet,
			Error: fe, Totals: map[string]string{}, Problems: []Problem{}}
		return report, nil
	}
	if err != nil {
		return nil, err
	}
	if err := c.finish(reader); err != nil {
		return nil, err
	}
	if c.overflow != "" {
		*report = FileReport{Path: path, Format: report.Format, Sheet: report.Sheet,
			Error: TotalOutOfRange(c.overflow), Totals: map[string]string{}, Problems: []Problem{}}
		return report, nil
	}

	totals := c.totals()
	report.Totals = totals.Strings()
	if report.Rows.Total == 0 {
		report.Problems = append(report.Problems, Problem{Severity: SeverityWarning, Code: CodeNoDataRows,
			Message: "the file has a header but no data rows, so it pays nothing",
			Hint:    "check that the export included the payout rows"})
	}
	report.Problems = append(report.Problems, control.Check(report.Rows.Valid, totals)...)
	return report, nil
}

// collector adds the records of one file to its report.
type collector struct {
	report *FileReport
	sums   []currencySum
	fn     func(*Reader, Record) error
	// rowsFrom is where row problems start in report.Problems, after the
	// file-level ones.
	rowsFrom int
	// late lists the late duplicates that were counted valid.
	late []LateDuplicate
	// overflow is the first currency whose total of valid rows does not fit
	// in an int64 of minor units, or "".
	overflow string
}

// TotalOutOfRange returns the file error of a currency whose total of valid
// rows does not fit in an int64 of minor units.
func TotalOutOfRange(code string) *FileError {
	return fileErrorf(CodeTotalOutOfRange,
		"check the amounts, which are almost certainly wrong, or split the file into smaller files",
		"the valid rows in %s total more than %s %s, the largest total payrun can add up",
		code, payrun.FormatMinor(math.MaxInt64, code), code)
}

func (c *collector) collect(reader *Reader) error {
	for {
		rec, err := reader.Next()
		if err != nil {
			return c.readError(err)
		}

		c.add(rec)
		for _, late := range rec.LateDuplicates {
			c.addLate(late)
		}
		if c.fn != nil {
			if err := c.fn(reader, rec); err != nil {
				return err
			}
		}
	}
}

// readError returns nil at the end of the file, a *FileError as it is, and
// any other error with the file's path. It is a function of its own
// because the pointer that errors.As fills escapes to the heap, which in
// the loop of collect cost an allocation per row.
func (c *collector) readError(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return fe
	}
	return fmt.Errorf("read %s: %w", c.report.Path, err)
}

// add counts a record and keeps its problems. The reader reuses the memory
// of the row text (see validateRows), so the strings that stay past the
// record are copied: the problems' values and messages, and a currency code
// the first time it gets a total.
func (c *collector) add(rec Record) {
	rows := &c.report.Rows
	rows.Total++
	if rec.Valid() {
		rows.Valid++
		c.addTotal(rec.Instruction.Amount.Currency, rec.Minor)
	} else {
		rows.Invalid++
	}
	for _, p := range rec.Problems {
		if !p.IsError() {
			rows.Warnings++
			break
		}
	}
	for _, p := range rec.Problems {
		p.Column, p.Value = strings.Clone(p.Column), strings.Clone(p.Value)
		p.Message, p.Hint = strings.Clone(p.Message), strings.Clone(p.Hint)
		c.report.Problems = append(c.report.Problems, p)
	}
}

// currencySum is the total of the valid rows in one currency. The collector
// keeps its sums in a slice, not a map, because an assignment to an existing
// string key of a Go map also stores the new key string. That key would point
// into row memory, which the reader reuses for a later batch.
type currencySum struct {
	code  string // a copy, never row memory
	minor int64
}

// addTotal adds minor units to the total of a currency. A total that would
// pass the int64 maximum, and wrap around to a negative one, keeps its old
// value, and the currency is recorded in overflow.
func (c *collector) addTotal(code string, minor int64) {
	for i := range c.sums {
		if c.sums[i].code != code {
			continue
		}
		if minor > 0 && c.sums[i].minor > math.MaxInt64-minor {
			if c.overflow == "" {
				c.overflow = c.sums[i].code
			}
			return
		}
		c.sums[i].minor += minor
		return
	}
	c.sums = append(c.sums, currencySum{code: strings.Clone(code), minor: minor})
}

// totals returns the totals per currency. Amounts are positive, so a zero
// total means that late duplicates left no valid row in its currency.
func (c *collector) totals() payrun.Totals {
	totals := payrun.Totals{}
	for _, sum := range c.sums {
		if sum.minor != 0 {
			totals[sum.code] = sum.minor
		}
	}
	return totals
}

// addLate turns an earlier row invalid: its duplicate_reference error joins
// the problems, and a row that was counted valid moves to the invalid count.
// finish takes its amount out of the totals.
func (c *collector) addLate(late LateDuplicate) {
	c.report.Problems = append(c.report.Problems, late.Problem)
	if !late.WasValid {
		return
	}
	c.late = append(c.late, late)
	c.report.Rows.Valid--
	c.report.Rows.Invalid++
}

// finish puts late problems in row order. When a late duplicate was counted
// valid, it reads the file again up to the last such row, to take their
// amounts out of the totals and to pass them to fn as invalid records.
func (c *collector) finish(reader *Reader) error {
	rows := c.report.Problems[c.rowsFrom:]
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Row < rows[j].Row })
	if len(c.late) == 0 {
		return nil
	}

	return reader.rereadLate(c.late, func(again Record, late LateDuplicate) error {
		if again.Valid() {
			c.addTotal(again.Instruction.Amount.Currency, -again.Minor)
		}
		if c.fn == nil {
			return nil
		}
		rec := Record{Row: again.Row, Line: again.Line, Raw: again.Raw, Reference: again.Reference,
			Problems: []Problem{late.Problem}}
		return c.fn(reader, rec)
	})
}
