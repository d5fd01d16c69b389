// Command csvloop is the CSV baseline of the validate benchmarks: a bare
// encoding/csv read loop over a file, with no validation. It prints the
// number of data rows read.
//
// By default it sets ReuseRecord, the fastest loop encoding/csv allows.
// With -plain it reads with the reader's defaults, as a loop of Read calls
// is usually written, so each record is a new allocation.
package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	plain := flag.Bool("plain", false, "read with encoding/csv's defaults instead of ReuseRecord")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: csvloop [-plain] FILE.csv")
		os.Exit(2)
	}
	rows, err := count(flag.Arg(0), !*plain)
	if err != nil {
		fmt.Fprintln(os.Stderr, "csvloop:", err)
		os.Exit(1)
	}
	fmt.Println(rows)
}

// count reads every record and returns the number after the header.
func count(path string, reuse bool) (int, error) {
	file, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer file.Close()

	r := csv.NewReader(bufio.NewReader(file))
	r.FieldsPerRecord = -1
	r.ReuseRecord = reuse
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
