package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/payrun/payrun/reconcile"
	"github.com/payrun/payrun/state"
)

// moveSources moves the inbox files of this run to processed/, held/ or
// rejected/ now that the ledger has them. A failed move is logged and retried
// by the next run, which finds the file again by its content.
func (r *runner) moveSources(ctx context.Context) {
	for _, out := range r.files {
		src := out.source
		if src == nil || src.Inbox == nil {
			continue
		}
		folder := folderProcessed
		switch out.file.Status {
		case state.FileHeld:
			folder = folderHeld
		case state.FileRejected:
			folder = folderRejected
		}
		dest, err := src.Inbox.Move(ctx, src, folder)
		if err != nil {
			r.a.logger.Error("inbox file not moved; the next run moves it", "file", src.Location, "error", err)
			continue
		}
		if dest == src.Location {
			continue
		}
		if err := r.ledger.UpdateFileLocation(ctx, out.file.ID, dest); err != nil {
			r.a.logger.Error("new file location not recorded", "file_id", out.file.ID, "error", err)
		}
		r.a.logger.Info("inbox file moved", "file_id", out.file.ID, "from", src.Location, "to", dest)
	}
}

// runSummary is the end-of-run summary: printed for people, logged as one
// JSON line and written as summary.json.
type runSummary struct {
	RunID      string                       `json:"run_id"`
	StartedAt  string                       `json:"started_at"`
	FinishedAt string                       `json:"finished_at"`
	ExitCode   int                          `json:"exit_code"`
	Stop       string                       `json:"stop,omitempty"`
	Files      []fileSummary                `json:"files"`
	States     map[string]int               `json:"states"`
	Totals     map[string]map[string]string `json:"totals"`
	Reports    []string                     `json:"reports"`
	// Unfinished counts the ledger's held, pending, submitting and retryable
	// rows after the run, of every file.
	Unfinished int `json:"unfinished"`
	// Held counts the held rows among them.
	Held int `json:"held"`
	// HeldBalance counts the held rows whose hold is insufficient balance,
	// which the next run checks again without a release.
	HeldBalance int `json:"held_balance"`
}

type fileSummary struct {
	FileID string         `json:"file_id"`
	Name   string         `json:"name"`
	Source string         `json:"source"`
	Status string         `json:"status"`
	Note   string         `json:"note,omitempty"`
	States map[string]int `json:"states"`
	// Problems lists the first rows that were not paid and why, masked.
	Problems []string `json:"problems,omitempty"`
}

// maxPrintedProblems is how many unpaid rows of a file the summary lists; the
// reports list all of them.
const maxPrintedProblems = 10

// finish writes reports and metrics, prints the summary and returns the exit error.
func (r *runner) finish(ctx context.Context, stepErr error) error {
	// Reports and the ledger's run record are written even after an interrupt.
	ctx = context.WithoutCancel(ctx)
	sum, rows, err := r.summarise(ctx)
	if err != nil {
		return err
	}
	code := r.rowExit(sum, rows)
	if stepErr != nil {
		code = rankExit(exitCode(stepErr), code)
	}
	if r.minBalanceLow(ctx) {
		code = rankExit(code, exitStopped)
	}
	sum.ExitCode = code
	if stepErr != nil {
		sum.Stop = stepErr.Error()
	}
	if counts, err := r.ledger.StateCounts(ctx, ""); err == nil {
		sum.Unfinished, sum.Held = unfinished(counts), counts[state.Held]
	}
	if sum.Held > 0 {
		n, err := r.balanceHeldRows(ctx)
		if err != nil {
			r.a.logger.Error("rows held for balance not counted", "error", err)
		}
		sum.HeldBalance = n
	}
	if err := r.writeReports(ctx, &sum, rows); err != nil {
		r.a.logger.Error("reports not written", "error", err)
		code = rankExit(code, exitUsage)
	}
	r.printSummary(r.a.stdout, &sum)
	data, _ := json.Marshal(sum)
	r.a.logger.Info("run finished", "summary", json.RawMessage(data))
	if err := r.ledger.FinishRun(ctx, r.runID, code, string(data)); err != nil {
		r.a.logger.Error("run end not recorded", "error", err)
	}
	r.metrics.finish(r, code)
	r.uploadMetrics(ctx)
	if stepErr != nil {
		return withCode(code, stepErr)
	}
	if code != exitOK {
		return withCode(code, nil)
	}
	return nil
}

