package state

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func findingsOf(findings []Finding, check string) []Finding {
	var out []Finding
	for _, f := range findings {
		if f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

func runCheck(t *testing.T, l *Ledger) []Finding {
	t.Helper()
	findings, err := l.Check(context.Background())
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return findings
}

// submittedRow records a row, one attempt for it and its payout.
func submittedRow(t *testing.T, l *Ledger, fileID string, n int, ref, payoutID string) *Row {
	t.Helper()
	ctx := context.Background()
	r := pendingRow(fileID, n, ref, "h-"+ref)
	record(t, l, r)
	if err := l.MarkSubmitting(ctx, r.ID, r.Key, `{"reference":"`+ref+`"}`, "run-"+fileID); err != nil {
		t.Fatal(err)
	}
	err := l.RecordAttempt(ctx, &Attempt{RowID: r.ID, RunID: "run-" + fileID, Method: "POST",
		Path: "/v1/payouts", Key: r.Key, HTTPStatus: 201})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.MarkSubmitted(ctx, r.ID, &Payout{ID: payoutID, Reference: ref, Status: "processing"}); err != nil {
		t.Fatal(err)
	}
	return r
}

func exec(t *testing.T, l *Ledger, query string, args ...any) {
	t.Helper()
	if _, err := l.db.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func TestCheck_CleanLedger(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	if _, err := l.FingerprintKey(ctx); err != nil {
		t.Fatal(err)
	}
	addFile(t, l, "aaaaaaaaaaaa")
	submittedRow(t, l, "aaaaaaaaaaaa", 2, "INV-1", "pay_1")
	record(t, l, pendingRow("aaaaaaaaaaaa", 3, "INV-2", "h2"))
	adopted := pendingRow("aaaaaaaaaaaa", 4, "INV-3", "h3")
	record(t, l, adopted)
	if _, err := l.AdoptPayout(ctx, &Payout{ID: "pay_3", Reference: "INV-3", Status: "completed"}); err != nil {
		t.Fatal(err)
	}

	if findings := runCheck(t, l); len(findings) != 0 {
		t.Errorf("Check on a clean ledger = %v, want no findings", findings)
	}
}

func TestCheck_DuplicateSendableKey(t *testing.T) {
	l := openTest(t)
	addFile(t, l, "aaaaaaaaaaaa")
	record(t, l, pendingRow("aaaaaaaaaaaa", 2, "INV-1", "h1"), pendingRow("aaaaaaaaaaaa", 3, "INV-2", "h2"))
	// The unique indexes keep this from happening, but a damaged or
	// hand-edited ledger may have lost them.
	exec(t, l, `DROP INDEX rows_sendable_key`)
	exec(t, l, `DROP INDEX rows_sendable_reference`)
	exec(t, l, `UPDATE rows SET idem_key = 'payrun-same', reference = 'INV-1'`)

	findings := runCheck(t, l)
	if got := findingsOf(findings, "duplicate_key"); len(got) != 1 || !strings.Contains(got[0].Message, "payrun-same") {
		t.Errorf("duplicate_key findings = %v, want one naming payrun-same", got)
	}
	if got := findingsOf(findings, "duplicate_reference"); len(got) != 1 || !strings.Contains(got[0].Message, "INV-1") {
		t.Errorf("duplicate_reference findings = %v, want one naming INV-1", got)
	}
}

func TestCheck_SubmittedRowProblems(t *testing.T) {
	l := openTest(t)
	addFile(t, l, "aaaaaaaaaaaa")
	noAttempt := submittedRow(t, l, "aaaaaaaaaaaa", 2, "INV-1", "pay_1")
	noPayoutID := submittedRow(t, l, "aaaaaaaaaaaa", 3, "INV-2", "pay_2")
	submittedRow(t, l, "aaaaaaaaaaaa", 4, "INV-3", "pay_3")
	exec(t, l, `DELETE FROM attempts WHERE row_id = ?`, noAttempt.ID)
	exec(t, l, `UPDATE rows SET payout_id = '' WHERE id = ?`, noPayoutID.ID)
	exec(t, l, `UPDATE payouts SET row_id = NULL WHERE id = 'pay_2'`)
	exec(t, l, `DELETE FROM payouts WHERE id = 'pay_3'`)

	got := findingsOf(runCheck(t, l), "submitted_row")
	if len(got) != 3 {
		t.Fatalf("submitted_row findings = %v, want 3", got)
	}
	wants := []string{"no attempt is recorded", "has no payout id", "missing from the payouts table"}
	for i, want := range wants {
		if !strings.Contains(got[i].Message, want) {
			t.Errorf("finding %d = %q, want it to contain %q", i, got[i].Message, want)
		}
	}
}

func TestCheck_TerminalStatusMovedBack(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	addFile(t, l, "aaaaaaaaaaaa")
	submittedRow(t, l, "aaaaaaaaaaaa", 2, "INV-1", "pay_1")
	submittedRow(t, l, "aaaaaaaaaaaa", 3, "INV-2", "pay_2")
	for _, id := range []string{"pay_1", "pay_2"} {
		if _, err := l.UpdatePayoutStatus(ctx, StatusUpdate{PayoutID: id, Status: "completed", Source: "webhook"}); err != nil {
			t.Fatal(err)
		}
	}
	exec(t, l, `UPDATE payouts SET status = 'processing' WHERE id = 'pay_1'`)
	exec(t, l, `UPDATE rows SET anton_status = 'processing' WHERE payout_id = 'pay_2'`)

	got := findingsOf(runCheck(t, l), "payout_status")
	if len(got) != 2 {
		t.Fatalf("payout_status findings = %v, want 2", got)
	}
	if !strings.Contains(got[0].Message, "moved back from the terminal status completed") {
		t.Errorf("finding for pay_1 = %q, want a terminal status moved back", got[0].Message)
	}
	if !strings.Contains(got[1].Message, "payrun sync") {
		t.Errorf("finding for pay_2 = %q, want advice to run payrun sync", got[1].Message)
	}
}

func TestCheck_TwoPayoutsForOneReference(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	addFile(t, l, "aaaaaaaaaaaa")
	submittedRow(t, l, "aaaaaaaaaaaa", 2, "INV-1", "pay_1")
	if _, err := l.AdoptPayout(ctx, &Payout{ID: "pay_9", Reference: "INV-1", Status: "processing"}); err != nil {
		t.Fatal(err)
	}

	got := findingsOf(runCheck(t, l), "duplicate_payout")
	if len(got) != 1 || !strings.Contains(got[0].Message, "pay_1, pay_9") {
		t.Errorf("duplicate_payout findings = %v, want one naming pay_1, pay_9", got)
	}
}

func TestCheck_PayoutLinkedToOtherRow(t *testing.T) {
	l := openTest(t)
	addFile(t, l, "aaaaaaaaaaaa")
	r := submittedRow(t, l, "aaaaaaaaaaaa", 2, "INV-1", "pay_1")
	exec(t, l, `INSERT INTO payouts (id, row_id, reference, status, recorded_at, updated_at)
		VALUES ('pay_x', ?, 'INV-X', 'processing', '', '')`, r.ID)

	got := findingsOf(runCheck(t, l), "payout_row")
	if len(got) != 1 || !strings.Contains(got[0].Message, "pay_x") {
		t.Errorf("payout_row findings = %v, want one naming pay_x", got)
	}
}

func TestCheck_ForeignKeyViolation(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	conn, err := l.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		t.Fatal(err)
	}
	_, err = conn.ExecContext(ctx, `INSERT INTO rows (file_id, row_num, line_num, reference, state,
		created_at, updated_at) VALUES ('nosuchfile00', 2, 2, 'INV-1', 'invalid', '', '')`)
	if err != nil {
		t.Fatal(err)
	}
	conn.ExecContext(ctx, `PRAGMA foreign_keys = ON`)

	got := findingsOf(runCheck(t, l), "foreign_key")
	if len(got) != 1 || !strings.Contains(got[0].Message, "rows row") {
		t.Errorf("foreign_key findings = %v, want one for the rows table", got)
	}
}

func TestCheck_DamagedIndex(t *testing.T) {
	l := openTest(t)
	addFile(t, l, "aaaaaaaaaaaa")
	record(t, l, pendingRow("aaaaaaaaaaaa", 2, "INV-1", "h1"), pendingRow("aaaaaaaaaaaa", 3, "INV-2", "h2"))
	path := l.Path()
	l.Close()

	// Redefine an index in the schema without rebuilding it, so its entries no
	// longer match the table: the kind of damage integrity_check reports.
	damage, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := damage.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`PRAGMA writable_schema = ON`,
		`UPDATE sqlite_schema SET sql = 'CREATE INDEX rows_reference ON rows (currency)' WHERE name = 'rows_reference'`,
		`PRAGMA writable_schema = OFF`} {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close()
	damage.Close()

	reopened, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	if got := findingsOf(runCheck(t, reopened), "integrity"); len(got) == 0 {
		t.Errorf("Check on a damaged index found no integrity problem")
	}
}

func TestCheck_FileModes(t *testing.T) {
	l := openTest(t)
	if _, err := LoadFingerprintKey(l.Path()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{l.Path(), KeyPath(l.Path())} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	got := findingsOf(runCheck(t, l), "file_mode")
	if len(got) != 2 {
		t.Fatalf("file_mode findings = %v, want 2 (ledger and key)", got)
	}
	if !strings.Contains(got[0].Message, filepath.Base(l.Path())) || !strings.Contains(got[0].Message, "0644") {
		t.Errorf("finding %q, want the ledger path and mode 0644", got[0].Message)
	}
}

func TestCheck_CapsFindingsPerCheck(t *testing.T) {
	l := openTest(t)
	addFile(t, l, "aaaaaaaaaaaa")
	exec(t, l, `DROP INDEX rows_sendable_key`)
	var rows []*Row
	for i := 0; i < maxFindingsPerCheck+5; i++ {
		rows = append(rows, pendingRow("aaaaaaaaaaaa", 2*i+2, fmt.Sprint("A-", i), fmt.Sprint("ha", i)),
			pendingRow("aaaaaaaaaaaa", 2*i+3, fmt.Sprint("B-", i), fmt.Sprint("hb", i)))
	}
	record(t, l, rows...)
	exec(t, l, `UPDATE rows SET idem_key = 'k-' || (row_num / 2)`)

	got := findingsOf(runCheck(t, l), "duplicate_key")
	if len(got) != maxFindingsPerCheck+1 {
		t.Fatalf("duplicate_key findings = %d, want %d", len(got), maxFindingsPerCheck+1)
	}
	if last := got[len(got)-1].Message; !strings.Contains(last, "5 more findings") {
		t.Errorf("last finding = %q, want the count of unlisted findings", last)
	}
}
