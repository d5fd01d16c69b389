package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// app holds what every subcommand shares: output streams, global flags and
// the logger. User-facing output goes to stdout; logs go to stderr.
type app struct {
	stdout io.Writer
	stderr io.Writer

	logFormat string
	logLevel  string
	logger    *slog.Logger
}

func newApp(stdout, stderr io.Writer) *app {
	return &app{stdout: stdout, stderr: stderr, logger: slog.New(slog.DiscardHandler)}
}

// root builds the command tree.
func (a *app) root() *cobra.Command {
	cmd := &cobra.Command{
		Use:           "payrun",
		Short:         "Pay out CSV and XLSX payout files through the Anton Payments API",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return a.setupLogging()
		},
	}
	cmd.PersistentFlags().StringVar(&a.logFormat, "log-format", "text",
		"log format on standard error: text or json (json suits cron and log pipelines)")
	cmd.PersistentFlags().StringVar(&a.logLevel, "log-level", "info",
		"minimum log level: debug, info, warn or error")
	cmd.SetOut(a.stdout)
	cmd.SetErr(a.stderr)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return withCode(exitUsage, fmt.Errorf("%w (see '%s --help')", err, c.CommandPath()))
	})

	for _, sub := range a.commands() {
		cmd.AddCommand(sub)
	}
	return cmd
}

func (a *app) setupLogging() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return usageError("invalid --log-level %q: use debug, info, warn or error", a.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(a.logFormat) {
	case "text":
		a.logger = slog.New(slog.NewTextHandler(a.stderr, opts))
	case "json":
		a.logger = slog.New(slog.NewJSONHandler(a.stderr, opts))
	default:
		return usageError("invalid --log-format %q: use text or json", a.logFormat)
	}
	slog.SetDefault(a.logger)
	return nil
}

// isTerminal reports whether f is a character device, such as an interactive
// terminal, rather than a pipe or a file.
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
