package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/ingest"
	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
)

// recordBatch is how many rows go into one ledger transaction.
const recordBatch = 500

// ingestSource records a new file, or resumes a known one. A file is known by
// the SHA-256 of its bytes, whatever its name.
func (r *runner) ingestSource(ctx context.Context, src *sourceFile) error {
	log := r.a.logger.With("file", src.Location)
	known, err := r.ledger.FileBySHA256(ctx, src.SHA256)
	if err != nil {
		return err
	}
	if known != nil {
		out := &fileOutcome{source: src, file: known, status: "resumed"}
		counts, err := r.ledger.StateCounts(ctx, known.ID)
		if err != nil {
			return err
		}
		switch {
		case known.Status == state.FileRejected:
			out.status = "rejected"
			out.note = fmt.Sprintf("rejected when first recorded (%s): %s; fix the file and drop the corrected export",
				known.IngestedAt, known.ErrorMessage)
		case known.Status == state.FileHeld:
			out.status = "held"
			out.note = known.HoldReason
		case unfinished(counts) == 0:
			out.status = "duplicate"
			out.note = fmt.Sprintf("same content as file %s (%s), recorded %s; nothing new to pay",
				known.ID, known.Name, known.IngestedAt)
		}
		log.Info("file already in the ledger", "file_id", known.ID, "status", out.status)
		r.files = append(r.files, out)
		return nil
	}

	opts, approval, err := r.ingestOptions(src.Location)
	if err != nil {
		return err
	}
	// The control sidecar is read before anything is recorded: a broken one
	// stops here, instead of leaving a recorded file that a later run pays
	// without its check.
	control, err := r.control(src)
	if err != nil {
		return err
	}
	file := &state.File{ID: src.SHA256[:12], SHA256: src.SHA256, Source: src.Location, Name: src.Name,
		Size: src.Size, ETag: src.ETag, VersionID: src.VersionID, Status: state.FileIngesting,
		IngestedBy: r.user, RunID: r.runID}
	out := &fileOutcome{source: src, file: file, status: "new"}
	r.files = append(r.files, out)

	reader, err := ingest.Open(src.LocalPath, opts)
	var fileErr *ingest.FileError
	if errors.As(err, &fileErr) {
		return r.recordRejectedFile(ctx, out, fileErr)
	}
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("read payout file %s: %w", src.Location, err))
	}
	defer reader.Close()
	file.Format, file.Sheet = reader.Format(), reader.Sheet()
	if err := r.ledger.InsertFile(ctx, file); err != nil {
		return err
	}
	totals, err := r.recordRecords(ctx, file, reader)
	if err != nil && ctx.Err() != nil {
		return r.abandonIngest(ctx, out)
	}
	var damaged *damagedFileError
	if errors.As(err, &damaged) {
		return r.rejectRecordedFile(ctx, out, damaged.fe)
	}
	if err != nil {
		return err
	}

	// Until FinishIngest the file is ingesting; a crash before it makes the
	// next run discard the partial rows and ingest the file again. After it,
	// an interrupt must not stop the guards halfway, or a later run would pay
	// a file that a guard holds.
	// NOTE: a crash between FinishIngest and the hold still leaves an active
	// file without its guard, because the two are separate transactions.
	recorded := context.WithoutCancel(ctx)
	if err := r.ledger.FinishIngest(recorded, file); err != nil {
		return err
	}
	log.Info("file recorded", "file_id", file.ID, "rows", file.TotalRows, "valid", file.ValidRows,
		"invalid", file.InvalidRows, "totals", totals.Strings())
	return r.guardFile(recorded, out, control, totals, approval)
}

// abandonIngest ends a file whose recording an interrupt stopped: its partial
// rows are deleted now, as the next run would do, so neither the summary nor
// the ledger shows them as pending, and the next run reads the file again.
func (r *runner) abandonIngest(ctx context.Context, out *fileOutcome) error {
	f := out.file
	out.status = "interrupted"
	out.note = "interrupted before the file was fully recorded; none of its rows is in the ledger, and the next run reads the file again"
	if _, err := r.ledger.DiscardIncompleteFiles(context.WithoutCancel(ctx)); err != nil {
		r.a.logger.Error("partly recorded file not discarded; the next run discards it", "file_id", f.ID, "error", err)
	} else {
		r.a.logger.Warn("ingest interrupted; partly recorded file discarded", "file_id", f.ID, "file", f.Source)
	}
	return withCode(exitInterrupted, fmt.Errorf("interrupted while recording file %s (%s): the file was not fully recorded, and the next run reads it again", f.ID, f.Name))
}

