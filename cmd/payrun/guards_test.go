package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit/sandbox"
)

const header = "reference,amount,currency,source_currency,method,external_ref,beneficiary_type,first_name,last_name,email,country,iban,bic,phone,date_of_birth,nationality,address_line1,city,postal_code\n"

func beneficiaryRow(ref, amount, currency, source, method, iban, bic string) string {
	return strings.Join([]string{ref, amount, currency, source, method, "ext-" + ref, "individual",
		"Mia", "Wolf", strings.ToLower(ref) + "@example.de", "DE", iban, bic, "+4915123456789", "1984-04-04", "DE",
		"Allee 9", "Berlin", "10115"}, ",") + "\n"
}

func writeCSV(t *testing.T, path string, rows ...string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(header+strings.Join(rows, "")), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestRelease_ApprovalNeedsAnotherPerson(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "p.csv"), beneficiaryRow("A-1", "10.00", "EUR", "", "", "DE89370400440532013000", ""))

	code, stdout, _ := runPayrun(t, dir, "run", "--require-approval", "p.csv")
	if code != exitStopped || !strings.Contains(stdout, "awaiting approval") {
		t.Fatalf("run --require-approval: exit=%d, want 4 with 'awaiting approval'\n%s", code, stdout)
	}
	if srv.Stats().PayoutsCreated != 0 {
		t.Fatal("a file awaiting approval was paid")
	}
	fileID := strings.Fields(strings.Split(stdout, "\n")[1])[0]

	code, _, _ = runPayrun(t, dir, "release", fileID)
	if code != exitUsage {
		t.Errorf("release without --approver: exit=%d, want 2", code)
	}
	code, _, _ = runPayrun(t, dir, "release", fileID, "--approver", currentUser())
	if code != exitUsage {
		t.Errorf("release approved by the ingesting user: exit=%d, want 2", code)
	}
	code, stdout, _ = runPayrun(t, dir, "release", fileID, "--approver", "Second Person")
	if code != exitOK {
		t.Fatalf("release by another approver: exit=%d\n%s", code, stdout)
	}
	if n := srv.Stats().PayoutsCreated; n != 1 {
		t.Errorf("payouts after release=%d, want 1", n)
	}
}

func TestRun_DryRunChangesNothing(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "p.csv"), beneficiaryRow("D-1", "10.00", "EUR", "", "", "DE89370400440532013000", ""))

	code, stdout, stderr := runPayrun(t, dir, "run", "--dry-run", "p.csv")
	if code != exitOK {
		t.Fatalf("dry run exit=%d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "would pay 1 rows: EUR 10.00") {
		t.Errorf("dry run does not print the plan:\n%s", stdout)
	}
	if st := srv.Stats(); st.PayoutsCreated+st.BeneficiariesCreated != 0 {
		t.Errorf("dry run created %d payouts and %d beneficiaries", st.PayoutsCreated, st.BeneficiariesCreated)
	}
	for _, name := range []string{"payrun.db", "payrun.db.key"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("dry run created %s", name)
		}
	}
}

func TestRun_BalanceHoldRecheckedEachRun(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{Balances: map[string]string{"EUR": "50.00", "USD": "1000.00", "GBP": "1000.00"}})
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "p.csv"),
		beneficiaryRow("B-1", "30.00", "EUR", "", "", "DE89370400440532013000", ""),
		beneficiaryRow("B-2", "30.00", "EUR", "", "", "DE89370400440532013000", ""))

	code, stdout, _ := runPayrun(t, dir, "run", "p.csv")
	if code != exitStopped || !strings.Contains(stdout, "available balance does not cover") {
		t.Fatalf("exit=%d, want 4 and a balance hold\n%s", code, stdout)
	}
	if srv.Stats().PayoutsCreated != 0 {
		t.Errorf("a file the balance cannot cover was partly paid")
	}
	counts := ledgerCounts(t, filepath.Join(dir, "payrun.db"))
	if counts[state.Held] != 2 {
		t.Errorf("held rows=%d, want 2", counts[state.Held])
	}
}

