package state

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func addFile(t *testing.T, l *Ledger, id string) {
	t.Helper()
	ctx := context.Background()
	if err := l.StartRun(ctx, "run-"+id, "run"); err != nil {
		t.Fatal(err)
	}
	err := l.InsertFile(ctx, &File{ID: id, SHA256: id + "-sha", Source: id + ".csv", Name: id + ".csv",
		Format: "csv", Status: FileActive, RunID: "run-" + id})
	if err != nil {
		t.Fatal(err)
	}
}

func pendingRow(fileID string, n int, ref, content string) *Row {
	return &Row{FileID: fileID, RowNum: n, LineNum: n, Reference: ref, State: Pending,
		Key: "payrun-" + content, ContentHash: content, AmountMinor: 1250, Currency: "EUR"}
}

func record(t *testing.T, l *Ledger, rows ...*Row) {
	t.Helper()
	if err := l.RecordRows(context.Background(), rows); err != nil {
		t.Fatalf("RecordRows: %v", err)
	}
}

func TestRecordRows_ReferenceRules(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		earlier    State
		sameHash   bool
		want       State
		wantCode   string
		wantRelate bool
	}{
		{"submitted same content", Submitted, true, Duplicate, CodeAlreadySubmitted, true},
		{"submitted other content", Submitted, false, Conflict, CodeReferenceReused, true},
		{"pending same content", Pending, true, Duplicate, CodeAlreadySubmitted, true},
		{"retryable other content", Retryable, false, Conflict, CodeReferenceReused, true},
		{"held same content", Held, true, Duplicate, CodeAlreadySubmitted, true},
		{"rejected same content", Rejected, true, Duplicate, CodeRejectedBefore, true},
		{"rejected other content", Rejected, false, Pending, "", false},
		{"invalid earlier", Invalid, false, Pending, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openTest(t)
			addFile(t, l, "aaaaaaaaaaaa")
			addFile(t, l, "bbbbbbbbbbbb")

			first := pendingRow("aaaaaaaaaaaa", 2, "INV-1", "h1")
			record(t, l, first)
			if tt.earlier != Pending {
				if _, err := l.db.Exec(`UPDATE rows SET state = ? WHERE id = ?`, tt.earlier, first.ID); err != nil {
					t.Fatal(err)
				}
			}
			hash := "h1"
			if !tt.sameHash {
				hash = "h2"
			}
			second := pendingRow("bbbbbbbbbbbb", 2, "INV-1", hash)
			record(t, l, second)

			got, err := l.Row(ctx, second.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tt.want {
				t.Errorf("state=%s, want %s", got.State, tt.want)
			}
			if got.ErrorCode != tt.wantCode {
				t.Errorf("error_code=%q, want %q", got.ErrorCode, tt.wantCode)
			}
			if (got.RelatedRow == first.ID) != tt.wantRelate {
				t.Errorf("related_row=%d, want related=%v to %d", got.RelatedRow, tt.wantRelate, first.ID)
			}
		})
	}
}

func TestRecordRows_UniqueSendableKey(t *testing.T) {
	l := openTest(t)
	addFile(t, l, "aaaaaaaaaaaa")
	a := pendingRow("aaaaaaaaaaaa", 2, "INV-1", "h1")
	b := pendingRow("aaaaaaaaaaaa", 3, "INV-2", "h1") // same key, other reference
	err := l.RecordRows(context.Background(), []*Row{a, b})
	if err == nil {
		t.Fatal("RecordRows accepted two sendable rows with one idempotency key")
	}
	rows, _ := l.Rows(context.Background(), RowFilter{})
	if len(rows) != 0 {
		t.Errorf("a failed batch left %d rows, want 0", len(rows))
	}
}

func TestMarkSubmitting_KeepsFirstBody(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	addFile(t, l, "aaaaaaaaaaaa")
	r := pendingRow("aaaaaaaaaaaa", 2, "INV-1", "h1")
	record(t, l, r)

	if err := l.MarkSubmitting(ctx, r.ID, r.Key, `{"a":1}`, "run-1"); err != nil {
		t.Fatal(err)
	}
	if err := l.MarkSubmitting(ctx, r.ID, r.Key, `{"a":1}`, "run-2"); err != nil {
		t.Errorf("resume with the stored body: %v", err)
	}
	if err := l.MarkSubmitting(ctx, r.ID, r.Key, `{"a":2}`, "run-2"); err == nil {
		t.Error("MarkSubmitting accepted a body that differs from the first attempt")
	}
	got, _ := l.Row(ctx, r.ID)
	if got.RequestBody != `{"a":1}` {
		t.Errorf("request_body=%s, want the first body", got.RequestBody)
	}
	if got.FirstAttemptAt == "" {
		t.Error("first_attempt_at not set")
	}
}

