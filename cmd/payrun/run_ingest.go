package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

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
		if unfinished(counts) == 0 {
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
	file := &state.File{ID: src.SHA256[:12], SHA256: src.SHA256, Source: src.Location, Name: src.Name,
		Size: src.Size, ETag: src.ETag, VersionID: src.VersionID, Status: state.FileActive,
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
	if err != nil {
		return err
	}
	if err := r.ledger.UpdateFileCounts(ctx, file); err != nil {
		return err
	}
	log.Info("file recorded", "file_id", file.ID, "rows", file.TotalRows, "valid", file.ValidRows,
		"invalid", file.InvalidRows, "totals", totals.Strings())
	return r.guardFile(ctx, out, opts, totals, approval)
}

// recordRecords streams the file's records into the ledger in batches.
func (r *runner) recordRecords(ctx context.Context, file *state.File, reader *ingest.Reader) (payrun.Totals, error) {
	totals := payrun.Totals{}
	batch := make([]*state.Row, 0, recordBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := r.ledger.RecordRows(ctx, batch)
		batch = batch[:0]
		return err
	}
	for {
		rec, err := reader.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var fileErr *ingest.FileError
		if errors.As(err, &fileErr) {
			return nil, withCode(exitRowProblems, fmt.Errorf("file %s became unreadable at a later row: %w", file.Name, err))
		}
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("read payout file %s: %w", file.Source, err))
		}
		row, err := r.ledgerRow(file.ID, rec)
		if err != nil {
			return nil, err
		}
		file.TotalRows++
		if row.State == state.Invalid {
			file.InvalidRows++
		} else {
			file.ValidRows++
			totals.Add(row.Currency, row.AmountMinor)
		}
		batch = append(batch, row)
		if len(batch) == recordBatch {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	data, _ := json.Marshal(totals.Strings())
	file.Totals = string(data)
	return totals, nil
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
