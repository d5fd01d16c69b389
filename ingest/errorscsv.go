package ingest

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrorsCSV writes the invalid rows of a payout file with their original
// columns and unmasked values, plus an "error" column with the reasons and an
// "error_codes" column, so finance can fix the rows and drop the file again.
// It is the one output with raw personal data: the file is created with mode
// 0600 and appears under its name only when Close succeeds.
type ErrorsCSV struct {
	path   string
	tmp    *os.File
	w      *csv.Writer
	header []string
	rows   int
}

// Columns that ErrorsCSV appends to the original header.
const (
	ErrorColumn      = "error"
	ErrorCodesColumn = "error_codes"
)

// CreateErrorsCSV starts an errors file at path, writing to a temporary file
// in the same directory until Close.
func CreateErrorsCSV(path string) (*ErrorsCSV, error) {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return nil, fmt.Errorf("create errors file: %s is a directory; give a file name such as %s",
			path, filepath.Join(path, "errors.csv"))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create errors file: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("create errors file: %w", err)
	}
	return &ErrorsCSV{path: path, tmp: tmp, w: csv.NewWriter(tmp)}, nil
}

// Write adds rec when it is invalid; valid records are skipped. header is the
// file's header (Reader.Header); the first call writes it.
func (e *ErrorsCSV) Write(header []string, rec Record) error {
	if e.header == nil {
		e.header = append([]string(nil), header...)
		if err := e.w.Write(append(slices.Clone(e.header), ErrorColumn, ErrorCodesColumn)); err != nil {
			return fmt.Errorf("write errors file: %w", err)
		}
	} else if !slices.Equal(e.header, header) {
		return fmt.Errorf("write errors file: rows of files with different headers cannot share one errors file")
	}
	if rec.Valid() {
		return nil
	}

	line := make([]string, 0, len(e.header)+2)
	for i := range e.header {
		line = append(line, rec.Raw.text(i))
	}
	reasons, codes := errorSummary(rec.Problems)
	line = append(line, reasons, codes)
	if err := e.w.Write(line); err != nil {
		return fmt.Errorf("write errors file: %w", err)
	}
	e.rows++
	return nil
}

// errorSummary joins a row's errors as "column: message" and their codes.
func errorSummary(problems []Problem) (string, string) {
	var reasons, codes []string
	for _, p := range problems {
		if !p.IsError() {
			continue
		}
		reason := p.Message
		if p.Column != "" {
			reason = p.Column + ": " + p.Message
		}
		reasons = append(reasons, reason)
		codes = append(codes, p.Code)
	}
	return strings.Join(reasons, "; "), strings.Join(codes, " ")
}

// Rows returns the number of invalid rows written.
func (e *ErrorsCSV) Rows() int { return e.rows }

// Close flushes the rows, syncs the file and renames it into place. A file
// with no invalid rows still replaces an older one, so no stale rows remain.
func (e *ErrorsCSV) Close() error {
	if e.header == nil {
		e.w.Write([]string{ErrorColumn, ErrorCodesColumn})
	}
	e.w.Flush()
	err := e.w.Error()
	if err == nil {
		err = e.tmp.Sync()
	}
	if cerr := e.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(e.tmp.Name(), e.path)
	}
	if err != nil {
		os.Remove(e.tmp.Name())
		return fmt.Errorf("write errors file %s: %w", e.path, err)
	}
	return nil
}

// Abort removes the temporary file without touching path.
func (e *ErrorsCSV) Abort() {
	e.tmp.Close()
	os.Remove(e.tmp.Name())
}