// summarise collects the rows of the files this run touched.
func (r *runner) summarise(ctx context.Context) (runSummary, []*state.ReportRow, error) {
	sum := runSummary{RunID: r.runID, StartedAt: r.started.Format(time.RFC3339),
		FinishedAt: time.Now().UTC().Format(time.RFC3339), States: map[string]int{}, Files: []fileSummary{}}
	var all []*state.ReportRow
	seen := map[string]bool{}
	duplicateFile := map[string]bool{}
	for _, out := range r.files {
		if seen[out.file.ID] {
			continue
		}
		seen[out.file.ID] = true
		if out.status == "duplicate" {
			duplicateFile[out.file.ID] = true
		}
		if out.status == "interrupted" {
			// The file's partial rows were discarded, or the next run
			// discards them: none of them is pending.
			sum.Files = append(sum.Files, fileSummary{FileID: out.file.ID, Name: firstNonEmpty(out.source.Name, out.file.Name),
				Source: out.source.Location, Status: out.status, Note: out.note, States: map[string]int{}})
			continue
		}
		rows, err := r.ledger.ReportRows(ctx, state.ReportFilter{FileID: out.file.ID})
		if err != nil {
			return sum, nil, err
		}
		fs := fileSummary{FileID: out.file.ID, Name: firstNonEmpty(out.source.Name, out.file.Name), Source: out.source.Location,
			Status: out.status, Note: out.note, States: map[string]int{}}
		for _, row := range rows {
			fs.States[string(row.State)]++
			rowHold := row.State == state.Held && out.file.Status != state.FileHeld
			attention := rowProblem(row.State) || rowHold || rejectedBefore(&row.Row)
			if attention && len(fs.Problems) < maxPrintedProblems && out.status != "duplicate" {
				fs.Problems = append(fs.Problems, describeProblem(&row.Row))
			}
		}
		sum.Files = append(sum.Files, fs)
		all = append(all, rows...)
	}
	// Rows of earlier files that this run submitted (resumed work) count too.
	resumed, err := r.ledger.ReportRows(ctx, state.ReportFilter{RunID: r.runID})
	if err != nil {
		return sum, nil, err
	}
	for _, row := range resumed {
		if !seen[row.FileID] {
			all = append(all, row)
		}
	}
	// Totals count what this run handled: a duplicate file's rows were paid by
	// an earlier run and would read as tonight's payments.
	var counted []*state.ReportRow
	for _, row := range all {
		if !duplicateFile[row.FileID] {
			counted = append(counted, row)
		}
	}
	s := reconcile.Summarise(counted)
	sum.States, sum.Totals = s.States, s.Totals
	return sum, all, nil
}

// rowExit is 1 when a row of this run is invalid, rejected, conflict or
// retryable, and 4 when a file or row is held. Rows of files that were
// duplicates of earlier ones do not count again.
func (r *runner) rowExit(sum runSummary, rows []*state.ReportRow) int {
	code := exitOK
	dupFile := map[string]bool{}
	for _, f := range sum.Files {
		if f.Status == "duplicate" {
			dupFile[f.FileID] = true
		}
		if f.Status == "held" {
			code = rankExit(code, exitStopped)
		}
		if f.Status == "rejected" {
			code = rankExit(code, exitRowProblems)
		}
	}
	for _, row := range rows {
		if dupFile[row.FileID] {
			continue
		}
		if rejectedBefore(&row.Row) {
			code = rankExit(code, exitRowProblems)
		}
		switch row.State {
		case state.Invalid, state.Rejected, state.Conflict, state.Retryable:
			code = rankExit(code, exitRowProblems)
		case state.Held:
			code = rankExit(code, exitStopped)
		}
	}
	return code
}

func (r *runner) writeReports(ctx context.Context, sum *runSummary, rows []*state.ReportRow) error {
	formats, err := reconcile.ParseFormats(r.o.formats)
	if err != nil {
		return err
	}
	sink, err := r.reportSink(ctx)
	if err != nil {
		return err
	}
	prefix := r.runID + "/"
	files := map[string]*state.File{}
	for _, row := range rows {
		if _, ok := files[row.FileID]; ok {
			continue
		}
		f, err := r.ledger.File(ctx, row.FileID)
		if err != nil {
			return err
		}
		files[row.FileID] = f
	}
	written, err := reconcile.WriteReportsWith(ctx, sink, prefix, rows, formats,
		reconcile.ReportOptions{Now: time.Now(), Files: files})
	sum.Reports = written
	if err != nil {
		return err
	}
	name := prefix + "summary.json"
	sum.Reports = append(sum.Reports, sink.Location(name))
	return sink.Put(ctx, name, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	})
}

