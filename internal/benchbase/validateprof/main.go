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
	"runtime/trace"

	"github.com/payrun/payrun/ingest"
)

func main() {
	cpu := flag.String("cpuprofile", "cpu.pprof", "write the CPU profile to this file")
	heap := flag.String("memprofile", "", "write a heap profile at the end to this file")
	traceOut := flag.String("trace", "", "write an execution trace of the run to this file, for go tool trace")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: validateprof [-cpuprofile FILE] [-memprofile FILE] [-trace FILE] FILE")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *cpu, *heap, *traceOut); err != nil {
		fmt.Fprintln(os.Stderr, "validateprof:", err)
		os.Exit(1)
	}
}

func run(path, cpu, heap, traceOut string) error {
	if traceOut != "" {
		t, err := os.Create(traceOut)
		if err != nil {
			return err
		}
		defer t.Close()
		if err := trace.Start(t); err != nil {
			return err
		}
		defer trace.Stop()
	}

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
