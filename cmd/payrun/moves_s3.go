package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"

	"github.com/payrun/payrun/internal/s3store"
	"github.com/payrun/payrun/state"
)

// maxNumberedNames bounds the search for a free numbered name in a sibling
// prefix, such as payouts.7.csv.
const maxNumberedNames = 1000

// s3Inbox is an inbox prefix in a bucket. S3 has no rename, so a move is a
// copy and a delete, journaled in the ledger's moves table so that the next
// run finishes a move that a crash interrupted.
type s3Inbox struct {
	store  *s3store.Store
	prefix s3store.Location
	noMove bool
	ledger *state.Ledger
	runID  string
	logger *slog.Logger
}

func (b *s3Inbox) String() string { return b.prefix.String() }

// Move moves a recorded object, and its FILE.control sidecar if it has one,
// to the sibling prefix folder. An existing object of that name is kept, and
// the moved object gets a numbered name beside it.
func (b *s3Inbox) Move(ctx context.Context, f *sourceFile, folder string) (string, error) {
	if b.noMove {
		return f.Location, nil
	}
	dest, err := freeKey(ctx, b.store, b.prefix.Sibling(folder), f.Name)
	if err != nil {
		return "", err
	}
	m := &state.Move{FileID: f.SHA256[:12], Source: f.Location, Dest: dest.String(), ETag: f.ETag, RunID: b.runID}
	if err := b.ledger.StartMove(ctx, m); err != nil {
		return "", err
	}
	if err := completeMove(ctx, b.store, b.ledger, m); err != nil {
		return "", err
	}
	if f.control != nil {
		b.moveSidecar(ctx, m)
	}
	return m.Dest, nil
}

// moveSidecar moves FILE.control after its file, if it exists. A failure is
// logged, and the sidecar stays in the inbox, where runs skip it.
func (b *s3Inbox) moveSidecar(ctx context.Context, file *state.Move) {
	m := &state.Move{FileID: file.FileID, Source: file.Source + ".control", Dest: file.Dest + ".control",
		RunID: b.runID}
	err := b.startSidecarMove(ctx, m)
	if errors.Is(err, s3store.ErrNotFound) {
		return
	}
	if err == nil {
		err = completeMove(ctx, b.store, b.ledger, m)
	}
	if err != nil {
		b.logger.Error("control file not moved with its payout file", "file_id", m.FileID,
			"from", m.Source, "to", m.Dest, "error", err)
	}
}

func (b *s3Inbox) startSidecarMove(ctx context.Context, m *state.Move) error {
	src, err := s3store.ParseURL(m.Source)
	if err != nil {
		return err
	}
	info, err := b.store.Head(ctx, src)
	if err != nil {
		return err
	}
	m.ETag = info.ETag
	return b.ledger.StartMove(ctx, m)
}

// freeKey returns folder/name, or a numbered name such as payouts.1.csv when
// an object of that name exists.
func freeKey(ctx context.Context, store *s3store.Store, folder s3store.Location, name string) (s3store.Location, error) {
	candidate := folder.Child(name)
	ext := path.Ext(name)
	for i := 1; i <= maxNumberedNames; i++ {
		_, err := store.Head(ctx, candidate)
		if errors.Is(err, s3store.ErrNotFound) {
			return candidate, nil
		}
		if err != nil {
			return s3store.Location{}, err
		}
		candidate = folder.Child(fmt.Sprintf("%s.%d%s", strings.TrimSuffix(name, ext), i, ext))
	}
	return s3store.Location{}, fmt.Errorf("no free name for %s in %s after %d numbered names: clean up that prefix",
		name, folder, maxNumberedNames)
}

// completeMove finishes a recorded move from whatever point it reached. It
// copies the source unless the copy exists, deletes the source, and marks the
// move done. A source replaced by a new upload is never
// deleted, because the new upload is a new file for the next run. The move is
// given up when neither the source nor the copy exists, or when the source
// was replaced before it was copied.
func completeMove(ctx context.Context, store *s3store.Store, led *state.Ledger, m *state.Move) error {
	src, err := s3store.ParseURL(m.Source)
	if err != nil {
		return failMove(ctx, led, m, err.Error())
	}
	dst, err := s3store.ParseURL(m.Dest)
	if err != nil {
		return failMove(ctx, led, m, err.Error())
	}
	srcInfo, srcFound, err := headObject(ctx, store, src)
	if err != nil {
		return err
	}
	dstInfo, dstFound, err := headObject(ctx, store, dst)
	if err != nil {
		return err
	}

	replaced := srcFound && m.ETag != "" && srcInfo.ETag != m.ETag
	switch {
	case !srcFound && !dstFound:
		return failMove(ctx, led, m, "neither the source nor its copy exists; look for the file by its id with 'payrun status'")
	case !srcFound || (replaced && dstFound):
		return led.FinishMove(ctx, m)
	case replaced:
		return failMove(ctx, led, m, "the source was replaced by a new upload before it was copied; the next run reads the new upload as a new file")
	}

	if !dstFound || dstInfo.ETag != srcInfo.ETag {
		if err := store.Copy(ctx, src, dst, srcInfo.ETag); err != nil {
			return err
		}
	}
	err = store.Delete(ctx, src, srcInfo.ETag)
	if err != nil && !errors.Is(err, s3store.ErrChanged) {
		return err
	}
	// ErrChanged: a new upload replaced the source after the copy, and it
	// stays in the inbox for the next run.
	return led.FinishMove(ctx, m)
}

func failMove(ctx context.Context, led *state.Ledger, m *state.Move, reason string) error {
	if err := led.FailMove(ctx, m, reason); err != nil {
		return err
	}
	return fmt.Errorf("move %s to %s given up: %s", m.Source, m.Dest, reason)
}

// headObject returns an object's metadata and whether it exists.
func headObject(ctx context.Context, store *s3store.Store, loc s3store.Location) (s3store.ObjectInfo, bool, error) {
	info, err := store.Head(ctx, loc)
	if errors.Is(err, s3store.ErrNotFound) {
		return info, false, nil
	}
	if err != nil {
		return info, false, err
	}
	return info, true, nil
}

// finishPendingMoves completes the S3 inbox moves that an earlier run started
// and did not finish, before the inboxes are listed again. Failures are
// logged and the moves stay pending for the next run. With --no-move they
// are left alone.
func (r *runner) finishPendingMoves(ctx context.Context) {
	log := r.a.logger.With("run_id", r.runID)
	moves, err := r.ledger.PendingMoves(ctx)
	if err != nil {
		log.Error("pending inbox moves not read", "error", err)
		return
	}
	if len(moves) == 0 {
		return
	}
	if r.o.noMove {
		log.Warn("pending inbox moves left for a run without --no-move", "count", len(moves))
		return
	}
	store, err := openS3(ctx, r.s3Options())
	if err != nil {
		log.Error("pending inbox moves not finished", "count", len(moves), "error", err)
		return
	}
	box := &s3Inbox{store: store, ledger: r.ledger, runID: r.runID, logger: log}
	for _, m := range moves {
		if err := completeMove(ctx, store, r.ledger, m); err != nil {
			log.Error("interrupted inbox move not finished", "file_id", m.FileID, "from", m.Source,
				"to", m.Dest, "error", err)
			continue
		}
		log.Info("interrupted inbox move finished", "file_id", m.FileID, "from", m.Source, "to", m.Dest)
		if !strings.HasSuffix(m.Source, ".control") && m.State == state.MoveDone {
			// The run stopped before it moved the file's sidecar, if any.
			box.moveSidecar(ctx, m)
		}
	}
}
