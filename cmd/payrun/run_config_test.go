package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payrun/payrun/submit/sandbox"
)

// Invalid flag values are usage errors that name the value, before any file
// is recorded or any request is sent.
func TestFlags_InvalidValuesAreUsageErrors(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "p.csv"), beneficiaryRow("F-1", "10.00", "EUR", "", "", "DE89370400440532013000", ""))

	cases := []struct {
		args []string
		// value is the text the error must name.
		value string
	}{
		{[]string{"run", "--expect-total", "EUR=abc", "p.csv"}, `"EUR=abc"`},
		{[]string{"run", "--expect-total", "EUR=-5.00", "p.csv"}, `"EUR=-5.00"`},
		{[]string{"run", "--expect-total", "XYZ=5.00", "p.csv"}, `"XYZ=5.00"`},
		{[]string{"run", "--expect-total", "EUR=5.001", "p.csv"}, `"EUR=5.001"`},
		{[]string{"run", "--expect-rows", "-5", "p.csv"}, "--expect-rows -5"},
		{[]string{"run", "--expect-rows", "-1", "p.csv"}, "--expect-rows -1"},
		{[]string{"run", "--min-balance", "EUR=abc", "p.csv"}, `"EUR=abc"`},
		{[]string{"run", "--min-balance", "EUR=-1", "p.csv"}, `"EUR=-1"`},
		{[]string{"run", "--rate", "-1", "p.csv"}, "--rate -1"},
		{[]string{"run", "--retry-budget", "-1", "p.csv"}, "--retry-budget -1"},
		{[]string{"run", "--concurrency", "0", "p.csv"}, "--concurrency 0"},
		{[]string{"run", "--settle", "-5m", "p.csv"}, "--settle -5m0s"},
		{[]string{"run", "--adopt-window", "-1h", "p.csv"}, "--adopt-window -1h0m0s"},
		{[]string{"run", "--fee-buffer", "-2%", "p.csv"}, `"-2%"`},
		{[]string{"retry", "--rate", "-1"}, "--rate -1"},
		{[]string{"retry", "--retry-budget", "-1"}, "--retry-budget -1"},
		{[]string{"retry", "--concurrency", "-3"}, "--concurrency -3"},
		{[]string{"retry", "--fee-buffer", "abc"}, `"abc"`},
		{[]string{"release", "ffffffffffff", "--rate", "-1"}, "--rate -1"},
		{[]string{"release", "ffffffffffff", "--retry-budget", "-1"}, "--retry-budget -1"},
		{[]string{"release", "ffffffffffff", "--concurrency", "0"}, "--concurrency 0"},
		{[]string{"sync", "--rate", "-1"}, "--rate -1"},
		{[]string{"sync", "--retry-budget", "-1"}, "--retry-budget -1"},
		{[]string{"sync", "--concurrency", "0"}, "--concurrency 0"},
	}
	for _, c := range cases {
		code, _, _, message := runPayrunErr(t, context.Background(), dir, c.args...)
		if code != exitUsage {
			t.Errorf("%v: exit=%d, want 2 (%s)", c.args, code, message)
		}
		if !strings.Contains(message, c.value) {
			t.Errorf("%v: error %q does not name %s", c.args, message, c.value)
		}
	}
	if st := srv.Stats(); st.PayoutsCreated != 0 {
		t.Errorf("runs with invalid flags created %d payouts", st.PayoutsCreated)
	}
}

// A valid --expect-total that the file does not match holds the file (exit
// 4), which the usage errors above must not be confused with.
func TestFlags_ExpectTotalMismatchHolds(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "p.csv"), beneficiaryRow("F-1", "10.00", "EUR", "", "", "DE89370400440532013000", ""))

	code, stdout, _ := runPayrun(t, dir, "run", "--expect-total", "eur=11.00", "--expect-rows", "1", "p.csv")
	if code != exitStopped || !strings.Contains(stdout, "control totals do not match") {
		t.Fatalf("mismatching --expect-total: exit=%d, want 4 and a control hold\n%s", code, stdout)
	}
	if n := srv.Stats().PayoutsCreated; n != 0 {
		t.Errorf("a held file created %d payouts", n)
	}
}

// The help of --expect-rows describes what the check counts: valid rows.
func TestRunHelp_ExpectRowsCountsValidRows(t *testing.T) {
	code, stdout, _ := runPayrun(t, t.TempDir(), "run", "--help")
	if code != exitOK {
		t.Fatalf("run --help: exit=%d", code)
	}
	var line string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.Contains(l, "--expect-rows") {
			line = l
		}
	}
	if !strings.Contains(line, "exactly this many of its rows are valid") {
		t.Errorf("--expect-rows help does not say it counts valid rows: %q", line)
	}
	if strings.Contains(line, "data rows") || strings.Contains(line, "default -1") {
		t.Errorf("--expect-rows help still describes data rows or a -1 default: %q", line)
	}
}

// The count of --expect-rows leaves invalid rows out, as its help says.
func TestFlags_ExpectRowsSkipsInvalidRows(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "p.csv"),
		beneficiaryRow("V-1", "10.00", "EUR", "", "", "DE89370400440532013000", ""),
		beneficiaryRow("V-2", "abc", "EUR", "", "", "DE89370400440532013000", ""))

	code, stdout, _ := runPayrun(t, dir, "run", "--max-invalid", "1", "--expect-rows", "1", "p.csv")
	if code != exitRowProblems {
		t.Fatalf("--expect-rows 1 with 1 valid and 1 invalid row: exit=%d, want 1\n%s", code, stdout)
	}
	if n := srv.Stats().PayoutsCreated; n != 1 {
		t.Errorf("payouts=%d, want 1", n)
	}
}
