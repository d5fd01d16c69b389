package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// writeBenchFile writes a payout file of n valid EUR rows.
func writeBenchFile(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.csv")
	file, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := csv.NewWriter(file)
	w.Write([]string{"reference", "amount", "currency", "external_ref", "beneficiary_type", "first_name",
		"last_name", "email", "country", "iban", "phone", "date_of_birth", "nationality", "address_line1", "city", "postal_code"})
	for i := 0; i < n; i++ {
		w.Write([]string{fmt.Sprintf("BENCH-%07d", i), fmt.Sprintf("%d.%02d", 10+i%5000, i%100), "EUR",
			fmt.Sprintf("cust-%d", i), "individual", "Jörg", "Müller", "jorg@example.de", "DE",
			"DE89370400440532013000", "+4915123456789", "1980-01-02", "DE", "Hauptstraße 1", "Berlin", "10115"})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		b.Fatal(err)
	}
	if err := file.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

const benchRows = 10000

// BenchmarkValidateCSV measures Open (the reference pass) plus Next over
// every row, that is both passes over the file.
func BenchmarkValidateCSV(b *testing.B) {
	path := writeBenchFile(b, benchRows)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if !rec.Valid() {
				b.Fatalf("row %d invalid: %v", rec.Row, rec.Problems)
			}
		}
		r.Close()
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCSVBaseline is a bare encoding/csv loop over the same file, the
// floor that BenchmarkValidateCSV is compared with.
func BenchmarkCSVBaseline(b *testing.B) {
	path := writeBenchFile(b, benchRows)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		file, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r := csv.NewReader(file)
		for {
			_, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		file.Close()
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
