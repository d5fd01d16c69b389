// Command validateprof runs ingest.ValidateFile over one file, as payrun
// validate does, and writes a CPU profile of the run and, with -memprofile,
// a heap profile at its end, for go tool pprof. It prints the row counts
// and the file's SHA-256.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/payrun/payrun/ingest"
)

func main() {
	cpu := flag.String("cpuprofile", "cpu.pprof", "write the CPU profile to this file")
	heap := flag.String("memprofile", "", "write a heap profile at the end to this file")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: validateprof [-cpuprofile FILE] [-memprofile FILE] FILE")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *cpu, *heap); err != nil {
		fmt.Fprintln(os.Stderr, "validateprof:", err)
		os.Exit(1)
	}
}

func run(path, cpu, heap string) error {
	out, err := os.Create(cpu)
	if err != nil {
		return err
	}
	defer out.Close()
	if err := pprof.StartCPUProfile(out); err != nil {
		return err
	}
	report, err := ingest.ValidateFile(path, ingest.Options{}, nil)
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	fmt.Println(report.Rows.Total, report.Rows.Valid, report.SHA256)

	if heap == "" {
		return nil
	}
	h, err := os.Create(heap)
	if err != nil {
		return err
	}
	defer h.Close()
	runtime.GC()
	return pprof.WriteHeapProfile(h)
}
