package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

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
// payrun validate --errors-out uses to write the invalid rows.
func ValidateFileFunc(path string, opts Options, control *Control, fn func(*Reader, Record) error) (*FileReport, error) {
	return validateFile(path, opts, control, fn)
}

func validateFile(path string, opts Options, control *Control, fn func(*Reader, Record) error) (*FileReport, error) {
	sum, err := fileSHA256(path)
	if err != nil {
		return nil, err
	}
	report := &FileReport{Path: path, SHA256: sum, Totals: map[string]string{}, Problems: []Problem{}}
	report.Format, _ = formatOf(path)

	reader, err := Open(path, opts)
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

	totals := payrun.Totals{}
	if err := collectRecords(reader, report, totals, fn); err != nil {
		return nil, err
	}
	report.Totals = totals.Strings()
	report.Problems = append(report.Problems, control.Check(report.Rows.Valid, totals)...)
	return report, nil
}

func collectRecords(reader *Reader, report *FileReport, totals payrun.Totals, fn func(*Reader, Record) error) error {
	for {
		rec, err := reader.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", report.Path, err)
		}

		report.Rows.Total++
		if rec.Valid() {
			report.Rows.Valid++
			minor, err := rec.Instruction.Amount.Minor()
			if err != nil {
				return fmt.Errorf("row %d: %w", rec.Row, err)
			}
			totals.Add(rec.Instruction.Amount.Currency, minor)
		} else {
			report.Rows.Invalid++
		}
		for _, p := range rec.Problems {
			if !p.IsError() {
				report.Rows.Warnings++
				break
			}
		}
		report.Problems = append(report.Problems, rec.Problems...)

		if fn != nil {
			if err := fn(reader, rec); err != nil {
				return err
			}
		}
	}
}

// fileSHA256 returns the hex SHA-256 of the file's bytes.
func fileSHA256(path string) (string, error) {
	file, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open payout file: %w", err)
	}
	defer file.Close()
	h := sha256.New()
	if _, err := io.Copy(h, file); err != nil {
		return "", fmt.Errorf("read payout file %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
