package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeTotalsFile writes n valid rows that cycle through 0.10 EUR, 0.20 EUR,
// 1 JPY and 0.001 KWD, amounts whose float64 sums drift.
func writeTotalsFile(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("reference,amount,currency,beneficiary_id,instrument_id,method\n")
	amounts := []struct{ amount, currency string }{{"0.10", "EUR"}, {"0.20", "EUR"}, {"1", "JPY"}, {"0.001", "KWD"}}
	for i := 0; i < n; i++ {
		a := amounts[i%len(amounts)]
		fmt.Fprintf(&b, "TOT-%06d,%s,%s,ben_%d,ins_%d,swift\n", i, a.amount, a.currency, i, i)
	}
	path := filepath.Join(t.TempDir(), "totals.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTotalsOfManyBatches checks the totals of a file far longer than the
// batches in flight, whose row memory the reader reuses. The file is written
// at run time because it is about 2 MB.
func TestTotalsOfManyBatches(t *testing.T) {
	const n = 60_000
	path := writeTotalsFile(t, n)
	want := map[string]string{"EUR": "4500.00", "JPY": "15000", "KWD": "15.000"}

	// Reuse depends on how far the reader runs ahead, so several runs make
	// a missed copy show.
	for run := 0; run < 3; run++ {
		report, err := ValidateFile(path, Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if report.Rows.Valid != n {
			t.Errorf("run %d: %d valid rows, want %d", run, report.Rows.Valid, n)
		}
		if diff := cmp.Diff(want, report.Totals); diff != "" {
			t.Errorf("run %d: totals (-want +got):\n%s", run, diff)
		}
	}
}

// TestTotalBeyondInt64 checks that a total too large for an int64 of minor
// units is a file error instead of a total wrapped around to a negative one.
// It takes 9,224 rows of the largest KWD amount, 999999999999.999.
func TestTotalBeyondInt64(t *testing.T) {
	var b strings.Builder
	b.WriteString("reference,amount,currency,beneficiary_id,instrument_id,method\n")
	for i := 0; i < 9_224; i++ {
		fmt.Fprintf(&b, "MAX-%05d,999999999999.999,KWD,ben_%d,ins_%d,swift\n", i, i, i)
	}
	path := filepath.Join(t.TempDir(), "max.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	report, err := ValidateFile(path, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if report.Error == nil || report.Error.Code != CodeTotalOutOfRange {
		t.Fatalf("file error %+v, want %s", report.Error, CodeTotalOutOfRange)
	}
	if !strings.Contains(report.Error.Message, "KWD") {
		t.Errorf("message %q does not name the currency", report.Error.Message)
	}
	if len(report.Totals) != 0 {
		t.Errorf("totals %v, want none", report.Totals)
	}
}
