package state

import (
	"context"
	"testing"
)

func TestDiscardIncompleteFiles_RemovesPartialIngest(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	if err := l.StartRun(ctx, "run-1", "run"); err != nil {
		t.Fatal(err)
	}
	f := &File{ID: "aaaaaaaaaaaa", SHA256: "aaaaaaaaaaaa-sha", Source: "a.csv", Name: "a.csv",
		Format: "csv", Status: FileIngesting, RunID: "run-1"}
	if err := l.InsertFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	record(t, l, pendingRow(f.ID, 2, "INV-1", "h1"), pendingRow(f.ID, 3, "INV-2", "h2"))

	names, err := l.DiscardIncompleteFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 {
		t.Errorf("discarded %v, want one file", names)
	}
	if got, _ := l.FileBySHA256(ctx, f.SHA256); got != nil {
		t.Error("the incomplete file is still in the ledger")
	}
	if rows, _ := l.Rows(ctx, RowFilter{}); len(rows) != 0 {
		t.Errorf("%d rows of the incomplete file remain", len(rows))
	}

	// A completely recorded file is kept.
	f.Status = FileIngesting
	if err := l.InsertFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := l.FinishIngest(ctx, f); err != nil {
		t.Fatal(err)
	}
	if names, _ := l.DiscardIncompleteFiles(ctx); len(names) != 0 {
		t.Errorf("discarded a finished file: %v", names)
	}
}

func TestDiscardFile_RedropIsPaid(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	addFile(t, l, "aaaaaaaaaaaa")
	first := pendingRow("aaaaaaaaaaaa", 2, "INV-1", "h1")
	record(t, l, first)
	if err := l.HoldFile(ctx, "aaaaaaaaaaaa", HoldControl, "totals differ"); err != nil {
		t.Fatal(err)
	}
	n, err := l.DiscardFile(ctx, "aaaaaaaaaaaa", "Dana", "wrong export")
	if err != nil || n != 1 {
		t.Fatalf("DiscardFile: moved=%d err=%v, want 1, nil", n, err)
	}
	if _, err := l.DiscardFile(ctx, "aaaaaaaaaaaa", "Dana", "again"); err == nil {
		t.Error("a discarded file was discarded again")
	}

	addFile(t, l, "bbbbbbbbbbbb")
	redrop := pendingRow("bbbbbbbbbbbb", 2, "INV-1", "h1")
	record(t, l, redrop)
	if redrop.State != Pending {
		t.Errorf("re-drop after discard: state=%s, want pending", redrop.State)
	}
}
