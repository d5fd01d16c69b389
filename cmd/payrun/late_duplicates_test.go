package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/payrun/payrun/submit/sandbox"
)

// runStatus returns payrun status --json of the ledger in dir.
func runStatus(t *testing.T, dir string) []fileStatus {
	t.Helper()
	code, stdout, stderr := runPayrun(t, dir, "status", "--json")
	if code != exitOK {
		t.Fatalf("status exit=%d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var status struct {
		Files []fileStatus `json:"files"`
	}
	if err := json.Unmarshal([]byte(stdout), &status); err != nil {
		t.Fatalf("status --json: %v\n%s", err, stdout)
	}
	return status.Files
}

func TestValidate_LateDuplicateBothRowsInvalid(t *testing.T) {
	errorsOut := filepath.Join(t.TempDir(), "fix-me.csv")
	code, out := runValidateCLI(t, "validate", "--json", "--errors-out", errorsOut, "testdata/late_duplicate.csv")
	if code != exitRowProblems {
		t.Errorf("exit %d, want 1", code)
	}
	var doc struct {
		Files []struct {
			Totals   map[string]string `json:"totals"`
			Problems []struct {
				Row  int    `json:"row"`
				Code string `json:"code"`
			} `json:"problems"`
		} `json:"files"`
		Rows struct{ Total, Valid, Invalid int } `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if doc.Rows.Total != 4 || doc.Rows.Valid != 2 || doc.Rows.Invalid != 2 {
		t.Errorf("rows %+v, want 4 total, 2 valid, 2 invalid", doc.Rows)
	}
	if diff := cmp.Diff(map[string]string{"EUR": "250.50", "USD": "75.00"}, doc.Files[0].Totals); diff != "" {
		t.Errorf("totals without either LATE-1 row (-want +got):\n%s", diff)
	}
	var rows []int
	for _, p := range doc.Files[0].Problems {
		if p.Code == "duplicate_reference" {
			rows = append(rows, p.Row)
		}
	}
	if !slices.Equal(rows, []int{2, 5}) {
		t.Errorf("duplicate_reference on rows %v, want [2 5]", rows)
	}

	file, err := os.Open(errorsOut)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	records, err := csv.NewReader(file).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, rec := range records[1:] {
		refs = append(refs, rec[0]+" "+rec[2])
	}
	if !slices.Equal(refs, []string{"LATE-1 GBP", "LATE-1 EUR"}) {
		t.Errorf("errors file rows %v, want the later LATE-1 row, then the earlier one", refs)
	}
}

func TestRun_LateDuplicateNeverPaid(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	src, _ := filepath.Abs("testdata/late_duplicate.csv")
	copyFile(t, src, filepath.Join(dir, "payouts.csv"))

	code, stdout, stderr := runPayrun(t, dir, "run", "--max-invalid", "50%", "payouts.csv")
	if code != exitRowProblems {
		t.Fatalf("exit=%d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitRowProblems, stdout, stderr)
	}
	stats := srv.Stats()
	if stats.PayoutsCreated != 2 {
		t.Errorf("payouts_created=%d, want 2 (LATE-2 and LATE-3)", stats.PayoutsCreated)
	}
	if _, paid := stats.PayoutsByReference["LATE-1"]; paid {
		t.Errorf("LATE-1 was paid, but two rows of the file use it")
	}

	files := runStatus(t, dir)
	if len(files) != 1 || files[0].States["invalid"] != 2 || files[0].States["submitted"] != 2 {
		t.Errorf("status %+v, want 2 invalid and 2 submitted", files)
	}
	if len(files) == 1 && !cmp.Equal(files[0].Totals, map[string]string{"EUR": "250.50", "USD": "75.00"}) {
		t.Errorf("file totals %v, want EUR 250.50 and USD 75.00", files[0].Totals)
	}
}

func TestRun_LateDuplicateInEarlierBatch(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	src, _ := filepath.Abs("testdata/late_duplicate_long.csv")
	copyFile(t, src, filepath.Join(dir, "payouts.csv"))

	// Row 522 repeats the reference of row 2, which an earlier ledger batch
	// recorded as pending. --max-invalid 0 holds the file, so nothing is sent
	// and the states show what ingest recorded.
	code, stdout, stderr := runPayrun(t, dir, "run", "--max-invalid", "0", "payouts.csv")
	if code != exitStopped {
		t.Fatalf("exit=%d, want %d (held)\nstdout:\n%s\nstderr:\n%s", code, exitStopped, stdout, stderr)
	}
	if n := srv.Stats().PayoutsCreated; n != 0 {
		t.Errorf("a held file created %d payouts", n)
	}
	files := runStatus(t, dir)
	if len(files) != 1 || files[0].States["invalid"] != 2 || files[0].States["held"] != 528 {
		t.Errorf("status %+v, want 2 invalid and 528 held", files)
	}
}

func TestRun_DamageBelowRecordedRowsRejectsFile(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	src, _ := filepath.Abs("testdata/damaged_late.csv")
	copyFile(t, src, filepath.Join(dir, "payouts.csv"))

	// The bare quote on row 512 comes after a full ledger batch of rows.
	code, stdout, stderr := runPayrun(t, dir, "run", "payouts.csv")
	if code == exitOK {
		t.Errorf("exit=0 for a damaged file\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	if n := srv.Stats().PayoutsCreated; n != 0 {
		t.Errorf("a damaged file created %d payouts", n)
	}
	files := runStatus(t, dir)
	if len(files) != 1 || files[0].Status != "rejected" || files[0].States["invalid"] != 510 || files[0].States["pending"] != 0 {
		t.Errorf("status %+v, want the file rejected and its 510 rows invalid", files)
	}
}