func TestRun_CrossCurrencyFixedDest(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "p.csv"),
		beneficiaryRow("X-1", "100.00", "EUR", "USD", "", "DE89370400440532013000", ""),
		beneficiaryRow("X-2", "55.50", "EUR", "GBP", "", "DE89370400440532013000", ""))

	code, stdout, stderr := runPayrun(t, dir, "run", "p.csv")
	if code != exitOK {
		t.Fatalf("exit=%d\n%s\n%s", code, stdout, stderr)
	}
	st := srv.Stats()
	if got := st.PayoutsByReference["X-1"]; got.Amount != "100.00" || got.Currency != "EUR" {
		t.Errorf("X-1 paid %+v, want exactly 100.00 EUR to the beneficiary", got)
	}
	if st.Requests.ByStatus["429"] != 0 {
		t.Errorf("FX rate requests hit the rate limit")
	}
}

func TestRetry_ReferenceResendsRejectedRow(t *testing.T) {
	// The sandbox has a THB balance but serves no THB corridor.
	srv := startSandbox(t, sandbox.Options{Balances: map[string]string{"THB": "100000.00", "EUR": "1000.00"}})
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "p.csv"),
		beneficiaryRow("R-1", "20.00", "THB", "", "swift", "DE89370400440532013000", "DEUTDEFF"))

	code, stdout, stderr := runPayrun(t, dir, "run", "p.csv")
	if code != exitRowProblems {
		t.Fatalf("run with an unserved corridor: exit=%d, want 1\n%s\n%s", code, stdout, stderr)
	}
	counts := ledgerCounts(t, filepath.Join(dir, "payrun.db"))
	if counts[state.Rejected] != 1 {
		t.Fatalf("rows rejected=%d, want 1: %v", counts[state.Rejected], counts)
	}
	code, stdout, _ = runPayrun(t, dir, "retry", "--reference", "R-1")
	if !strings.Contains(stdout, "is sent again (key attempt 1)") {
		t.Errorf("retry --reference did not reopen the rejected row (exit %d):\n%s", code, stdout)
	}
	if srv.Stats().PayoutsCreated != 0 {
		t.Errorf("a corridor the sandbox does not serve was paid")
	}
}

// New bank details for a known external_ref hold the row instead of paying
// the new account silently; retry --allow-bank-change pays it.
func TestRun_BankChangeOfKnownPayee(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	row := func(ref, iban string) string {
		return strings.Join([]string{ref, "10.00", "EUR", "", "", "ext-payee", "individual", "Mia", "Wolf",
			"mia@example.de", "DE", iban, "", "+4915123456789", "1984-04-04", "DE", "Allee 9", "Berlin", "10115"}, ",") + "\n"
	}
	writeCSV(t, filepath.Join(dir, "june.csv"), row("J-1", "DE89370400440532013000"))
	writeCSV(t, filepath.Join(dir, "july.csv"), row("J-2", "DE02120300000000202051"))

	if code, stdout, _ := runPayrun(t, dir, "run", "june.csv"); code != exitOK {
		t.Fatalf("june: exit=%d\n%s", code, stdout)
	}
	code, stdout, _ := runPayrun(t, dir, "run", "july.csv")
	if code != exitStopped || !strings.Contains(stdout, "known with other bank details") {
		t.Fatalf("july with new bank details: exit=%d, want 4 and a bank-change hold\n%s", code, stdout)
	}
	if n := srv.Stats().PayoutsCreated; n != 1 {
		t.Errorf("payouts=%d after the bank change, want 1", n)
	}
	if n := srv.Stats().InstrumentsCreated; n != 1 {
		t.Errorf("instruments=%d after the bank change, want 1", n)
	}

	code, stdout, _ = runPayrun(t, dir, "retry", "--allow-bank-change")
	if code != exitOK {
		t.Fatalf("retry --allow-bank-change: exit=%d\n%s", code, stdout)
	}
	if st := srv.Stats(); st.PayoutsCreated != 2 || st.InstrumentsCreated != 2 {
		t.Errorf("after the allowed change: %d payouts, %d instruments; want 2 and 2", st.PayoutsCreated, st.InstrumentsCreated)
	}
}

