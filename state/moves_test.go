package state

import (
	"context"
	"testing"
)

func TestMoves_PendingUntilFinished(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	addFile(t, l, "aaaaaaaaaaaa")
	exec(t, l, `UPDATE files SET source = 's3://b/inbox/a.csv' WHERE id = 'aaaaaaaaaaaa'`)

	file := &Move{FileID: "aaaaaaaaaaaa", Source: "s3://b/inbox/a.csv", Dest: "s3://b/processed/a.csv",
		ETag: `"e1"`, RunID: "run-1"}
	sidecar := &Move{FileID: "aaaaaaaaaaaa", Source: "s3://b/inbox/a.csv.control",
		Dest: "s3://b/processed/a.csv.control", RunID: "run-1"}
	for _, m := range []*Move{file, sidecar} {
		if err := l.StartMove(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	pending, err := l.PendingMoves(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 || pending[0].ID != file.ID || pending[0].ETag != `"e1"` {
		t.Fatalf("PendingMoves = %+v, want the file move then the sidecar move", pending)
	}

	if err := l.FinishMove(ctx, pending[0]); err != nil {
		t.Fatal(err)
	}
	if err := l.FinishMove(ctx, pending[1]); err != nil {
		t.Fatal(err)
	}
	f, err := l.File(ctx, "aaaaaaaaaaaa")
	if err != nil {
		t.Fatal(err)
	}
	if f.Source != "s3://b/processed/a.csv" {
		t.Errorf("file source after the moves = %s, want the file's destination", f.Source)
	}
	if pending, _ := l.PendingMoves(ctx); len(pending) != 0 {
		t.Errorf("PendingMoves after finishing = %+v, want none", pending)
	}
}

func TestMoves_FailedIsNotPending(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	addFile(t, l, "aaaaaaaaaaaa")
	m := &Move{FileID: "aaaaaaaaaaaa", Source: "s3://b/inbox/a.csv", Dest: "s3://b/processed/a.csv"}
	if err := l.StartMove(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := l.FailMove(ctx, m, "source replaced"); err != nil {
		t.Fatal(err)
	}

	if pending, _ := l.PendingMoves(ctx); len(pending) != 0 {
		t.Errorf("PendingMoves after FailMove = %+v, want none", pending)
	}
	var state, reason string
	if err := l.db.QueryRow(`SELECT state, error FROM moves WHERE id = ?`, m.ID).Scan(&state, &reason); err != nil {
		t.Fatal(err)
	}
	if state != MoveFailed || reason != "source replaced" {
		t.Errorf("failed move stored as %s %q, want failed with its reason", state, reason)
	}
}

func TestMoves_UnknownFileRejected(t *testing.T) {
	l := openTest(t)
	m := &Move{FileID: "nosuchfile00", Source: "s3://b/inbox/a.csv", Dest: "s3://b/processed/a.csv"}
	if err := l.StartMove(context.Background(), m); err == nil {
		t.Error("StartMove for a file the ledger lacks succeeded, want a foreign key error")
	}
}
