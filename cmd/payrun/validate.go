package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/payrun/payrun/ingest"
)

// validateOptions are the flags of payrun validate.
type validateOptions struct {
	json         bool
	errorsOut    string
	profile      string
	configPath   string
	delimiter    string
	encoding     string
	decimal      string
	grouping     string
	sheet        string
	headerRow    int
	expectRows   int
	expectTotals []string
}

func (a *app) validateCmd() *cobra.Command {
	var o validateOptions
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check payout files offline, without the ledger or the network",
		Long: `Check payout files offline, without the ledger or the network.

Every row is validated and every problem is listed with its row, column,
masked value, a stable code and a hint. The summary gives valid and invalid
rows and the totals of valid rows per currency. A control sidecar FILE.control
(rows = N, [totals] EUR = "6975.25") beside a file is checked unless
--expect-rows or --expect-total is given.

Exit status: 0 all rows valid, 1 invalid rows or a file-level problem (missing
column, bad encoding, control mismatch), 2 a file that cannot be read or a
usage error.`,
		Example: `  payrun validate samples/payouts-clean.csv
  payrun validate --json payouts.xlsx
  payrun validate --errors-out fix-me.csv --delimiter ';' --decimal ',' payouts.csv`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runValidate(cmd, &o, args)
		},
	}

	f := cmd.Flags()
	f.BoolVar(&o.json, "json", false, "print one JSON document instead of the table")
	f.StringVar(&o.errorsOut, "errors-out", "",
		"write the invalid rows, with their original columns and unmasked values plus error columns, to this CSV file (mode 0600)")
	f.StringVar(&o.profile, "profile", "", "source profile from the config file (default: the first profile whose match fits the file)")
	f.StringVar(&o.configPath, "config", "", "config file (default: $PAYRUN_CONFIG, else payrun.toml in the working directory if present)")
	f.StringVar(&o.delimiter, "delimiter", "", `CSV delimiter: ",", ";", "|" or "tab" (overrides the profile)`)
	f.StringVar(&o.encoding, "encoding", "", `text encoding of CSV files without a byte-order mark, for example "windows-1252"`)
	f.StringVar(&o.decimal, "decimal", "", `decimal separator of amounts: "." or ","`)
	f.StringVar(&o.grouping, "grouping", "", `thousands separator of amounts: ",", ".", "space" or "'" (default: none)`)
	f.StringVar(&o.sheet, "sheet", "", "XLSX sheet to read (default: the first visible sheet with the required columns)")
	f.IntVar(&o.headerRow, "header-row", 0, "1-based row of the header (default: detected)")
	f.IntVar(&o.expectRows, "expect-rows", 0, "expected number of valid rows, instead of FILE.control")
	f.StringArrayVar(&o.expectTotals, "expect-total", nil,
		"expected total of valid rows as CUR=AMOUNT, for example EUR=6975.25; repeatable; instead of FILE.control")
	return cmd
}

func (a *app) runValidate(cmd *cobra.Command, o *validateOptions, paths []string) error {
	if o.errorsOut != "" && len(paths) > 1 {
		return usageError("--errors-out takes one payout file at a time; got %d files", len(paths))
	}
	cfg, err := loadConfig(o.configPath)
	if err != nil {
		return withCode(exitUsage, err)
	}
	flagControl, err := o.control(cmd)
	if err != nil {
		return withCode(exitUsage, err)
	}

	var out *ingest.ErrorsCSV
	if o.errorsOut != "" {
		if out, err = ingest.CreateErrorsCSV(o.errorsOut); err != nil {
			return withCode(exitUsage, err)
		}
		defer out.Abort()
	}

	doc := validateDocument{Files: []*ingest.FileReport{}}
	code := exitOK
	for _, path := range paths {
		opts, err := o.options(cmd, cfg, path)
		if err != nil {
			return withCode(exitUsage, err)
		}
		report, fileCode := a.validateOne(path, opts, flagControl, out)
		doc.Files = append(doc.Files, report)
		doc.Rows.Add(report.Rows)
		code = rankExit(code, fileCode)
	}

	if out != nil {
		if err := out.Close(); err != nil {
			return withCode(exitUsage, err)
		}
	}
	if err := a.printValidation(o.json, &doc); err != nil {
		return err
	}
	if code == exitOK {
		return nil
	}
	return withCode(code, nil)
}

// validateOne validates one file and returns its report and exit code.
func (a *app) validateOne(path string, opts ingest.Options, flagControl *ingest.Control, out *ingest.ErrorsCSV) (*ingest.FileReport, int) {
	control := flagControl
	var controlErr error
	if control == nil {
		control, controlErr = ingest.ReadControl(path)
	}

	var visit func(*ingest.Reader, ingest.Record) error
	if out != nil {
		visit = func(r *ingest.Reader, rec ingest.Record) error { return out.Write(r.Header(), rec) }
	}
	report, err := ingest.ValidateFileFunc(path, opts, control, visit)
	if err != nil {
		a.logger.Error("payout file unreadable", "path", path, "error", err)
		return &ingest.FileReport{Path: path, Totals: map[string]string{}, Problems: []ingest.Problem{},
			Error: &ingest.FileError{Code: ingest.CodeUnreadable, Message: err.Error(),
				Hint: "check the path and the file's permissions"}}, exitUsage
	}
	if controlErr != nil {
		report.Problems = append(report.Problems, ingest.Problem{Severity: ingest.SeverityError,
			Code: ingest.CodeControlInvalid, Message: controlErr.Error(),
			Hint: "fix the control file: rows = N and a [totals] table such as EUR = \"6975.25\""})
	}
	a.logger.Debug("payout file validated", "path", path, "rows", report.Rows.Total,
		"valid", report.Rows.Valid, "invalid", report.Rows.Invalid)

	if report.OK() {
		return report, exitOK
	}
	return report, exitRowProblems
}

