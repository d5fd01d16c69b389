// Command payrun pays out CSV and XLSX payout files through the Anton Payments API.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	app := newApp(os.Stdout, os.Stderr)
	err := app.root().ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil && !errors.Is(err, errQuiet) {
		fmt.Fprintf(os.Stderr, "payrun: %v\n", err)
	}
	os.Exit(code)
}