// printSummary writes the human summary to standard output.
func (r *runner) printSummary(w io.Writer, sum *runSummary) {
	fmt.Fprintf(w, "payrun run %s\n", sum.RunID)
	for _, f := range sum.Files {
		fmt.Fprintf(w, "  %s  %s  %s: %s\n", f.FileID, f.Name, f.Status, formatStates(f.States))
		if f.Note != "" {
			fmt.Fprintf(w, "      %s\n", f.Note)
		}
		for _, p := range f.Problems {
			fmt.Fprintf(w, "      %s\n", p)
		}
		if n := problemCount(f.States); n > len(f.Problems) && len(f.Problems) > 0 {
			fmt.Fprintf(w, "      … and %d more rows; see the reports\n", n-len(f.Problems))
		}
	}
	if len(sum.Files) == 0 {
		fmt.Fprintln(w, "  no new payout files")
	}
	if len(sum.States) == 0 {
		fmt.Fprintln(w, "rows: nothing new in this run")
	} else {
		fmt.Fprintf(w, "rows: %s\n", formatStates(sum.States))
	}
	for _, cur := range sortedKeys(sum.Totals) {
		fmt.Fprintf(w, "%s: %s\n", cur, formatStateAmounts(sum.Totals[cur]))
	}
	if sum.Stop != "" {
		fmt.Fprintf(w, "stopped: %s\n", sum.Stop)
	}
	if n := sum.Unfinished - sum.Held; n > 0 {
		fmt.Fprintf(w, "unfinished rows in the ledger: %d; the next run or 'payrun retry' continues them\n", n)
	}
	if sum.HeldBalance > 0 {
		fmt.Fprintf(w, "rows held for insufficient balance: %d; top up the account and run payrun again, which rechecks the balance (no release needed)\n", sum.HeldBalance)
	}
	if n := sum.Held - sum.HeldBalance; n > 0 {
		fmt.Fprintf(w, "held rows in the ledger: %d; 'payrun status' shows why; release a checked file with 'payrun release FILE_ID', or discard it with 'payrun discard FILE_ID'\n", n)
	}
	if len(sum.Reports) > 0 {
		fmt.Fprintf(w, "reports: %s\n", reportDir(sum.Reports))
	}
}

// balanceHeldRows counts the ledger's held rows whose hold is insufficient
// balance: those of files held for balance, and rows of active files that the
// submission held when Anton reported the balance short.
func (r *runner) balanceHeldRows(ctx context.Context) (int, error) {
	files, err := r.ledger.Files(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range files {
		switch {
		case f.Status == state.FileHeld && f.HoldKind == state.HoldBalance:
			counts, err := r.ledger.StateCounts(ctx, f.ID)
			if err != nil {
				return n, err
			}
			n += counts[state.Held]
		case f.Status == state.FileActive:
			rows, err := r.ledger.Rows(ctx, state.RowFilter{FileID: f.ID, States: []state.State{state.Held}})
			if err != nil {
				return n, err
			}
			for _, row := range rows {
				if row.ErrorCode == state.HoldBalance {
					n++
				}
			}
		}
	}
	return n, nil
}

// describeProblem returns one line about a row that was not paid. The
// message of an invalid row already names its row and column.
func describeProblem(row *state.Row) string {
	if row.State == state.Invalid {
		return row.ErrorMessage
	}
	return fmt.Sprintf("row %d (%s) %s: %s", row.RowNum, row.Reference, row.State, row.ErrorMessage)
}

// rejectedBefore reports a row that repeats a rejected row: no payout exists
// for it, so it needs a person like a rejected row does.
func rejectedBefore(row *state.Row) bool {
	return row.State == state.Duplicate && row.ErrorCode == state.CodeRejectedBefore
}

// rowProblem reports whether rows in this state need a person's attention.
func rowProblem(s state.State) bool {
	switch s {
	case state.Invalid, state.Rejected, state.Conflict, state.Retryable:
		return true
	}
	return false
}

func problemCount(states map[string]int) int {
	n := 0
	for s, c := range states {
		if rowProblem(state.State(s)) {
			n += c
		}
	}
	return n
}

func reportDir(paths []string) string {
	p := paths[len(paths)-1]
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[:i+1]
	}
	return p
}

func formatStates(states map[string]int) string {
	if len(states) == 0 {
		return "none"
	}
	var parts []string
	for _, s := range state.AllStates {
		if n := states[string(s)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return strings.Join(parts, ", ")
}

func formatStateAmounts(m map[string]string) string {
	var parts []string
	for _, s := range state.AllStates {
		if v, ok := m[string(s)]; ok {
			parts = append(parts, fmt.Sprintf("%s %s", v, s))
		}
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// reportSink returns the sink of --reports: a directory or an s3:// prefix.
func (r *runner) reportSink(ctx context.Context) (reconcile.Sink, error) {
	dest := firstNonEmpty(r.o.reports, r.cfg.Run.Reports, "payrun-reports")
	if isS3(dest) {
		return newS3Sink(ctx, r.s3Options(), dest)
	}
	return reconcile.DirSink{Dir: dest}, nil
}