// options builds the ingest options of one file: its profile, with the
// command-line flags that were set applied on top.
func (o *validateOptions) options(cmd *cobra.Command, cfg *config, path string) (ingest.Options, error) {
	profile, err := cfg.profile(o.profile, path)
	if err != nil {
		return ingest.Options{}, err
	}
	flags := cmd.Flags()
	set := func(name string, target *string, value string) {
		if flags.Changed(name) {
			*target = value
		}
	}
	set("delimiter", &profile.Delimiter, o.delimiter)
	set("encoding", &profile.Encoding, o.encoding)
	set("decimal", &profile.Decimal, o.decimal)
	set("grouping", &profile.Grouping, o.grouping)
	set("sheet", &profile.Sheet, o.sheet)
	if flags.Changed("header-row") {
		profile.HeaderRow = o.headerRow
	}
	if err := profile.Validate(); err != nil {
		return ingest.Options{}, err
	}
	return ingest.Options{Profile: profile, Defaults: cfg.Defaults}, nil
}

// control returns the control given by flags, or nil when none was given.
func (o *validateOptions) control(cmd *cobra.Command) (*ingest.Control, error) {
	rowsSet := cmd.Flags().Changed("expect-rows")
	if !rowsSet && len(o.expectTotals) == 0 {
		return nil, nil
	}
	c := &ingest.Control{}
	if rowsSet {
		if o.expectRows < 0 {
			return nil, fmt.Errorf("--expect-rows %d is negative", o.expectRows)
		}
		rows := o.expectRows
		c.Rows = &rows
	}
	for _, total := range o.expectTotals {
		if err := c.ParseControlTotal(total); err != nil {
			return nil, fmt.Errorf("--expect-total: %w", err)
		}
	}
	return c, nil
}

// validateDocument is the JSON document of payrun validate --json.
type validateDocument struct {
	Files []*ingest.FileReport `json:"files"`
	Rows  ingest.RowCounts     `json:"rows"`
}

func (a *app) printValidation(asJSON bool, doc *validateDocument) error {
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return fmt.Errorf("write JSON output: %w", err)
		}
		return nil
	}
	for _, report := range doc.Files {
		if err := printReport(a.stdout, report); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	return nil
}

// printReport writes one file's problems as a table, then its summary.
func printReport(w io.Writer, r *ingest.FileReport) error {
	fmt.Fprintf(w, "%s\n", describeFile(r))
	if r.Error != nil {
		fmt.Fprintf(w, "  file error [%s]: %s\n", r.Error.Code, r.Error.Message)
		if r.Error.Hint != "" {
			fmt.Fprintf(w, "  hint: %s\n", r.Error.Hint)
		}
		_, err := fmt.Fprintln(w)
		return err
	}

	if len(r.Problems) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  ROW\tLINE\tCOLUMN\tSEVERITY\tCODE\tVALUE\tMESSAGE\tHINT")
		for _, p := range r.Problems {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", rowLabel(p.Row), rowLabel(p.Line),
				oneLine(p.Column), p.Severity, p.Code, oneLine(p.Value), p.Message, p.Hint)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	fmt.Fprintf(w, "  rows: %d total, %d valid, %d invalid, %d with warnings\n",
		r.Rows.Total, r.Rows.Valid, r.Rows.Invalid, r.Rows.Warnings)
	_, err := fmt.Fprintf(w, "  totals of valid rows: %s\n\n", formatTotals(r.Totals))
	return err
}

func describeFile(r *ingest.FileReport) string {
	parts := []string{}
	if r.Format != "" {
		parts = append(parts, r.Format)
	}
	if r.Sheet != "" {
		parts = append(parts, fmt.Sprintf("sheet %q", r.Sheet))
	}
	if len(r.SHA256) >= 12 {
		parts = append(parts, "file id "+r.SHA256[:12])
	}
	if len(parts) == 0 {
		return r.Path
	}
	return fmt.Sprintf("%s (%s)", r.Path, strings.Join(parts, ", "))
}

func rowLabel(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

// oneLine keeps a table cell on one line.
func oneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
}

func formatTotals(totals map[string]string) string {
	if len(totals) == 0 {
		return "none"
	}
	codes := make([]string, 0, len(totals))
	for code := range totals {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	parts := make([]string, len(codes))
	for i, code := range codes {
		parts[i] = code + " " + totals[code]
	}
	return strings.Join(parts, ", ")
}
