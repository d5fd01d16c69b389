// Package benchfile writes the payout files of the validate benchmarks: rows
// that pay existing Anton beneficiaries by id, about 150 bytes each in CSV,
// with unique references and no two rows paying one beneficiary the same
// amount, so every row is valid and free of warnings.
package benchfile

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Header is the column order of generated files.
var Header = []string{"reference", "amount", "currency", "beneficiary_id", "instrument_id",
	"method", "purpose", "description"}

// beneficiaries is the number of distinct beneficiaries the rows pay.
const beneficiaries = 5000

// amountModulus bounds the generated amounts to under 100,000.00. Row i pays
// (i·7919 mod amountModulus) cents plus one unit; 7919 is prime and coprime
// with the modulus, so the first amountModulus rows all get different amounts.
const amountModulus = 10_000_000

// rails pairs each currency with the method that pays it out.
var rails = [][2]string{{"EUR", "sepa"}, {"USD", "ach"}, {"GBP", "faster_payment"}}

// Row returns the cells of data row i (0-based).
func Row(i int) []string {
	cents := 100 + (i*7919)%amountModulus
	rail := rails[i%len(rails)]
	payee := i % beneficiaries
	return []string{
		fmt.Sprintf("BENCH-%08d", i+1),
		strconv.Itoa(cents/100) + "." + fmt.Sprintf("%02d", cents%100),
		rail[0],
		fmt.Sprintf("ben_01HZX3K9Q2M4N5P6%06d", payee),
		fmt.Sprintf("ins_01HZX3K9Q2M4N5P6%06d", payee),
		rail[1],
		"contractor_payment",
		fmt.Sprintf("Invoice 2024-%07d, consulting in March", i+1),
	}
}

// WriteCSV writes a header and rows data rows to w.
func WriteCSV(w io.Writer, rows int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := csv.NewWriter(bw)
	if err := cw.Write(Header); err != nil {
		return fmt.Errorf("write CSV header: %w", err)
	}
	for i := 0; i < rows; i++ {
		if err := cw.Write(Row(i)); err != nil {
			return fmt.Errorf("write CSV row %d: %w", i+2, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return bw.Flush()
}

// WriteCSVFile writes a CSV benchmark file at path.
func WriteCSVFile(path string, rows int) error {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create benchmark file: %w", err)
	}
	if err := WriteCSV(file, rows); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

// WriteXLSXFile writes an XLSX benchmark file at path with excelize's
// StreamWriter. Every cell is a text cell, as a finance export with text
// columns would store it; the amount is a number cell.
func WriteXLSXFile(path string, rows int) error {
	book := excelize.NewFile()
	defer book.Close()

	sheet := book.GetSheetName(0)
	sw, err := book.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("start XLSX stream: %w", err)
	}
	header := make([]any, len(Header))
	for i, h := range Header {
		header[i] = h
	}
	if err := sw.SetRow("A1", header); err != nil {
		return fmt.Errorf("write XLSX header: %w", err)
	}

	values := make([]any, len(Header))
	for i := 0; i < rows; i++ {
		if err := setRow(sw, i, values); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("flush XLSX stream: %w", err)
	}
	if err := book.SaveAs(path); err != nil {
		return fmt.Errorf("save XLSX file: %w", err)
	}
	return nil
}

func setRow(sw *excelize.StreamWriter, i int, values []any) error {
	for j, text := range Row(i) {
		values[j] = text
	}
	amount, err := strconv.ParseFloat(values[1].(string), 64)
	if err != nil {
		return fmt.Errorf("amount of row %d: %w", i+2, err)
	}
	values[1] = amount

	cell, err := excelize.CoordinatesToCellName(1, i+2)
	if err != nil {
		return err
	}
	if err := sw.SetRow(cell, values); err != nil {
		return fmt.Errorf("write XLSX row %d: %w", i+2, err)
	}
	return nil
}
