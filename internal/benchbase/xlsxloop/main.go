// Command xlsxloop is the XLSX baseline of the validate benchmarks: a bare
// excelize Rows loop over the first sheet, reading every row's cells with no
// validation. It prints the number of data rows read.
package main

import (
	"fmt"
	"os"

	"github.com/xuri/excelize/v2"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: xlsxloop FILE.xlsx")
		os.Exit(2)
	}
	rows, err := count(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "xlsxloop:", err)
		os.Exit(1)
	}
	fmt.Println(rows)
}

// count reads every row of the first sheet and returns the number after the
// header. It uses the same worksheet size limit as payrun, so both spool a
// large sheet to a temporary file instead of holding it in memory.
func count(path string) (int, error) {
	book, err := excelize.OpenFile(path, excelize.Options{UnzipXMLSizeLimit: 1 << 20})
	if err != nil {
		return 0, err
	}
	defer book.Close()

	rows, err := book.Rows(book.GetSheetName(0))
	if err != nil {
		return 0, err
	}
	defer rows.Close()

	n := 0
	for rows.Next() {
		if _, err := rows.Columns(excelize.Options{RawCellValue: true}); err != nil {
			return 0, fmt.Errorf("read row %d: %w", n+1, err)
		}
		n++
	}
	if err := rows.Error(); err != nil {
		return 0, err
	}
	return max(0, n-1), nil
}
