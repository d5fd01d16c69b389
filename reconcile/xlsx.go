package reconcile

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/state"
)

// WriteXLSX writes a workbook with a Summary sheet and a Rows sheet. Amounts
// are numeric cells with the currency's decimals, text stays text (a cell that
// starts with "=" is a string, never a formula), the header is frozen and
// filtered.
func WriteXLSX(w io.Writer, fileID string, rows []*state.ReportRow, now time.Time) error {
	f := excelize.NewFile()
	defer f.Close()

	if err := writeSummarySheet(f, fileID, rows, now); err != nil {
		return err
	}
	if err := writeRowsSheet(f, rows); err != nil {
		return err
	}
	_, err := f.WriteTo(w)
	return err
}

func writeSummarySheet(f *excelize.File, fileID string, rows []*state.ReportRow, now time.Time) error {
	const sheet = "Summary"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	summary := Summarise(rows)
	set := func(cell string, v any) error { return f.SetCellValue(sheet, cell, v) }
	if err := set("A1", "File"); err != nil {
		return err
	}
	f.SetCellStr(sheet, "B1", fileID)
	set("A2", "Generated at")
	set("B2", now.UTC().Format(time.RFC3339))
	set("A3", "Rows")
	set("B3", summary.Rows)

	header := []any{"currency", "state", "rows", "amount"}
	if err := f.SetSheetRow(sheet, "A5", &header); err != nil {
		return err
	}
	counts := countByCurrencyState(rows)
	line := 6
	for _, cur := range sortedKeys(summary.Totals) {
		for _, st := range sortedKeys(summary.Totals[cur]) {
			values := []any{cur, st, counts[cur+"/"+st]}
			if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", line), &values); err != nil {
				return err
			}
			amountCell := fmt.Sprintf("D%d", line)
			if err := f.SetCellDefault(sheet, amountCell, summary.Totals[cur][st]); err != nil {
				return err
			}
			if err := setAmountStyle(f, sheet, amountCell, cur); err != nil {
				return err
			}
			line++
		}
	}
	f.SetColWidth(sheet, "A", "A", 16)
	f.SetColWidth(sheet, "B", "D", 22)
	return nil
}

func countByCurrencyState(rows []*state.ReportRow) map[string]int {
	out := map[string]int{}
	for _, r := range rows {
		if r.Currency != "" && r.State != state.Invalid {
			out[r.Currency+"/"+string(r.State)]++
		}
	}
	return out
}

func writeRowsSheet(f *excelize.File, rows []*state.ReportRow) error {
	const sheet = "Rows"
	if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	for i, c := range lineColumns {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellStr(sheet, cell, c); err != nil {
			return err
		}
	}
	styles := map[int]int{}
	for i, r := range rows {
		line := NewLine(r)
		for j, v := range line.values() {
			if v == "" {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
			if err := setTypedCell(f, sheet, cell, v, lineColumns[j], line, styles); err != nil {
				return err
			}
		}
	}
	err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	if err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(lineColumns), len(rows)+1)
	if err := f.AutoFilter(sheet, "A1:"+last, nil); err != nil {
		return err
	}
	for i, c := range lineColumns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		f.SetColWidth(sheet, col, col, float64(max(10, min(40, len(c)+4))))
	}
	return nil
}

// setTypedCell writes text as a string cell, which a spreadsheet never runs as
// a formula, and numbers as numeric cells. Amounts are written from their
// decimal string, so no binary float is involved, with a number format that
// shows the decimals of their currency.
func setTypedCell(f *excelize.File, sheet, cell, v, column string, line Line, styles map[int]int) error {
	if !numericColumn[column] {
		return f.SetCellStr(sheet, cell, v)
	}
	if _, err := decimal.NewFromString(v); err != nil {
		return f.SetCellStr(sheet, cell, v)
	}
	if err := f.SetCellDefault(sheet, cell, v); err != nil {
		return err
	}
	currency := line.Currency
	switch column {
	case "row", "line":
		return nil
	case "fee":
		currency = firstNonEmpty(line.FeeCurrency, line.SourceCurrency)
	case "source_amount", "total_debited":
		currency = line.SourceCurrency
	}
	style, err := amountStyle(f, styles, currency)
	if err != nil {
		return err
	}
	return f.SetCellStyle(sheet, cell, cell, style)
}

// amountStyle returns a style whose number format has the currency's decimals.
func amountStyle(f *excelize.File, styles map[int]int, currency string) (int, error) {
	scale, ok := payrun.CurrencyScale(currency)
	if !ok {
		scale = 2
	}
	if style, ok := styles[scale]; ok {
		return style, nil
	}
	format := "0"
	if scale > 0 {
		format = "0." + strings.Repeat("0", scale)
	}
	style, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return 0, err
	}
	styles[scale] = style
	return style, nil
}

func setAmountStyle(f *excelize.File, sheet, cell, currency string) error {
	scale, ok := payrun.CurrencyScale(currency)
	if !ok {
		scale = 2
	}
	format := "0"
	if scale > 0 {
		format = "0." + strings.Repeat("0", scale)
	}
	style, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return err
	}
	return f.SetCellStyle(sheet, cell, cell, style)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