// damagedFileError is a file-level problem that reading found below rows
// already recorded.
type damagedFileError struct{ fe *ingest.FileError }

func (e *damagedFileError) Error() string { return e.fe.Error() }

// recordRecords streams the file's records into the ledger in batches. A row
// that repeats an earlier row's reference makes that earlier row invalid too:
// the batch that holds the later row moves it, in the same transaction.
func (r *runner) recordRecords(ctx context.Context, file *state.File, reader *ingest.Reader) (payrun.Totals, error) {
	b := &recordBatcher{r: r, file: file, totals: payrun.Totals{}, rows: make([]*state.Row, 0, recordBatch)}
	for {
		rec, err := reader.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, b.readError(ctx, err)
		}
		if err := b.add(ctx, rec); err != nil {
			return nil, err
		}
	}
	if err := b.flush(ctx); err != nil {
		return nil, err
	}
	data, _ := json.Marshal(b.totals.Strings())
	file.Totals = string(data)
	return b.totals, nil
}

// recordBatcher collects the rows of one file and the late duplicates they
// reveal, for one ledger transaction per batch.
type recordBatcher struct {
	r      *runner
	file   *state.File
	totals payrun.Totals
	rows   []*state.Row
	late   []state.RowError
	// wasValid lists the rows of late that were counted as valid.
	wasValid map[int]bool
}

// readError records the rows read so far when the file turns out damaged
// below them, and returns the error to stop on. It is apart from the loop
// of recordRecords because the pointer that errors.As fills escapes to the
// heap, which there cost an allocation per row.
func (b *recordBatcher) readError(ctx context.Context, err error) error {
	var fileErr *ingest.FileError
	if !errors.As(err, &fileErr) {
		return withCode(exitUsage, fmt.Errorf("read payout file %s: %w", b.file.Source, err))
	}
	if err := b.flush(ctx); err != nil {
		return err
	}
	return &damagedFileError{fe: fileErr}
}

func (b *recordBatcher) add(ctx context.Context, rec ingest.Record) error {
	row, err := b.r.ledgerRow(b.file.ID, rec)
	if err != nil {
		return err
	}
	if row.State != state.Invalid && b.totals[row.Currency] > math.MaxInt64-row.AmountMinor {
		// The total would wrap around to a negative one, so the file's
		// checks could not be trusted.
		if err := b.flush(ctx); err != nil {
			return err
		}
		return &damagedFileError{fe: ingest.TotalOutOfRange(row.Currency)}
	}
	b.file.TotalRows++
	if row.State == state.Invalid {
		b.file.InvalidRows++
	} else {
		b.file.ValidRows++
		b.totals.Add(row.Currency, row.AmountMinor)
	}
	b.rows = append(b.rows, row)
	for _, d := range rec.LateDuplicates {
		b.addLate(d)
	}

	if len(b.rows) == recordBatch {
		return b.flush(ctx)
	}
	return nil
}

func (b *recordBatcher) addLate(d ingest.LateDuplicate) {
	problem, _ := json.Marshal(d.Problem)
	b.late = append(b.late, state.RowError{RowNum: d.Row, Code: d.Problem.Code,
		Message: d.Problem.String(), Problem: string(problem)})
	if d.WasValid {
		if b.wasValid == nil {
			b.wasValid = make(map[int]bool)
		}
		b.wasValid[d.Row] = true
	}
}

