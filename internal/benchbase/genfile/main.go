// Command genfile writes a payout file for the validate benchmarks: CSV or
// XLSX by the extension of -out, with -rows data rows that pay existing
// beneficiaries by id.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/payrun/payrun/internal/benchbase/benchfile"
)

func main() {
	rows := flag.Int("rows", 1000, "number of data rows")
	out := flag.String("out", "", "output file, .csv or .xlsx")
	flag.Parse()

	if err := write(*out, *rows); err != nil {
		fmt.Fprintln(os.Stderr, "genfile:", err)
		os.Exit(1)
	}
}

func write(path string, rows int) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return benchfile.WriteCSVFile(path, rows)
	case ".xlsx":
		return benchfile.WriteXLSXFile(path, rows)
	}
	return fmt.Errorf("-out %q: give a path ending in .csv or .xlsx", path)
}
