package ingest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSampleCleanFile(t *testing.T) {
	path := "../samples/payouts-clean.csv"
	control, err := ReadControl(path)
	if err != nil || control == nil {
		t.Fatalf("ReadControl: %v, %v", control, err)
	}
	report, err := ValidateFile(path, Options{}, control)
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() || len(report.Problems) != 0 {
		t.Errorf("clean sample has problems: %v", report.Problems)
	}
	if report.Rows.Valid != 60 {
		t.Errorf("%d valid rows, want 60", report.Rows.Valid)
	}
}

func TestSampleInvalidFile(t *testing.T) {
	report, err := ValidateFile("../samples/payouts-invalid.csv", Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int][]string{}
	for _, p := range report.Problems {
		if p.IsError() {
			got[p.Row] = append(got[p.Row], p.Code)
		}
	}
	want := map[int][]string{
		3: {CodeIBANChecksum}, 5: {CodeLeadingZero}, 6: {CodeAmountGrouping}, 7: {CodeDuplicateReference},
		8: {CodeDuplicateReference}, 10: {CodeMissingValue}, 12: {CodeLeadingZero}, 13: {CodeDateInvalid},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors by row (-want +got):\n%s", diff)
	}
}
