package state

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

const dupProblem = `{"row":2,"code":"duplicate_reference","severity":"error"}`

func TestInvalidateRows_OnlyPendingMove(t *testing.T) {
	ctx := context.Background()
	l := openTest(t)
	addFile(t, l, "aaaaaaaaaaaa")
	pending := pendingRow("aaaaaaaaaaaa", 2, "REF-1", "h1")
	pending.Problems = `[{"row":2,"code":"needed_if_new","severity":"warning"}]`
	submitted := pendingRow("aaaaaaaaaaaa", 3, "REF-2", "h2")
	record(t, l, pending, submitted)
	exec(t, l, `UPDATE rows SET state = ? WHERE id = ?`, Submitted, submitted.ID)

	named, err := l.InvalidateRows(ctx, "aaaaaaaaaaaa", []RowError{
		{RowNum: 2, Code: "duplicate_reference", Message: "reference is also used by row 9", Problem: dupProblem},
		{RowNum: 3, Code: "duplicate_reference", Message: "reference is also used by row 10", Problem: dupProblem},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(named) != 2 {
		t.Fatalf("returned %d rows, want both named rows", len(named))
	}
	if named[0].ID != pending.ID || named[0].State != Invalid || named[0].AmountMinor != 1250 || named[0].Currency != "EUR" {
		t.Errorf("first row %+v, want the pending row, now invalid, with its amount", named[0])
	}
	if named[1].ID != submitted.ID || named[1].State != Submitted {
		t.Errorf("second row %+v, want the submitted row unchanged", named[1])
	}

	got, err := l.Row(ctx, pending.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != Invalid || got.ErrorCode != "duplicate_reference" || !strings.Contains(got.ErrorMessage, "row 9") {
		t.Errorf("pending row is %s %s %q, want invalid duplicate_reference", got.State, got.ErrorCode, got.ErrorMessage)
	}
	var problems []map[string]any
	if err := json.Unmarshal([]byte(got.Problems), &problems); err != nil {
		t.Fatalf("problems %q: %v", got.Problems, err)
	}
	if len(problems) != 2 || problems[0]["code"] != "needed_if_new" || problems[1]["code"] != "duplicate_reference" {
		t.Errorf("problems %v, want the warning and then the duplicate error", problems)
	}

	if s, _ := l.Row(ctx, submitted.ID); s.State != Submitted {
		t.Errorf("submitted row moved to %s, want it left submitted", s.State)
	}
}

func TestInvalidateRows_UnknownRow(t *testing.T) {
	l := openTest(t)
	addFile(t, l, "aaaaaaaaaaaa")
	_, err := l.InvalidateRows(context.Background(), "aaaaaaaaaaaa", []RowError{{RowNum: 7, Code: "x"}})
	if err == nil || !strings.Contains(err.Error(), "no such row") {
		t.Errorf("error %v, want one naming the missing row", err)
	}
}

func TestRecordRowsInvalidating_OneTransaction(t *testing.T) {
	ctx := context.Background()
	l := openTest(t)
	addFile(t, l, "aaaaaaaaaaaa")
	first := pendingRow("aaaaaaaaaaaa", 2, "REF-1", "h1")
	record(t, l, first)

	// The later row repeats the reference, so it arrives invalid and turns
	// the earlier one invalid in the same commit.
	later := &Row{FileID: "aaaaaaaaaaaa", RowNum: 600, LineNum: 600, Reference: "REF-1", State: Invalid,
		ErrorCode: "duplicate_reference"}
	named, err := l.RecordRowsInvalidating(ctx, []*Row{later}, "aaaaaaaaaaaa",
		[]RowError{{RowNum: 2, Code: "duplicate_reference", Message: "also used by row 600"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(named) != 1 || named[0].State != Invalid {
		t.Fatalf("returned %+v, want row 2, now invalid", named)
	}
	counts, err := l.StateCounts(ctx, "aaaaaaaaaaaa")
	if err != nil {
		t.Fatal(err)
	}
	if counts[Invalid] != 2 || counts[Pending] != 0 {
		t.Errorf("states %v, want 2 invalid and none pending", counts)
	}

	// A failing batch leaves the earlier row as it was.
	again := pendingRow("aaaaaaaaaaaa", 3, "REF-3", "h3")
	dupRowNum := &Row{FileID: "aaaaaaaaaaaa", RowNum: 3, Reference: "REF-4", State: Invalid}
	third := pendingRow("aaaaaaaaaaaa", 4, "REF-5", "h5")
	record(t, l, third)
	_, err = l.RecordRowsInvalidating(ctx, []*Row{again, dupRowNum}, "aaaaaaaaaaaa",
		[]RowError{{RowNum: 4, Code: "duplicate_reference"}})
	if err == nil {
		t.Fatal("a batch with two rows numbered 3 succeeded")
	}
	if got, _ := l.Row(ctx, third.ID); got.State != Pending {
		t.Errorf("row 4 is %s after a failed batch, want pending", got.State)
	}
}

func TestRejectRecordedFile(t *testing.T) {
	ctx := context.Background()
	l := openTest(t)
	addFile(t, l, "aaaaaaaaaaaa")
	record(t, l, pendingRow("aaaaaaaaaaaa", 2, "REF-1", "h1"), pendingRow("aaaaaaaaaaaa", 3, "REF-2", "h2"))

	f := &File{ID: "aaaaaaaaaaaa", ErrorCode: "invalid_encoding", ErrorMessage: "line 4 is not UTF-8",
		TotalRows: 2, InvalidRows: 2, Totals: "{}"}
	if err := l.RejectRecordedFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	got, err := l.File(ctx, "aaaaaaaaaaaa")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != FileRejected || got.ErrorCode != "invalid_encoding" || got.InvalidRows != 2 {
		t.Errorf("file %+v, want rejected with invalid_encoding and 2 invalid rows", got)
	}
	counts, err := l.StateCounts(ctx, "aaaaaaaaaaaa")
	if err != nil {
		t.Fatal(err)
	}
	if counts[Invalid] != 2 || counts[Pending] != 0 {
		t.Errorf("states %v, want every row invalid", counts)
	}
}