// A row Anton rejected for missing beneficiary details, re-dropped with the
// details added, has the same key material, so it is "rejected before": exit
// 1, and retry --reference sends the corrected row, not the first one.
func TestRetry_CorrectedRedropOfRejectedRow(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	full := beneficiaryRow("K-1", "25.00", "EUR", "", "", "DE89370400440532013000", "")
	noPhone := strings.Replace(full, "+4915123456789", "", 1)
	writeCSV(t, filepath.Join(dir, "first.csv"), noPhone)
	writeCSV(t, filepath.Join(dir, "corrected.csv"), full)

	if code, stdout, _ := runPayrun(t, dir, "run", "first.csv"); code != exitRowProblems {
		t.Fatalf("first run: exit=%d, want 1 (rejected)\n%s", code, stdout)
	}
	code, stdout, _ := runPayrun(t, dir, "run", "corrected.csv")
	if code != exitRowProblems || !strings.Contains(stdout, "rejected before") {
		t.Fatalf("corrected re-drop: exit=%d, want 1 with 'rejected before'\n%s", code, stdout)
	}
	if n := srv.Stats().PayoutsCreated; n != 0 {
		t.Fatalf("the re-drop was paid without retry: %d payouts", n)
	}
	code, stdout, stderr := runPayrun(t, dir, "retry", "--reference", "K-1")
	if code != exitOK {
		t.Fatalf("retry --reference: exit=%d, want 0\n%s\n%s", code, stdout, stderr)
	}
	if got := srv.Stats().PayoutsByReference["K-1"]; got.Count != 1 || got.Amount != "25.00" {
		t.Errorf("K-1 payouts %+v, want one of 25.00", got)
	}
}

// A file held for a control mismatch is discarded, and the corrected export of
// the same references is then paid normally.
func TestDiscard_HeldFileThenCorrectedRedrop(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "june.csv"), beneficiaryRow("C-1", "10.00", "EUR", "", "", "DE89370400440532013000", ""))
	os.WriteFile(filepath.Join(dir, "june.csv.control"), []byte("rows = 1\n[totals]\nEUR = \"99.00\"\n"), 0o600)

	code, stdout, _ := runPayrun(t, dir, "run", "june.csv")
	if code != exitStopped || !strings.Contains(stdout, "control totals do not match") {
		t.Fatalf("control mismatch: exit=%d, want 4\n%s", code, stdout)
	}
	fileID := strings.Fields(strings.Split(stdout, "\n")[1])[0]
	if code, _, _ := runPayrun(t, dir, "discard", fileID); code != exitUsage {
		t.Errorf("discard without --by and --reason: exit=%d, want 2", code)
	}
	if code, stdout, _ := runPayrun(t, dir, "discard", fileID, "--by", "Dana", "--reason", "wrong totals"); code != exitOK {
		t.Fatalf("discard: exit=%d\n%s", code, stdout)
	}

	writeCSV(t, filepath.Join(dir, "june-fixed.csv"), beneficiaryRow("C-1", "10.00", "EUR", "", "", "DE89370400440532013000", ""),
		beneficiaryRow("C-2", "89.00", "EUR", "", "", "DE89370400440532013000", ""))
	os.WriteFile(filepath.Join(dir, "june-fixed.csv.control"), []byte("rows = 2\n[totals]\nEUR = \"99.00\"\n"), 0o600)
	if code, stdout, _ := runPayrun(t, dir, "run", "june-fixed.csv"); code != exitOK {
		t.Fatalf("corrected re-drop: exit=%d, want 0\n%s", code, stdout)
	}
	if n := srv.Stats().PayoutsCreated; n != 2 {
		t.Errorf("payouts=%d, want 2", n)
	}
}

