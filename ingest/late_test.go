package ingest

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateFileLateDuplicate(t *testing.T) {
	report, err := ValidateFile("testdata/duplicates.csv", Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Rows 2 and 4 share DUP-A; row 2 was counted valid before row 4 came.
	if diff := cmp.Diff(RowCounts{Total: 5, Valid: 3, Invalid: 2, Warnings: 1}, report.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"EUR": "200.00", "USD": "250.00"}, report.Totals); diff != "" {
		t.Errorf("totals without both DUP-A rows (-want +got):\n%s", diff)
	}

	var rows []int
	for _, p := range report.Problems {
		if p.Code == CodeDuplicateReference {
			rows = append(rows, p.Row)
		}
	}
	if !slices.Equal(rows, []int{2, 4}) {
		t.Errorf("duplicate_reference problems on rows %v, want [2 4] in row order", rows)
	}
}

func TestValidateFileLateDuplicateOnlyCurrency(t *testing.T) {
	report, err := ValidateFile("testdata/duplicates_three.csv", Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(RowCounts{Total: 3, Invalid: 3}, report.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if len(report.Totals) != 0 {
		t.Errorf("totals %v, want none: no valid row is left", report.Totals)
	}
}

func TestValidateFileFuncLateRows(t *testing.T) {
	type seen struct {
		row       int
		valid     bool
		reference string
		codes     []string
	}
	var got []seen
	_, err := ValidateFileFunc("testdata/duplicates.csv", Options{}, nil, func(r *Reader, rec Record) error {
		var codes []string
		for _, p := range rec.Problems {
			if p.IsError() {
				codes = append(codes, p.Code)
			}
		}
		got = append(got, seen{rec.Row, rec.Valid(), rec.Raw.Get("reference"), codes})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	want := []seen{
		{2, true, "DUP-A", nil},
		{3, true, "DUP-B", nil},
		{4, false, "DUP-A", []string{CodeDuplicateReference}},
		{5, true, "DUP-C", nil},
		{6, true, "DUP-D", nil},
		// Row 2 again, read back from the file for --errors-out.
		{2, false, "DUP-A", []string{CodeDuplicateReference}},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(seen{})); diff != "" {
		t.Errorf("records passed to fn (-want +got):\n%s", diff)
	}
}
