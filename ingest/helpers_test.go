package ingest

import (
	"errors"
	"io"
	"path/filepath"
	"slices"
	"testing"
)

// readFile opens a testdata file and returns all its records.
func readFile(t *testing.T, name string, opts Options) ([]Record, *Reader) {
	t.Helper()
	path := name
	if !filepath.IsAbs(name) {
		path = filepath.Join("testdata", name)
	}
	r, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s) error: %v", name, err)
	}
	t.Cleanup(func() { r.Close() })

	var records []Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return records, r
		}
		if err != nil {
			t.Fatalf("Next() on %s error: %v", name, err)
		}
		rec.Raw = rec.Raw.Clone()
		rec.Instruction = rec.KeepInstruction()
		records = append(records, rec)
	}
}

// byReference indexes records by their reference cell.
func byReference(records []Record) map[string]Record {
	m := make(map[string]Record, len(records))
	for _, rec := range records {
		m[cleanIdentifier(rec.Raw.Get("reference"))] = rec
	}
	return m
}

// readError returns the *FileError of reading a testdata file, from Open or
// from a later call to Next, since a file is read in one pass.
func readError(t *testing.T, name string, opts Options) *FileError {
	t.Helper()
	r, err := Open(filepath.Join("testdata", name), opts)
	for err == nil {
		_, err = r.Next()
	}
	if r != nil {
		r.Close()
	}
	if errors.Is(err, io.EOF) {
		t.Fatalf("reading %s succeeded, want a file error", name)
	}
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("reading %s: error %v (%T), want *FileError", name, err, err)
	}
	return fe
}

func codes(rec Record, severity string) []string {
	var out []string
	for _, p := range rec.Problems {
		if p.Severity == severity {
			out = append(out, p.Code)
		}
	}
	return out
}

// findProblem returns the row's problem with the code, if any.
func findProblem(rec Record, code string) (Problem, bool) {
	for _, p := range rec.Problems {
		if p.Code == code {
			return p, true
		}
	}
	return Problem{}, false
}

// wantError checks that the row is invalid with an error of code on column.
func wantError(t *testing.T, rec Record, column, code string) Problem {
	t.Helper()
	if rec.Valid() {
		t.Errorf("row %d is valid, want error %s on %s", rec.Row, code, column)
	}
	var p Problem
	found := false
	for _, candidate := range rec.Problems {
		if candidate.Code == code && candidate.Column == column {
			p, found = candidate, true
			break
		}
	}
	if !found {
		t.Errorf("row %d problems %v, want %s on %s", rec.Row, rec.Problems, code, column)
		return p
	}
	if p.Severity != SeverityError {
		t.Errorf("row %d %s severity %q, want error", rec.Row, code, p.Severity)
	}
	if p.Message == "" || p.Hint == "" {
		t.Errorf("row %d %s has message %q and hint %q, want both", rec.Row, code, p.Message, p.Hint)
	}
	return p
}

// wantValid checks that the row is valid and has no error.
func wantValid(t *testing.T, rec Record) {
	t.Helper()
	if !rec.Valid() {
		t.Errorf("row %d is invalid: %v", rec.Row, rec.Problems)
	}
	if errs := codes(rec, SeverityError); len(errs) > 0 {
		t.Errorf("row %d has errors %v", rec.Row, errs)
	}
}

func wantOnlyErrors(t *testing.T, rec Record, want ...string) {
	t.Helper()
	got := codes(rec, SeverityError)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("row %d errors %v, want %v", rec.Row, got, want)
	}
}
