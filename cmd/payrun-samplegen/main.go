// Command payrun-samplegen writes a large fictitious payout file for chaos
// tests and benchmarks.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/payrun/payrun/internal/samplegen"
)

func main() {
	rows := flag.Int("rows", 1000, "number of data rows")
	payees := flag.Int("beneficiaries", 0, "number of distinct beneficiaries (default rows/10)")
	prefix := flag.String("prefix", "GEN-", "prefix of every reference and external_ref")
	seed := flag.Uint64("seed", 1, "random seed of the amounts")
	out := flag.String("out", "", "output file (default standard output)")
	flag.Parse()

	w := os.Stdout
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			fmt.Fprintln(os.Stderr, "payrun-samplegen:", err)
			os.Exit(2)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	err := samplegen.Write(bw, samplegen.Options{Rows: *rows, Beneficiaries: *payees, Prefix: *prefix, Seed: *seed})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "payrun-samplegen:", err)
		os.Exit(1)
	}
}
