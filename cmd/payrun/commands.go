package main

import "github.com/spf13/cobra"

// commands lists the subcommands of payrun, one file each.
func (a *app) commands() []*cobra.Command {
	return []*cobra.Command{
		a.runCmd(),
		a.retryCmd(),
		a.releaseCmd(),
		a.discardCmd(),
		a.validateCmd(),
		a.statusCmd(),
		a.reportCmd(),
		a.syncCmd(),
		a.webhooksCmd(),
		a.sandboxCmd(),
		a.ledgerCmd(),
	}
}
