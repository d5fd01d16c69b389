package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/ingest"
	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
)

// sendable are the states of rows a run submits.
var sendable = []state.State{state.Pending, state.Submitting, state.Retryable}

// submit sends every unfinished row of every active file in the ledger, the
// files of earlier runs included.
func (r *runner) submit(ctx context.Context) error {
	files, err := r.ledger.Files(ctx)
	if err != nil {
		return err
	}
	var work []*state.File
	total := 0
	for _, f := range files {
		if f.Status != state.FileActive || (r.only.FileID != "" && f.ID != r.only.FileID) {
			continue
		}
		counts, err := r.ledger.StateCounts(ctx, f.ID)
		if err != nil {
			return err
		}
		n := counts[state.Pending] + counts[state.Submitting] + counts[state.Retryable]
		if n > 0 {
			work, total = append(work, f), total+n
		}
	}
	if total == 0 {
		return nil
	}
	res := r.submitFiles(ctx, work, total)
	return r.submitExit(res)
}

// submitFiles runs the engine over the files' rows and returns its result.
func (r *runner) submitFiles(ctx context.Context, files []*state.File, total int) submit.Result {
	progress := r.progress(total)
	r.engine.Progress = progress.step
	defer progress.done()

	jobs := make(chan submit.Job)
	go func() {
		defer close(jobs)
		for _, f := range files {
			if err := r.feed(ctx, f, jobs); err != nil {
				r.a.logger.Error("rows of file not dispatched", "file_id", f.ID, "error", err)
			}
			if ctx.Err() != nil {
				return
			}
		}
	}()
	res := r.engine.Submit(ctx, jobs)
	// Drain what the producer may still hold after the workers stopped.
	for range jobs {
	}
	r.metrics.result(res)
	return res
}

// feed sends the file's sendable rows. Rows whose beneficiary must still be
// created need their raw data, which the ledger does not keep, so the source
// file is read again (verified by its SHA-256) for them.
func (r *runner) feed(ctx context.Context, f *state.File, jobs chan<- submit.Job) error {
	filter := r.only
	filter.FileID, filter.States = f.ID, sendable
	if len(r.onlyStates) > 0 {
		filter.States = r.onlyStates
	}
	rows, err := r.ledger.Rows(ctx, filter)
	if err != nil {
		return err
	}
	needSource := map[int]*state.Row{}
	for _, row := range rows {
		if row.RequestBody == "" && row.ExternalRef != "" && (row.BeneficiaryID == "" || row.InstrumentID == "") {
			needSource[row.RowNum] = row
			continue
		}
		if !send(ctx, jobs, submit.Job{Row: row}) {
			return nil
		}
	}
	if len(needSource) == 0 {
		return nil
	}
	return r.feedFromSource(ctx, f, needSource, jobs)
}

func (r *runner) feedFromSource(ctx context.Context, f *state.File, rows map[int]*state.Row, jobs chan<- submit.Job) error {
	instructions, err := r.reread(ctx, f, rows)
	if err != nil {
		r.a.logger.Warn("source file not re-read; rows whose beneficiary is not cached stay retryable",
			"file_id", f.ID, "source", f.Source, "error", err)
	}
	for num, row := range rows {
		if !send(ctx, jobs, submit.Job{Row: row, Instruction: instructions[num]}) {
			return nil
		}
	}
	return nil
}

// reread returns the instructions of the given rows from the file's source.
// It holds at most the rows asked for in memory.
func (r *runner) reread(ctx context.Context, f *state.File, rows map[int]*state.Row) (map[int]*payrun.Instruction, error) {
	path, cleanup, err := r.localCopy(ctx, f)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	sum, _, err := ingest.FileSHA256(path)
	if err != nil {
		return nil, err
	}
	if sum != f.SHA256 {
		return nil, fmt.Errorf("%s changed since it was recorded (SHA-256 %.12s, expected %.12s): supply the original file", path, sum, f.SHA256)
	}
	opts, _, err := r.ingestOptions(f.Source)
	if err != nil {
		return nil, err
	}
	reader, err := ingest.Open(path, opts)
	if err != nil {
		return nil, err
	}
	defer reader.Close()
	out := map[int]*payrun.Instruction{}
	for len(out) < len(rows) {
		rec, err := reader.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, err
		}
		if _, ok := rows[rec.Row]; ok && rec.Instruction != nil {
			out[rec.Row] = rec.KeepInstruction()
		}
	}
	return out, nil
}

// localCopy returns a readable local path of a recorded file.
func (r *runner) localCopy(ctx context.Context, f *state.File) (string, func(), error) {
	if isS3(f.Source) {
		return spoolS3(ctx, r.s3Options(), f.Source)
	}
	if _, err := os.Stat(f.Source); err != nil {
		return "", nil, fmt.Errorf("source file %s: %w", f.Source, err)
	}
	return f.Source, func() {}, nil
}

func send(ctx context.Context, jobs chan<- submit.Job, job submit.Job) bool {
	select {
	case jobs <- job:
		return true
	case <-ctx.Done():
		return false
	}
}

// submitExit turns the engine's result into the run's stop, if any.
func (r *runner) submitExit(res submit.Result) error {
	switch {
	case res.Interrupted:
		return withCode(exitInterrupted, errors.New("interrupted: requests in flight were finished and recorded; rerun payrun to continue"))
	case res.StopReason == submit.StopAuth:
		return withCode(exitStopped, errors.New("stopped: Anton rejected the API key or the account (see the log); fix the key or the account, then rerun; unsent rows stay pending"))
	case res.StopReason == submit.StopBreaker:
		return withCode(exitStopped, errors.New("stopped: Anton failed too many requests in a row (circuit breaker); unsent rows stay pending, rerun later"))
	case len(res.StoppedCurrencies) > 0:
		return withCode(exitStopped, fmt.Errorf("stopped submitting %v: insufficient balance; the remaining rows are held until a run finds enough balance", res.StoppedCurrencies))
	}
	return nil
}

// progressReporter shows progress: a bar on a terminal, else a log line every
// 10 seconds.
type progressReporter struct {
	step func()
	done func()
}

func (r *runner) progress(total int) progressReporter {
	if isTerminal(os.Stderr) && r.a.logFormat == "text" {
		bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("submitting"), progressbar.OptionShowCount(),
			progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
		return progressReporter{step: func() { bar.Add(1) }, done: func() { bar.Finish() }}
	}
	var finished int64
	counter := make(chan struct{}, 64)
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		start := time.Now()
		for {
			select {
			case <-counter:
				finished++
			case <-tick.C:
				rate := float64(finished) / time.Since(start).Minutes()
				r.a.logger.Info("progress", "rows_done", finished, "rows_total", total,
					"rows_per_minute", int(rate), "pacing_per_minute", int(r.api.client.Limiter().Rate()))
			case <-stop:
				return
			}
		}
	}()
	return progressReporter{step: func() { counter <- struct{}{} }, done: func() { close(stop) }}
}
