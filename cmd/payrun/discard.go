package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func (a *app) discardCmd() *cobra.Command {
	var lo ledgerOptions
	var by, reason string
	cmd := &cobra.Command{
		Use:   "discard FILE_ID",
		Short: "Discard a held file so that none of its rows is paid and a corrected file can be re-dropped",
		Long: `Discard ends a held file without paying it: its held rows become invalid with
code discarded, and the file's status becomes discarded, with who discarded it
and why. A corrected file with the same references is then paid normally when
it is dropped again. Rows already sent are not touched.`,
		Example: `  payrun discard 3f2a9c1b7d4e --by "Dana Fischer" --reason "control totals wrong; corrected export follows"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.discard(cmd.Context(), &lo, args[0], strings.TrimSpace(by), strings.TrimSpace(reason))
		},
	}
	lo.addFlags(cmd)
	cmd.Flags().StringVar(&by, "by", "", "name of the person who decided to discard the file (required)")
	cmd.Flags().StringVar(&reason, "reason", "", "why the file is discarded, kept in the ledger and reports (required)")
	return cmd
}

func (a *app) discard(ctx context.Context, lo *ledgerOptions, fileID, by, reason string) error {
	if by == "" || reason == "" {
		return usageError("discard needs --by NAME and --reason TEXT, which the ledger keeps with the file")
	}
	path := lo.resolve()
	lock, err := acquireLock(path)
	if err != nil {
		return err
	}
	defer lock.Release()
	led, err := lo.open(ctx)
	if err != nil {
		return err
	}
	defer led.Close()

	if _, err := led.File(ctx, fileID); err != nil {
		return withCode(exitUsage, err)
	}
	rows, err := led.DiscardFile(ctx, fileID, by+" (os user "+currentUser()+")", reason)
	if err != nil {
		return withCode(exitUsage, err)
	}
	a.logger.Info("file discarded", "file_id", fileID, "rows", rows, "by", by)
	fmt.Fprintf(a.stdout, "file %s discarded by %s: %d rows will not be paid; a corrected file can now be dropped again\n", fileID, by, rows)
	return nil
}
