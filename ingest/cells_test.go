package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestPercentAmountCell rejects amount cells that a percentage format shows
// as a hundred times their value, built-in (0%) and custom (0.0%), and keeps
// a number cell whose format has a quoted % sign, which does not scale it.
func TestPercentAmountCell(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	mustDo(t, f.SetSheetRow("Sheet1", "A1", &[]any{"reference", "amount", "currency", "beneficiary_id", "instrument_id", "method"}))
	builtin, err := f.NewStyle(&excelize.Style{NumFmt: 9})
	mustDo(t, err)
	custom := "0.0%"
	customStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &custom})
	mustDo(t, err)
	quoted := `0.00" %"`
	quotedStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &quoted})
	mustDo(t, err)

	for i, c := range []struct {
		ref   string
		value float64
		style int
	}{{"P-1", 0.5, builtin}, {"P-2", 0.125, customStyle}, {"P-3", 12.5, quotedStyle}, {"P-4", 7.25, 0}} {
		row := i + 2
		cells := []any{c.ref, c.value, "EUR", fmt.Sprintf("ben_01HZX3K9Q2M4N5P600000%d", i),
			fmt.Sprintf("ins_01HZX3K9Q2M4N5P600000%d", i), "sepa"}
		name, _ := excelize.CoordinatesToCellName(1, row)
		mustDo(t, f.SetSheetRow("Sheet1", name, &cells))
		if c.style != 0 {
			amount, _ := excelize.CoordinatesToCellName(2, row)
			mustDo(t, f.SetCellStyle("Sheet1", amount, amount, c.style))
		}
	}
	path := filepath.Join(t.TempDir(), "percent.xlsx")
	mustDo(t, f.SaveAs(path))

	report, err := ValidateFile(path, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	percent := map[int]Problem{}
	for _, p := range report.Problems {
		if p.Code == CodeAmountPercentCell {
			percent[p.Row] = p
		}
	}
	if len(percent) != 2 || percent[2].Row != 2 || percent[3].Row != 3 {
		t.Fatalf("amount_percent_cell on rows %v, want rows 2 and 3; problems %+v", percent, report.Problems)
	}
	if msg := percent[2].Message; !strings.Contains(msg, "0.5 shows as 50%") {
		t.Errorf("message %q does not say how the cell shows", msg)
	}
	if report.Rows.Valid != 2 || report.Totals["EUR"] != "19.75" {
		t.Errorf("valid %d, totals %v; want 2 valid rows totalling EUR 19.75", report.Rows.Valid, report.Totals)
	}
}

// TestCellsOutsideHeaderOneWarning gives a row with several notes right of
// the header one warning that counts them.
func TestCellsOutsideHeaderOneWarning(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	mustDo(t, f.SetSheetRow("Sheet1", "A1", &[]any{"reference", "amount", "currency", "beneficiary_id", "instrument_id", "method"}))
	mustDo(t, f.SetSheetRow("Sheet1", "A2", &[]any{"N-1", "10.00", "EUR", "ben_01HZX3K9Q2M4N5P6000000",
		"ins_01HZX3K9Q2M4N5P6000000", "sepa", "note", "", "another", "third"}))
	path := filepath.Join(t.TempDir(), "notes.xlsx")
	mustDo(t, f.SaveAs(path))

	report, err := ValidateFile(path, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var warnings []Problem
	for _, p := range report.Problems {
		if p.Code == CodeCellOutsideHeader {
			warnings = append(warnings, p)
		}
	}
	if len(warnings) != 1 {
		t.Fatalf("%d cell_outside_header warnings, want 1: %+v", len(warnings), warnings)
	}
	if !strings.Contains(warnings[0].Message, "G2 and 2 more cells") {
		t.Errorf("message %q does not name G2 and count the other two", warnings[0].Message)
	}
	if report.Rows.Valid != 1 {
		t.Errorf("%d valid rows, want 1", report.Rows.Valid)
	}
}

// TestLongAmountText rejects an amount of thousands of digits at once.
func TestLongAmountText(t *testing.T) {
	_, _, f := parseAmount(strings.Repeat("9", 5000)+".00", numberFormat{decimal: '.'})
	if f == nil || f.code != CodeAmountTooManyDigits {
		t.Fatalf("finding %+v, want %s", f, CodeAmountTooManyDigits)
	}
	if _, _, f := parseAmount("1 234 567 890,12", numberFormat{decimal: ',', grouping: []rune{' '}}); f != nil {
		t.Errorf("a grouped amount within the bound: %+v", f)
	}
}

// TestBatchOfWideRowsEndsEarly ends a batch once it holds batchCells cells.
func TestBatchOfWideRowsEndsEarly(t *testing.T) {
	row := strings.Repeat("x,", 999) + "x\n"
	path := filepath.Join(t.TempDir(), "wide.csv")
	mustDo(t, os.WriteFile(path, []byte(strings.Repeat(row, 200)), 0o600))
	src, err := openCSV(path, ',', false, "", nil)
	mustDo(t, err)
	defer src.close()

	b := &rowBatch{}
	b.fill(src, false)
	if want := (batchCells + 999) / 1000; len(b.rows) != want {
		t.Errorf("batch of %d rows of 1,000 cells, want %d", len(b.rows), want)
	}
}