// A control file that cannot be parsed stops the run before the payout file
// is recorded, so no later run pays it without its check.
func TestRun_BrokenControlRecordsNothing(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "june.csv"), beneficiaryRow("B-1", "10.00", "EUR", "", "", "DE89370400440532013000", ""))
	os.WriteFile(filepath.Join(dir, "june.csv.control"), []byte("rows = 1\n[totals\n"), 0o600)

	for i := 0; i < 2; i++ {
		code, stdout, stderr := runPayrun(t, dir, "run", "june.csv")
		if code != exitUsage {
			t.Fatalf("run %d with a broken control: exit=%d, want 2\n%s\n%s", i+1, code, stdout, stderr)
		}
	}
	if n := srv.Stats().PayoutsCreated; n != 0 {
		t.Errorf("a file with a broken control was paid: %d payouts", n)
	}
}

func TestRetry_UnknownFileIsUsageError(t *testing.T) {
	startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "p.csv"), beneficiaryRow("U-1", "10.00", "EUR", "", "", "DE89370400440532013000", ""))
	if code, _, _ := runPayrun(t, dir, "run", "p.csv"); code != exitOK {
		t.Fatalf("run exit=%d", code)
	}
	for _, args := range [][]string{{"retry", "--file", "ffffffffffff"}, {"retry", "--run", "01BADRUN"},
		{"report", "--file", "ffffffffffff"}, {"report", "--run", "01BADRUN"}} {
		if code, _, _ := runPayrun(t, dir, args...); code != exitUsage {
			t.Errorf("%v: exit=%d, want 2", args, code)
		}
	}
}

// A file held because the balance did not cover it is checked again by the
// next run and paid once the money is back.
func TestRun_BalanceHoldReleasedWhenFunded(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{TimeScale: 0.5,
		Balances: map[string]string{"EUR": "100.00", "USD": "1000.00", "GBP": "1000.00"}})
	dir := t.TempDir()
	// FAIL- payouts end failed, which returns their funds.
	writeCSV(t, filepath.Join(dir, "a.csv"), beneficiaryRow("FAIL-1", "60.00", "EUR", "", "", "DE89370400440532013000", ""))
	writeCSV(t, filepath.Join(dir, "b.csv"), beneficiaryRow("B-1", "60.00", "EUR", "", "", "DE89370400440532013000", ""))

	if code, stdout, _ := runPayrun(t, dir, "run", "a.csv"); code != exitOK {
		t.Fatalf("a.csv: exit=%d\n%s", code, stdout)
	}
	code, stdout, _ := runPayrun(t, dir, "run", "b.csv")
	if code != exitStopped || !strings.Contains(stdout, "available balance does not cover") {
		t.Fatalf("b.csv while the first payout holds the balance: exit=%d, want 4\n%s", code, stdout)
	}

	deadline := time.Now().Add(10 * time.Second)
	for {
		code, stdout, _ = runPayrun(t, dir, "run", "b.csv")
		if code == exitOK || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code != exitOK {
		t.Fatalf("rerun after the failed payout returned the funds: exit=%d\n%s", code, stdout)
	}
	if got := srv.Stats().PayoutsByReference["B-1"]; got.Count != 1 {
		t.Errorf("B-1 payouts %+v, want 1 after the balance came back", got)
	}
}

// TestRun_TotalOverflowRejectsFile rejects a file whose valid rows add up to
// more minor units than an int64 holds, instead of paying with a wrapped,
// negative total.
func TestRun_TotalOverflowRejectsFile(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("reference,amount,currency,beneficiary_id,instrument_id,method\n")
	// 999999999999.999 KWD is 10^15 minor units, so 9,300 rows pass 2^63.
	for i := 0; i < 9300; i++ {
		fmt.Fprintf(&b, "BIG-%05d,999999999999.999,KWD,ben_01HZX3K9Q2M4N5P6%06d,ins_01HZX3K9Q2M4N5P6%06d,swift\n", i, i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "big.csv"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runPayrun(t, dir, "run", "big.csv")
	if code == exitOK {
		t.Fatalf("run of an overflowing file exit=0\n%s\n%s", stdout, stderr)
	}
	if !strings.Contains(stdout+stderr, "largest total") {
		t.Errorf("output does not name the overflow:\n%s\n%s", stdout, stderr)
	}
	if st := srv.Stats(); st.PayoutsCreated != 0 {
		t.Errorf("%d payouts created from a rejected file", st.PayoutsCreated)
	}
}
