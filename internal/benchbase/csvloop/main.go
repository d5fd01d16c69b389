// Command csvloop is the CSV baseline of the validate benchmarks: a bare
// encoding/csv read loop over a file, with no validation. It prints the
// number of data rows read.
package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: csvloop FILE.csv")
		os.Exit(2)
	}
	rows, err := count(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "csvloop:", err)
		os.Exit(1)
	}
	fmt.Println(rows)
}

// count reads every record and returns the number after the header.
func count(path string) (int, error) {
	file, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer file.Close()

	r := csv.NewReader(bufio.NewReader(file))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	records := 0
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			return max(0, records-1), nil
		}
		if err != nil {
			return 0, fmt.Errorf("read %s: %w", path, err)
		}
		records++
	}
}
