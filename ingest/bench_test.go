package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/payrun/payrun/internal/benchbase/benchfile"
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

// BenchmarkValidateCSV measures Open plus Next over every row of a file of
// new beneficiaries with personal data and IBANs.
func BenchmarkValidateCSV(b *testing.B) {
	benchValidate(b, writeBenchFile(b, benchRows))
}

// BenchmarkValidateExistingCSV measures Open plus Next over the rows of the
// validate throughput benchmark: about 150 bytes each, paying existing
// beneficiaries by id.
func BenchmarkValidateExistingCSV(b *testing.B) {
	path := filepath.Join(b.TempDir(), "existing.csv")
	if err := benchfile.WriteCSVFile(path, benchRows); err != nil {
		b.Fatal(err)
	}
	benchValidate(b, path)
}

// BenchmarkValidateExistingXLSX is BenchmarkValidateExistingCSV for the
// XLSX file that the validate benchmark writes.
func BenchmarkValidateExistingXLSX(b *testing.B) {
	path := filepath.Join(b.TempDir(), "existing.xlsx")
	if err := benchfile.WriteXLSXFile(path, benchRows/10); err != nil {
		b.Fatal(err)
	}
	benchValidate(b, path)
}

func benchValidate(b *testing.B, path string) {
	b.Helper()
	rows := 0
	b.ReportAllocs()
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
			if !rec.Valid() || len(rec.Problems) > 0 {
				b.Fatalf("row %d: %v", rec.Row, rec.Problems)
			}
			rows++
		}
		r.Close()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
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

// BenchmarkCSVSourceExisting measures the reading goroutine's share of
// BenchmarkValidateExistingCSV alone: decoding, splitting and batching the
// rows, without validation.
func BenchmarkCSVSourceExisting(b *testing.B) {
	path := filepath.Join(b.TempDir(), "existing.csv")
	if err := benchfile.WriteCSVFile(path, benchRows); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src, err := openCSV(path, ',', false, "", nil)
		if err != nil {
			b.Fatal(err)
		}
		batch := &rowBatch{}
		for batch.err == nil {
			batch.fill(src, false)
		}
		if !errors.Is(batch.err, io.EOF) {
			b.Fatal(batch.err)
		}
		src.close()
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