// flush records the batch and turns the earlier rows of its late duplicates
// invalid, then takes those that were counted valid out of the counts and
// totals.
func (b *recordBatcher) flush(ctx context.Context) error {
	if len(b.rows) == 0 && len(b.late) == 0 {
		return nil
	}
	earlier, err := b.r.ledger.RecordRowsInvalidating(ctx, b.rows, b.file.ID, b.late)
	if err != nil {
		return err
	}
	for _, row := range earlier {
		if !b.wasValid[row.RowNum] {
			continue
		}
		b.file.ValidRows--
		b.file.InvalidRows++
		b.totals.Add(row.Currency, -row.AmountMinor)
		if b.totals[row.Currency] == 0 {
			// Amounts are positive, so a zero total means no valid row is left
			// in that currency.
			delete(b.totals, row.Currency)
		}
	}
	if len(earlier) > 0 {
		b.r.a.logger.Info("earlier rows invalid: a later row repeats their reference",
			"file_id", b.file.ID, "rows", len(earlier))
	}
	b.rows, b.late, b.wasValid = b.rows[:0], b.late[:0], nil
	return nil
}

// ledgerRow converts a record: valid rows get their key and state pending;
// invalid rows keep their masked problems.
func (r *runner) ledgerRow(fileID string, rec ingest.Record) (*state.Row, error) {
	row := &state.Row{FileID: fileID, RowNum: rec.Row, LineNum: rec.Line, RunID: r.runID}
	if len(rec.Problems) > 0 {
		data, _ := json.Marshal(rec.Problems)
		row.Problems = string(data)
	}
	in := rec.Instruction
	if in == nil {
		row.State = state.Invalid
		row.Reference = rec.Reference
		for _, p := range rec.Problems {
			if p.IsError() {
				row.ErrorCode, row.ErrorMessage = p.Code, p.String()
				break
			}
		}
		return row, nil
	}
	row.State = state.Pending
	row.Reference = in.Reference
	row.AmountMinor, row.Currency = rec.Minor, in.Amount.Currency
	row.SourceCurrency = firstNonEmpty(in.SourceCurrency, in.Amount.Currency)
	row.Method, row.Purpose = in.Method, in.Purpose
	row.BeneficiaryID, row.InstrumentID = in.BeneficiaryID, in.InstrumentID
	if b := in.Beneficiary; b != nil {
		row.ExternalRef = b.ExternalRef
		row.BankFingerprint = r.fp.BankFingerprint(b.Bank)
		row.BeneficiaryName = b.DisplayName().Reveal()
		row.AccountMasked = b.Bank.Masked()
		row.EmailMasked = b.Email.String()
	}
	keyIn := submit.KeyInputFor(r.api.namespace, in, row.BankFingerprint)
	row.Key = submit.PayoutKey(keyIn, 0)
	row.ContentHash = submit.ContentHash(keyIn)
	return row, nil
}

// recordRejectedFile records a file that cannot be used at all, such as one
// missing a required column, so a rerun reports it instead of reading it again.
func (r *runner) recordRejectedFile(ctx context.Context, out *fileOutcome, fe *ingest.FileError) error {
	f := out.file
	f.Status, f.ErrorCode, f.ErrorMessage = state.FileRejected, fe.Code, fe.Error()
	f.Format = formatOfName(f.Name)
	out.status, out.note = "rejected", fe.Error()
	r.a.logger.Warn("file rejected", "file", out.source.Location, "file_id", f.ID, "code", fe.Code, "error", fe.Message)
	return r.ledger.InsertFile(ctx, f)
}

// rejectRecordedFile rejects a file found damaged below rows already
// recorded: none of its rows is sent, and a rerun reports it as rejected.
func (r *runner) rejectRecordedFile(ctx context.Context, out *fileOutcome, fe *ingest.FileError) error {
	f := out.file
	f.Status, f.ErrorCode, f.ErrorMessage = state.FileRejected, fe.Code, fe.Error()
	f.InvalidRows, f.ValidRows, f.Totals = f.TotalRows, 0, "{}"
	out.status, out.note = "rejected", fe.Error()
	r.a.logger.Warn("file rejected", "file", out.source.Location, "file_id", f.ID, "code", fe.Code,
		"rows_read", f.TotalRows, "error", fe.Message)
	return r.ledger.RejectRecordedFile(ctx, f)
}

func formatOfName(name string) string {
	if len(name) > 5 && (name[len(name)-5:] == ".xlsx" || name[len(name)-5:] == ".XLSX") {
		return "xlsx"
	}
	return "csv"
}

func unfinished(counts map[state.State]int) int {
	n := 0
	for s, c := range counts {
		if s.Unfinished() {
			n += c
		}
	}
	return n
}
