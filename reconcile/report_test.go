package reconcile

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
)

const hyperlinkName = `=HYPERLINK("http://example.com","x")`

var reportNow = time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)

// reportLedger records one file with a row in each reconciliation category.
// Its recorded EUR total is 75.25, the sum of its valid EUR rows.
func reportLedger(t *testing.T) (*state.Ledger, *state.File) {
	t.Helper()
	ctx := context.Background()
	led := openLedger(t)
	addFile(t, led, "aaaaaaaaaaaa", `{"EUR":"75.25","JPY":"1200"}`, 8, 1)

	submitted := func(row int, ref string, minor int64, cur, name, status, updated string) {
		r := addRow(t, led, "aaaaaaaaaaaa", row, ref, minor, cur, name)
		submitRow(t, led, r, &submit.Payout{ID: "pay_" + ref, Reference: ref, Status: "pending_screening",
			CreatedAt: updated, UpdatedAt: updated})
		if status != "pending_screening" {
			_, err := led.UpdatePayoutStatus(ctx, state.StatusUpdate{PayoutID: "pay_" + ref, Status: status,
				Fee: "0.35", FeeCurrency: cur, FailureMessage: "test " + status, AntonUpdatedAt: updated, Source: "sync"})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	submitted(2, "R-DONE", 1250, "EUR", hyperlinkName, "completed", "2026-05-09T10:00:00Z")
	submitted(3, "R-FAIL", 1000, "EUR", "Jan Novak", "failed", "2026-05-09T10:00:00Z")
	submitted(4, "R-BACK", 500, "EUR", "Ana Ruiz", "returned", "2026-05-09T10:00:00Z")
	submitted(5, "R-STUCK", 2000, "EUR", "Li Wei", "processing", "2026-05-01T10:00:00Z")
	submitted(6, "R-YEN", 1200, "JPY", "Sato Ken", "sent", "2026-05-10T11:00:00Z")

	rejected := addRow(t, led, "aaaaaaaaaaaa", 7, "R-REJ", 775, "EUR", "Ola Berg")
	if err := led.SetRowState(ctx, rejected.ID, state.Rejected, "corridor_not_enabled", "corridor EUR to XX not enabled"); err != nil {
		t.Fatal(err)
	}
	retry := addRow(t, led, "aaaaaaaaaaaa", 8, "R-RETRY", 1500, "EUR", "Eva Lund")
	if err := led.SetRowState(ctx, retry.ID, state.Retryable, "timeout", "no answer after 5 attempts"); err != nil {
		t.Fatal(err)
	}
	addRow(t, led, "aaaaaaaaaaaa", 9, "R-WAIT", 500, "EUR", "Tom Hale")
	addRow(t, led, "aaaaaaaaaaaa", 10, "R-BAD", 0, "", "")

	f, err := led.File(ctx, "aaaaaaaaaaaa")
	if err != nil {
		t.Fatal(err)
	}
	return led, f
}

func reportRows(t *testing.T, led *state.Ledger) []*state.ReportRow {
	t.Helper()
	rows, err := led.ReportRows(context.Background(), state.ReportFilter{FileID: "aaaaaaaaaaaa"})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestReconcile_SummaryChecksDiscrepancies(t *testing.T) {
	led, f := reportLedger(t)
	rec := Reconcile(reportRows(t, led), f, ReportOptions{Now: reportNow})

	if rec.Rows != 9 || rec.ValidRows != 8 || rec.InvalidRows != 1 {
		t.Errorf("rows %d valid %d invalid %d, want 9, 8, 1", rec.Rows, rec.ValidRows, rec.InvalidRows)
	}
	if len(rec.Currencies) != 2 || rec.Currencies[0].Currency != "EUR" || rec.Currencies[1].Currency != "JPY" {
		t.Fatalf("currencies %+v, want EUR then JPY", rec.Currencies)
	}
	eur := rec.Currencies[0]
	want := map[string]Bucket{
		"requested": {7, "75.25"}, "submitted": {4, "47.50"}, "completed": {1, "12.50"},
		"failed": {1, "10.00"}, "returned": {1, "5.00"}, "in_flight": {1, "20.00"},
		"rejected": {1, "7.75"}, "skipped": {0, "0.00"}, "pending": {2, "20.00"}, "unclassified": {0, "0.00"},
	}
	for _, nb := range eur.Buckets() {
		if nb.Bucket != want[nb.Name] {
			t.Errorf("EUR %s = %+v, want %+v", nb.Name, nb.Bucket, want[nb.Name])
		}
	}
	if jpy := rec.Currencies[1]; jpy.InFlight != (Bucket{1, "1200"}) {
		t.Errorf("JPY in_flight = %+v, want 1 row of 1200", jpy.InFlight)
	}

	for _, c := range rec.Checks {
		if !c.Passed {
			t.Errorf("check %s failed: %s", c.Name, c.Detail)
		}
	}
	if !rec.Passed {
		t.Error("reconciliation not passed, want passed")
	}

	kinds := map[string]string{}
	for _, d := range rec.Discrepancies {
		kinds[d.Reference] = d.Kind
	}
	wantKinds := map[string]string{"R-FAIL": "payout_failed", "R-BACK": "payout_returned",
		"R-STUCK": "stale_status", "R-REJ": "rejected", "R-RETRY": "retryable", "R-BAD": "invalid"}
	if len(kinds) != len(wantKinds) {
		t.Errorf("discrepancies %v, want %v", kinds, wantKinds)
	}
	for ref, kind := range wantKinds {
		if kinds[ref] != kind {
			t.Errorf("discrepancy of %s = %q, want %q", ref, kinds[ref], kind)
		}
	}
}

func TestReconcile_StaleAfterOption(t *testing.T) {
	led, f := reportLedger(t)
	rec := Reconcile(reportRows(t, led), f, ReportOptions{Now: reportNow, StaleAfter: 30 * time.Minute})
	stale := 0
	for _, d := range rec.Discrepancies {
		if d.Kind == "stale_status" {
			stale++
		}
	}
	// R-STUCK (9 days) and R-YEN (1 hour) are both older than 30 minutes.
	if stale != 2 {
		t.Errorf("%d stale discrepancies, want 2", stale)
	}
}

func TestReconcile_FileTotalsMismatch(t *testing.T) {
	led, f := reportLedger(t)
	f.Totals = `{"EUR":"80.00","JPY":"1200"}`
	f.ValidRows = 9
	rec := Reconcile(reportRows(t, led), f, ReportOptions{Now: reportNow})
	failed := map[string]bool{}
	for _, c := range rec.Checks {
		if !c.Passed {
			failed[c.Name] = true
		}
	}
	if !failed[CheckFileTotals] || !failed[CheckFileRows] {
		t.Errorf("failed checks %v, want %s and %s", failed, CheckFileTotals, CheckFileRows)
	}
	if rec.Passed {
		t.Error("reconciliation passed, want failed")
	}
}

func TestReconcile_SubmittedWithoutPayoutID(t *testing.T) {
	rows := []*state.ReportRow{{Row: state.Row{FileID: "f", RowNum: 2, Reference: "R", State: state.Submitted,
		AmountMinor: 100, Currency: "EUR"}}}
	rec := Reconcile(rows, nil, ReportOptions{Now: reportNow})
	var ids Check
	for _, c := range rec.Checks {
		if c.Name == CheckPayoutIDs {
			ids = c
		}
	}
	if ids.Passed {
		t.Errorf("check %s passed, want failed", CheckPayoutIDs)
	}
	if len(rec.Discrepancies) != 1 || rec.Discrepancies[0].Kind != "missing_payout_id" {
		t.Errorf("discrepancies %+v, want one missing_payout_id", rec.Discrepancies)
	}
}

func TestWriteXLSXReport_TypedCellsNoFormulas(t *testing.T) {
	led, f := reportLedger(t)
	rows := reportRows(t, led)
	var buf bytes.Buffer
	if err := WriteXLSXReport(&buf, "aaaaaaaaaaaa", rows, Reconcile(rows, f, ReportOptions{Now: reportNow}), reportNow); err != nil {
		t.Fatal(err)
	}
	assertNoFormulaElements(t, buf.Bytes())

	x, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if sheets := x.GetSheetList(); len(sheets) != 2 || sheets[0] != "Summary" || sheets[1] != "Rows" {
		t.Fatalf("sheets %v, want Summary and Rows", sheets)
	}

	col := func(name string) int {
		for i, c := range lineColumns {
			if c == name {
				return i + 1
			}
		}
		t.Fatalf("no column %s", name)
		return 0
	}
	// Row 2 of the sheet is the first data row: R-DONE, 12.50 EUR.
	name := cell(col("beneficiary"), 2)
	if v, _ := x.GetCellValue("Rows", name); v != hyperlinkName {
		t.Errorf("beneficiary cell %q, want the name as text", v)
	}
	if formula, _ := x.GetCellFormula("Rows", name); formula != "" {
		t.Errorf("beneficiary cell has formula %q, want none", formula)
	}
	if typ, _ := x.GetCellType("Rows", name); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
		t.Errorf("beneficiary cell type %v, want a string type", typ)
	}

	assertAmountCell(t, x, "Rows", cell(col("amount"), 2), "12.5", "#,##0.00")
	assertAmountCell(t, x, "Rows", cell(col("fee"), 2), "0.35", "#,##0.00")
	assertAmountCell(t, x, "Rows", cell(col("amount"), 6), "1200", "#,##0")

	panes, err := x.GetPanes("Rows")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("Rows panes %+v (%v), want the header row frozen", panes, err)
	}

	requested := findCell(t, x, "Summary", "requested")
	assertAmountCell(t, x, "Summary", cell(4, requested), "75.25", "#,##0.00")
	if link := findCell(t, x, "Summary", "R-FAIL"); link == 0 {
		t.Error("Summary sheet does not list the R-FAIL discrepancy")
	}
}

// assertNoFormulaElements fails when any worksheet XML contains a formula
// element (<f> or <f ...>).
func assertNoFormulaElements(t *testing.T, workbook []byte) {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(workbook), int64(len(workbook)))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range z.File {
		if !strings.HasPrefix(file.Name, "xl/worksheets/") {
			continue
		}
		rc, err := file.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		if bytes.Contains(data, []byte("<f>")) || bytes.Contains(data, []byte("<f ")) {
			t.Errorf("%s contains a formula element", file.Name)
		}
	}
}

