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

// WriteXLSX writes a workbook with a Summary sheet and a Rows sheet, with a
// reconciliation that has no file record to check against (see
// WriteXLSXReport).
func WriteXLSX(w io.Writer, fileID string, rows []*state.ReportRow, now time.Time) error {
	return WriteXLSXReport(w, fileID, rows, Reconcile(rows, nil, ReportOptions{Now: now}), now)
}

// WriteXLSXReport writes a workbook with a Summary sheet (the reconciliation:
// totals per currency and category, control checks and discrepancies) and a
// Rows sheet. Amounts are numeric cells with the currency's decimals, text
// stays text (a cell that starts with "=" is a string, never a formula), and
// the Rows header is frozen and filtered.
func WriteXLSXReport(w io.Writer, fileID string, rows []*state.ReportRow, rec Reconciliation, now time.Time) error {
	f := excelize.NewFile()
	defer f.Close()

	x, err := newSheetWriter(f)
	if err != nil {
		return err
	}
	if err := x.writeSummary(fileID, rows, rec, now); err != nil {
		return fmt.Errorf("write summary sheet: %w", err)
	}
	if err := x.writeRows(rows); err != nil {
		return fmt.Errorf("write rows sheet: %w", err)
	}
	_, err = f.WriteTo(w)
	return err
}

// sheetWriter is a workbook being written, with the styles it created.
type sheetWriter struct {
	f *excelize.File
	// amountStyles maps a number of decimals to its style.
	amountStyles map[int]int
	bold         int
}

func newSheetWriter(f *excelize.File) (*sheetWriter, error) {
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	return &sheetWriter{f: f, amountStyles: map[int]int{}, bold: bold}, nil
}

// summarySheet is the name of the first sheet.
const summarySheet = "Summary"

// discrepancyColumns is the header of the discrepancy table.
var discrepancyColumns = []string{"kind", "file_id", "row", "reference", "state", "anton_status",
	"payout_id", "amount", "currency", "since", "detail"}

func (x *sheetWriter) writeSummary(fileID string, rows []*state.ReportRow, rec Reconciliation, now time.Time) error {
	if err := x.f.SetSheetName("Sheet1", summarySheet); err != nil {
		return err
	}
	fileName := ""
	if len(rows) > 0 {
		fileName = rows[0].FileName
	}
	checks := "passed"
	if !rec.Passed {
		checks = "FAILED"
	}
	overview := [][2]any{
		{"File", fileID}, {"File name", fileName}, {"Generated at", now.UTC().Format(time.RFC3339)},
		{"Rows", rec.Rows}, {"Valid rows", rec.ValidRows}, {"Invalid rows", rec.InvalidRows},
		{"Control checks", checks}, {"Discrepancies", len(rec.Discrepancies)},
	}
	line := 1
	for _, kv := range overview {
		if err := x.setCells(summarySheet, line, kv[0], kv[1]); err != nil {
			return err
		}
		line++
	}

	line, err := x.writeCurrencyTable(line+1, rec)
	if err != nil {
		return err
	}
	if line, err = x.writeCheckTable(line+1, rec); err != nil {
		return err
	}
	if err := x.writeDiscrepancyTable(line+1, rec); err != nil {
		return err
	}
	x.f.SetColWidth(summarySheet, "A", "A", 20)
	x.f.SetColWidth(summarySheet, "B", "C", 36)
	x.f.SetColWidth(summarySheet, "D", "J", 18)
	return x.f.SetColWidth(summarySheet, "K", "K", 60)
}

// writeCurrencyTable writes one line per currency and category from line on
// and returns the next free line. Categories without rows are left out,
// except requested.
func (x *sheetWriter) writeCurrencyTable(line int, rec Reconciliation) (int, error) {
	if err := x.setHeader(summarySheet, line, "currency", "category", "rows", "amount"); err != nil {
		return 0, err
	}
	line++
	for _, cs := range rec.Currencies {
		for _, nb := range cs.Buckets() {
			if nb.Bucket.Rows == 0 && nb.Name != "requested" {
				continue
			}
			if err := x.setCells(summarySheet, line, cs.Currency, nb.Name, nb.Bucket.Rows); err != nil {
				return 0, err
			}
			if err := x.setAmount(summarySheet, cell(4, line), nb.Bucket.Amount, cs.Currency); err != nil {
				return 0, err
			}
			line++
		}
	}
	return line, nil
}

func (x *sheetWriter) writeCheckTable(line int, rec Reconciliation) (int, error) {
	if err := x.setHeader(summarySheet, line, "check", "result", "detail"); err != nil {
		return 0, err
	}
	line++
	for _, c := range rec.Checks {
		result := "passed"
		if !c.Passed {
			result = "FAILED"
		}
		if err := x.setCells(summarySheet, line, c.Name, result, c.Detail); err != nil {
			return 0, err
		}
		line++
	}
	return line, nil
}