func TestSetRowState_NeverUndoesSubmitted(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	addFile(t, l, "aaaaaaaaaaaa")
	r := pendingRow("aaaaaaaaaaaa", 2, "INV-1", "h1")
	record(t, l, r)
	if err := l.MarkSubmitted(ctx, r.ID, &Payout{ID: "pay_1", Reference: "INV-1", Status: "pending_screening"}); err != nil {
		t.Fatal(err)
	}
	err := l.SetRowState(ctx, r.ID, Retryable, "timeout", "late")
	if !errors.Is(err, ErrStateChanged) {
		t.Fatalf("SetRowState on a submitted row: err=%v, want ErrStateChanged", err)
	}
}

func TestUpdatePayoutStatus_NoRegression(t *testing.T) {
	ctx := context.Background()
	steps := []struct {
		status      string
		wantChanged bool
		want        string
	}{
		{"processing", true, "processing"},
		{"pending_approval", true, "pending_approval"}, // non-terminal to non-terminal is allowed
		{"completed", true, "completed"},
		{"processing", false, "completed"},
		{"failed", false, "completed"},
		{"returned", true, "returned"},
		{"completed", false, "returned"},
	}
	l := openTest(t)
	addFile(t, l, "aaaaaaaaaaaa")
	r := pendingRow("aaaaaaaaaaaa", 2, "INV-1", "h1")
	record(t, l, r)
	if err := l.MarkSubmitted(ctx, r.ID, &Payout{ID: "pay_1", Reference: "INV-1", Status: "pending_screening"}); err != nil {
		t.Fatal(err)
	}
	for i, s := range steps {
		changed, err := l.UpdatePayoutStatus(ctx, StatusUpdate{PayoutID: "pay_1", Status: s.status, Source: "webhook"})
		if err != nil {
			t.Fatal(err)
		}
		if changed != s.wantChanged {
			t.Errorf("step %d (%s): changed=%v, want %v", i, s.status, changed, s.wantChanged)
		}
		p, _ := l.PayoutByID(ctx, "pay_1")
		if p.Status != s.want {
			t.Errorf("step %d (%s): status=%s, want %s", i, s.status, p.Status, s.want)
		}
		row, _ := l.Row(ctx, r.ID)
		if row.AntonStatus != s.want {
			t.Errorf("step %d: row anton_status=%s, want %s", i, row.AntonStatus, s.want)
		}
	}
}

func TestAdoptPayout_MarksUnfinishedRow(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	addFile(t, l, "aaaaaaaaaaaa")
	r := pendingRow("aaaaaaaaaaaa", 2, "INV-1", "h1")
	record(t, l, r)

	p := &Payout{ID: "pay_9", Reference: "INV-1", Status: "completed", DestAmount: "12.50", DestCurrency: "EUR"}
	adopted, err := l.AdoptPayout(ctx, p)
	if err != nil || !adopted {
		t.Fatalf("AdoptPayout: adopted=%v err=%v", adopted, err)
	}
	again, err := l.AdoptPayout(ctx, p)
	if err != nil || again {
		t.Errorf("second AdoptPayout: adopted=%v err=%v, want false, nil", again, err)
	}
	got, _ := l.Row(ctx, r.ID)
	if got.State != Submitted || got.PayoutID != "pay_9" {
		t.Errorf("row state=%s payout=%s, want submitted pay_9", got.State, got.PayoutID)
	}
}

func TestRecordRows_AdoptedWithoutRow(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	addFile(t, l, "aaaaaaaaaaaa")
	for i, amount := range []string{"12.50", "99.00"} {
		ref := fmt.Sprintf("INV-%d", i)
		p := &Payout{ID: fmt.Sprintf("pay_%d", i), Reference: ref, Status: "completed", DestAmount: amount, DestCurrency: "EUR"}
		if _, err := l.AdoptPayout(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	same := pendingRow("aaaaaaaaaaaa", 2, "INV-0", "h1")
	other := pendingRow("aaaaaaaaaaaa", 3, "INV-1", "h2")
	record(t, l, same, other)
	if same.State != Duplicate {
		t.Errorf("row matching the adopted payout: state=%s, want duplicate", same.State)
	}
	if other.State != Conflict {
		t.Errorf("row differing from the adopted payout: state=%s, want conflict", other.State)
	}
}

func TestAdoptPayout_OtherAmountConflicts(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	addFile(t, l, "aaaaaaaaaaaa")
	r := pendingRow("aaaaaaaaaaaa", 2, "INV-1", "h1")
	record(t, l, r)

	p := &Payout{ID: "pay_7", Reference: "INV-1", Status: "completed", DestAmount: "99.00", DestCurrency: "EUR"}
	if _, err := l.AdoptPayout(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, _ := l.Row(ctx, r.ID)
	if got.State != Conflict {
		t.Errorf("row with 12.50 EUR and an adopted payout of 99.00 EUR: state=%s, want conflict", got.State)
	}
}