func assertAmountCell(t *testing.T, x *excelize.File, sheet, ref, want, format string) {
	t.Helper()
	typ, _ := x.GetCellType(sheet, ref)
	if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("%s!%s type %v, want a number", sheet, ref, typ)
	}
	raw, _ := x.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
	if raw != want {
		t.Errorf("%s!%s raw value %q, want %q", sheet, ref, raw, want)
	}
	styleID, _ := x.GetCellStyle(sheet, ref)
	style, err := x.GetStyle(styleID)
	if err != nil || style.CustomNumFmt == nil || *style.CustomNumFmt != format {
		t.Errorf("%s!%s number format %v (%v), want %q", sheet, ref, style.CustomNumFmt, err, format)
	}
}

// findCell returns the sheet line whose column B (or A) contains text, or 0.
func findCell(t *testing.T, x *excelize.File, sheet, text string) int {
	t.Helper()
	lines, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range lines {
		for _, v := range line {
			if v == text {
				return i + 1
			}
		}
	}
	return 0
}

func TestWriteCSV_NeutralisesFormulas(t *testing.T) {
	led, _ := reportLedger(t)
	rows := reportRows(t, led)
	rows[0].Fee = "=1+2"
	rows[0].ErrorMessage = "@SUM(A1)"
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := map[string]int{}
	for i, name := range records[0] {
		header[name] = i
	}
	first := records[1]
	checks := map[string]string{"beneficiary": "'" + hyperlinkName, "fee": "'=1+2",
		"error_message": "'@SUM(A1)", "amount": "12.50", "row": "2"}
	for column, want := range checks {
		if got := first[header[column]]; got != want {
			t.Errorf("CSV %s = %q, want %q", column, got, want)
		}
	}
}

