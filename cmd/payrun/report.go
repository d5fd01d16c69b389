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
	var fileID, runID, since, formats, out string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write reconciliation reports from the ledger",
		Long: `Report writes one report per file (CSV, JSON and XLSX) from the ledger, for one
file, the files a run touched, or the files ingested since a date. It can run at
any time, also while a run is in progress.`,
		Example: `  payrun report --sandbox --file 3f2a9c1b7d4e --format csv,xlsx --out reports/
  payrun report --since 2026-12-01 --out reports/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			led, err := lo.open(cmd.Context())
			if err != nil {
				return err
			}
			defer led.Close()
			return a.report(cmd.Context(), led, state.ReportFilter{FileID: fileID, RunID: runID}, since, formats, out)
		},
	}
	lo.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&fileID, "file", "", "report one file by its id")
	f.StringVar(&runID, "run", "", "report the files a run touched, by run id")
	f.StringVar(&since, "since", "", "report files ingested on or after this date (YYYY-MM-DD) or RFC 3339 time")
	f.StringVar(&formats, "format", "csv,json", "report formats, comma-separated: csv, json, xlsx")
	f.StringVar(&out, "out", "payrun-reports", "directory that receives the reports")
	return cmd
}

func (a *app) report(ctx context.Context, led *state.Ledger, filter state.ReportFilter, since, formats, out string) error {
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
	if strings.HasPrefix(out, "s3://") {
		return usageError("payrun report writes to a local directory; use payrun run --reports s3://… for bucket reports")
	}
	written, err := reconcile.WriteReports(ctx, reconcile.DirSink{Dir: out}, "", rows, list, time.Now())
	for _, w := range written {
		fmt.Fprintln(a.stdout, w)
	}
	return err
}

func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}
