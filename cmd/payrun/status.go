package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/payrun/payrun/state"
)

func (a *app) statusCmd() *cobra.Command {
	var lo ledgerOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [FILE_ID]",
		Short: "Show the files in the ledger and their row counts per state",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			led, err := lo.open(cmd.Context())
			if err != nil {
				return err
			}
			defer led.Close()
			fileID := ""
			if len(args) == 1 {
				fileID = args[0]
			}
			return a.status(cmd.Context(), led, fileID, asJSON)
		},
	}
	lo.addFlags(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}

type fileStatus struct {
	FileID     string            `json:"file_id"`
	Name       string            `json:"name"`
	Source     string            `json:"source"`
	Status     string            `json:"status"`
	HoldReason string            `json:"hold_reason,omitempty"`
	Error      string            `json:"error,omitempty"`
	IngestedAt string            `json:"ingested_at"`
	Rows       int               `json:"rows"`
	States     map[string]int    `json:"states"`
	Totals     map[string]string `json:"totals"`
}

func (a *app) status(ctx context.Context, led *state.Ledger, fileID string, asJSON bool) error {
	var files []*state.File
	if fileID != "" {
		f, err := led.File(ctx, fileID)
		if err != nil {
			return withCode(exitUsage, err)
		}
		files = []*state.File{f}
	} else {
		var err error
		if files, err = led.Files(ctx); err != nil {
			return err
		}
	}
	var out []fileStatus
	for _, f := range files {
		counts, err := led.StateCounts(ctx, f.ID)
		if err != nil {
			return err
		}
		fs := fileStatus{FileID: f.ID, Name: f.Name, Source: f.Source, Status: f.Status,
			HoldReason: f.HoldReason, Error: f.ErrorMessage, IngestedAt: f.IngestedAt,
			Rows: f.TotalRows, States: stateNames(counts), Totals: map[string]string{}}
		json.Unmarshal([]byte(f.Totals), &fs.Totals)
		out = append(out, fs)
	}
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"files": out})
	}
	if len(out) == 0 {
		fmt.Fprintln(a.stdout, "no files in the ledger", led.Path())
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE ID\tNAME\tSTATUS\tROWS\tSTATES\tVALID TOTALS")
	for _, f := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", f.FileID, f.Name, f.Status, f.Rows,
			formatStates(f.States), formatTotals(f.Totals))
	}
	tw.Flush()
	for _, f := range out {
		if f.HoldReason != "" {
			fmt.Fprintf(a.stdout, "%s held: %s\n", f.FileID, f.HoldReason)
		}
		if f.Error != "" {
			fmt.Fprintf(a.stdout, "%s rejected: %s\n", f.FileID, f.Error)
		}
	}
	return nil
}
