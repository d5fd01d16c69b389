package ingest

import (
	"fmt"
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