func TestNeutraliseCell_LeadingCharacters(t *testing.T) {
	for _, v := range []string{"=A1", "+1", "-1", "@x", "\tx", "\rx"} {
		if got := NeutraliseCell(v); got != "'"+v {
			t.Errorf("NeutraliseCell(%q) = %q, want a leading quote", v, got)
		}
	}
	for _, v := range []string{"", "Jane", "12.50", "'quoted"} {
		if got := NeutraliseCell(v); got != v {
			t.Errorf("NeutraliseCell(%q) = %q, want it unchanged", v, got)
		}
	}
}

func TestWriteReportsWith_JSONAndFiles(t *testing.T) {
	led, f := reportLedger(t)
	dir := t.TempDir()
	opts := ReportOptions{Now: reportNow, Files: map[string]*state.File{f.ID: f}}
	written, err := WriteReportsWith(context.Background(), DirSink{Dir: dir}, "run1/", reportRows(t, led), Formats, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 3 {
		t.Fatalf("wrote %v, want three reports", written)
	}
	for _, path := range written {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", path, info.Mode().Perm())
		}
	}

	data, err := os.ReadFile(filepath.Join(dir, "run1", "aaaaaaaaaaaa.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc Document
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if !doc.Reconciliation.Passed {
		t.Errorf("JSON reconciliation not passed: %+v", doc.Reconciliation.Checks)
	}
	for _, c := range doc.Reconciliation.Checks {
		if strings.HasPrefix(c.Detail, "not checked") {
			t.Errorf("check %s not run although the file record was given", c.Name)
		}
	}
	if got := doc.Reconciliation.Currencies[0].Requested.Amount; got != "75.25" {
		t.Errorf("JSON EUR requested %s, want 75.25", got)
	}
	if len(doc.Reconciliation.Discrepancies) != 6 {
		t.Errorf("JSON has %d discrepancies, want 6", len(doc.Reconciliation.Discrepancies))
	}
}