// writeDiscrepancyTable writes the discrepancies with an autofilter on their
// header.
func (x *sheetWriter) writeDiscrepancyTable(line int, rec Reconciliation) error {
	cols := make([]any, len(discrepancyColumns))
	for i, c := range discrepancyColumns {
		cols[i] = c
	}
	if err := x.setHeader(summarySheet, line, cols...); err != nil {
		return err
	}
	first := line
	for _, d := range rec.Discrepancies {
		line++
		if err := x.setCells(summarySheet, line, d.Kind, d.FileID, d.Row, d.Reference, d.State,
			d.AntonStatus, d.PayoutID); err != nil {
			return err
		}
		if err := x.setAmount(summarySheet, cell(8, line), d.Amount, d.Currency); err != nil {
			return err
		}
		if err := x.setTexts(summarySheet, line, 9, d.Currency, d.Since, d.Detail); err != nil {
			return err
		}
	}
	return x.f.AutoFilter(summarySheet, cell(1, first)+":"+cell(len(discrepancyColumns), line), nil)
}

// setHeader writes a bold header line.
func (x *sheetWriter) setHeader(sheet string, line int, names ...any) error {
	if err := x.setCells(sheet, line, names...); err != nil {
		return err
	}
	return x.f.SetCellStyle(sheet, cell(1, line), cell(len(names), line), x.bold)
}

// setCells writes values from column A on: strings as text cells, ints as
// numbers.
func (x *sheetWriter) setCells(sheet string, line int, values ...any) error {
	for i, v := range values {
		var err error
		switch v := v.(type) {
		case string:
			err = x.f.SetCellStr(sheet, cell(i+1, line), v)
		case int:
			err = x.f.SetCellInt(sheet, cell(i+1, line), int64(v))
		default:
			err = fmt.Errorf("unsupported cell value %T", v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// setTexts writes text cells from column col on.
func (x *sheetWriter) setTexts(sheet string, line, col int, values ...string) error {
	for i, v := range values {
		if err := x.f.SetCellStr(sheet, cell(col+i, line), v); err != nil {
			return err
		}
	}
	return nil
}

// setAmount writes a decimal string as a number with the currency's
// decimals. A value that is not a decimal is written as text, and an empty
// one leaves the cell empty.
func (x *sheetWriter) setAmount(sheet, ref, amount, currency string) error {
	if amount == "" {
		return nil
	}
	d, err := decimal.NewFromString(amount)
	if err != nil {
		return x.f.SetCellStr(sheet, ref, amount)
	}
	if err := x.f.SetCellDefault(sheet, ref, d.String()); err != nil {
		return err
	}
	style, err := x.amountStyle(currency)
	if err != nil {
		return err
	}
	return x.f.SetCellStyle(sheet, ref, ref, style)
}

// cell returns the reference of a 1-based column and line, such as "B7".
func cell(col, line int) string {
	ref, _ := excelize.CoordinatesToCellName(col, line)
	return ref
}

func (x *sheetWriter) writeRows(rows []*state.ReportRow) error {
	const sheet = "Rows"
	if _, err := x.f.NewSheet(sheet); err != nil {
		return err
	}
	header := make([]any, len(lineColumns))
	for i, c := range lineColumns {
		header[i] = c
	}
	if err := x.setHeader(sheet, 1, header...); err != nil {
		return err
	}
	for i, r := range rows {
		line := NewLine(r)
		for j, v := range line.values() {
			if v == "" {
				continue
			}
			if err := x.setTypedCell(sheet, cell(j+1, i+2), v, lineColumns[j], line); err != nil {
				return err
			}
		}
	}
	err := x.f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	if err != nil {
		return err
	}
	if err := x.f.AutoFilter(sheet, "A1:"+cell(len(lineColumns), len(rows)+1), nil); err != nil {
		return err
	}
	for i, c := range lineColumns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		x.f.SetColWidth(sheet, col, col, float64(max(10, min(40, len(c)+4))))
	}
	return nil
}

// setTypedCell writes text as a string cell, which a spreadsheet never runs as
// a formula, and numbers as numeric cells. Amounts are written from their
// decimal string, so no binary float is involved, with a number format that
// shows the decimals of their currency.
func (x *sheetWriter) setTypedCell(sheet, ref, v, column string, line Line) error {
	if !numericColumn[column] || !isDecimal(v) {
		return x.f.SetCellStr(sheet, ref, v)
	}
	currency := line.Currency
	switch column {
	case "row", "line":
		return x.f.SetCellDefault(sheet, ref, v)
	case "fee":
		currency = firstNonEmpty(line.FeeCurrency, line.SourceCurrency)
	case "source_amount", "total_debited":
		currency = line.SourceCurrency
	}
	return x.setAmount(sheet, ref, v, currency)
}

// amountStyle returns a style whose number format has the currency's
// decimals, two for a code that is not ISO 4217.
func (x *sheetWriter) amountStyle(currency string) (int, error) {
	scale, ok := payrun.CurrencyScale(currency)
	if !ok {
		scale = 2
	}
	if style, ok := x.amountStyles[scale]; ok {
		return style, nil
	}
	format := "#,##0"
	if scale > 0 {
		format = "#,##0." + strings.Repeat("0", scale)
	}
	style, err := x.f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return 0, err
	}
	x.amountStyles[scale] = style
	return style, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
