package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/payrun/payrun/reconcile"
	"github.com/payrun/payrun/state"
)

func (a *app) reportCmd() *cobra.Command {
	var lo ledgerOptions
	var fileID, runID, since, formats, out, s3Endpoint string
	var staleAfter time.Duration
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write reconciliation reports from the ledger",
		Long: `Report writes one report per file (CSV, JSON and XLSX) from the ledger, for one
file, the files a run touched, or the files ingested since a date. It can run at
any time, also while a run is in progress.

Each JSON report and the Summary sheet of each XLSX report reconcile the file:
per currency the requested total of the valid rows and its split into
submitted (completed, failed, returned, in flight), rejected, skipped and
pending rows; control checks (the valid rows still sum to the totals recorded
at ingest, requested equals the sum of the final and pending states, every
submitted row has a payout id); and the rows that need a person: failed or
returned payouts, rejected, conflict, held, invalid, retryable and submitting
rows, and statuses unchanged for longer than --stale-after.

Exit status: 0 reports written and every control check passed; 1 a control
check failed; 2 usage or configuration error.`,
		Example: `  payrun report --sandbox --file 3f2a9c1b7d4e --format csv,xlsx --out reports/
  payrun report --since 2026-12-01 --out reports/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			led, err := lo.open(cmd.Context())
			if err != nil {
				return err
			}
			defer led.Close()
			filter := state.ReportFilter{FileID: fileID, RunID: runID}
			if fileID != "" {
				if _, err := led.File(cmd.Context(), fileID); err != nil {
					return withCode(exitUsage, err)
				}
			}
			if runID != "" {
				known, err := led.RunExists(cmd.Context(), runID)
				if err != nil {
					return err
				}
				if !known {
					return usageError("run %s not found in the ledger %s", runID, led.Path())
				}
			}
			dest := reportDest{dir: out, s3: s3Options{endpoint: s3Endpoint, day: time.Now().UTC()}}
			return a.report(cmd.Context(), led, filter, since, formats, dest, staleAfter)
		},
	}
	lo.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&fileID, "file", "", "report one file by its id")
	f.StringVar(&runID, "run", "", "report the files a run touched, by run id")
	f.StringVar(&since, "since", "", "report files ingested on or after this date (YYYY-MM-DD) or RFC 3339 time")
	f.StringVar(&formats, "format", "csv,json", "report formats, comma-separated: csv, json, xlsx")
	f.StringVar(&out, "out", "payrun-reports", "directory or s3:// prefix that receives the reports (in a bucket, below YYYY/MM/DD/)")
	f.StringVar(&s3Endpoint, "s3-endpoint", "", "S3-compatible endpoint URL for an s3:// --out (default $AWS_ENDPOINT_URL_S3); uses path-style addressing")
	f.DurationVar(&staleAfter, "stale-after", reconcile.DefaultStaleAfter,
		"list a submitted payout as a discrepancy when its status is not terminal and unchanged for this long")
	return cmd
}

// reportDest is where payrun report writes: a directory or an s3:// prefix.
type reportDest struct {
	dir string
	s3  s3Options
}

func (a *app) report(ctx context.Context, led *state.Ledger, filter state.ReportFilter, since, formats string, dest reportDest, staleAfter time.Duration) error {
	if staleAfter <= 0 {
		return usageError("invalid --stale-after %s: use a positive duration such as 72h", staleAfter)
	}

	if since != "" {
		t, err := parseSince(since)
		if err != nil {
			return usageError("invalid --since %q: use YYYY-MM-DD or an RFC 3339 time", since)
		}
		filter.Since = t.Format(time.RFC3339Nano)
	}
	list, err := reconcile.ParseFormats(formats)
	if err != nil {
		return withCode(exitUsage, err)
	}

	rows, err := led.ReportRows(ctx, filter)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(a.stdout, "no rows match; nothing written")
		return nil
	}
	var sink reconcile.Sink = reconcile.DirSink{Dir: dest.dir}
	if isS3(dest.dir) {
		if sink, err = newS3Sink(ctx, dest.s3, dest.dir); err != nil {
			return withCode(exitUsage, err)
		}
	}

	opts, err := reportOptions(ctx, led, rows, staleAfter)
	if err != nil {
		return err
	}
	written, err := reconcile.WriteReportsWith(ctx, sink, "", rows, list, opts)
	for _, w := range written {
		fmt.Fprintln(a.stdout, w)
	}
	if err != nil {
		return err
	}

	if !a.printReconciliation(rows, opts) {
		return withCode(exitRowProblems, nil)
	}
	return nil
}

// reportOptions loads the ledger's records of the reported files, so the
// reports check the rows against the totals recorded at ingest.
func reportOptions(ctx context.Context, led *state.Ledger, rows []*state.ReportRow, staleAfter time.Duration) (reconcile.ReportOptions, error) {
	opts := reconcile.ReportOptions{Now: time.Now(), StaleAfter: staleAfter, Files: map[string]*state.File{}}
	ids, _ := reconcile.GroupByFile(rows)
	for _, id := range ids {
		f, err := led.File(ctx, id)
		if err != nil {
			return opts, err
		}
		opts.Files[id] = f
	}
	return opts, nil
}

// printReconciliation prints one line per file and reports whether every
// control check passed.
func (a *app) printReconciliation(rows []*state.ReportRow, opts reconcile.ReportOptions) bool {
	passed := true
	ids, byFile := reconcile.GroupByFile(rows)
	for _, id := range ids {
		rec := reconcile.Reconcile(byFile[id], opts.Files[id], opts)
		result := "control checks passed"
		if !rec.Passed {
			passed = false
			var failed []string
			for _, c := range rec.Checks {
				if !c.Passed {
					failed = append(failed, c.Name+" ("+c.Detail+")")
				}
			}
			result = "control checks FAILED: " + strings.Join(failed, "; ")
		}
		fmt.Fprintf(a.stdout, "%s: %s, %d discrepancies\n", id, result, len(rec.Discrepancies))
	}
	return passed
}

func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}
