package main

import (
	"bufio"
	"context"
	"flag"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/payrun/payrun/internal/samplegen"
	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit/sandbox"
)

var (
	chaosRows  = flag.Int("chaos.rows", 0, "rows of the chaos test's payout file; 0 skips the chaos test")
	chaosKills = flag.Int("chaos.kills", 20, "how many times the chaos test kills payrun with SIGKILL")
	chaosSeed  = flag.Uint64("chaos.seed", 0, "seed of the kill times (0: from the clock)")
)

// TestChaos_KilledRunsPayOnce runs a real payrun process against a sandbox
// that fails 5% of requests with 500, drops 2% of connections after creating
// the payout, and responds with bursts of 429. It kills the process with SIGKILL
// at random moments and restarts it until the file is done. Every valid
// reference must end with exactly one payout of the file's amount.
func TestChaos_KilledRunsPayOnce(t *testing.T) {
	if *chaosRows == 0 {
		t.Skip("chaos test skipped: run with -chaos.rows=N (scripts/chaos.sh)")
	}
	seed := *chaosSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("chaos seed %d, %d rows, %d kills", seed, *chaosRows, *chaosKills)
	rng := rand.New(rand.NewPCG(seed, 1))

	bin := buildPayrun(t)
	srv := startSandbox(t, sandbox.Options{RateLimit: 6000,
		Balances: map[string]string{"EUR": "100000000.00", "USD": "100000000.00", "GBP": "100000000.00"},
		Faults: sandbox.Faults{
			ErrorRate: 0.05, DropAfterRate: 0.02, ThrottleRate: 0.002,
			Latency: sandbox.Range{Min: 2 * time.Millisecond, Max: 20 * time.Millisecond},
		}})
	dir := t.TempDir()
	file := filepath.Join(dir, "chaos.csv")
	writeChaosFile(t, file, *chaosRows)

	runs, kills := 0, 0
	for done := false; !done; runs++ {
		if runs > *chaosKills+20 {
			t.Fatalf("file not done after %d runs", runs)
		}
		cmd := exec.Command(bin, "run", "--log-format", "json", "--concurrency", "16", "--retry-budget", "100000", file)
		cmd.Dir = dir
		cmd.Env = os.Environ()
		log, _ := os.Create(filepath.Join(dir, "run.log"))
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()

		var err error
		if kills < *chaosKills {
			select {
			case err = <-exited:
			case <-time.After(time.Duration(50+rng.IntN(1500)) * time.Millisecond):
				cmd.Process.Signal(syscall.SIGKILL)
				<-exited
				kills++
				log.Close()
				continue
			}
		} else {
			err = <-exited
		}
		log.Close()
		code := 0
		if exitErr, ok := err.(*exec.ExitError); ok {
			code = exitErr.ExitCode()
		}
		// A run ends 0 when all is paid, or 1 when rows stay retryable after
		// this run's budget; rerun until every row is final.
		done = code == exitOK && allFinal(t, filepath.Join(dir, "payrun.db"))
		if code != exitOK && code != exitRowProblems {
			data, _ := os.ReadFile(filepath.Join(dir, "run.log"))
			t.Fatalf("run %d exited %d:\n%s", runs, code, tail(string(data), 30))
		}
	}
	t.Logf("%d runs, %d of them killed", runs, kills)
	checkPaidOnce(t, srv.Stats(), file)
}

func buildPayrun(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "payrun")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func writeChaosFile(t *testing.T, path string, rows int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := samplegen.Write(w, samplegen.Options{Rows: rows, Prefix: "CH-", Seed: 7}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	f.Close()
}

// allFinal reports whether no row of the ledger is unfinished.
func allFinal(t *testing.T, ledgerPath string) bool {
	t.Helper()
	led, err := state.Open(context.Background(), ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	counts, err := led.StateCounts(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return unfinished(counts) == 0 && counts[state.Rejected] == 0 && counts[state.Conflict] == 0
}

// checkPaidOnce compares the sandbox's payouts with the file's rows.
func checkPaidOnce(t *testing.T, stats sandbox.Stats, file string) {
	t.Helper()
	if len(stats.DuplicateReferences) != 0 {
		t.Errorf("duplicate payouts for references %v", stats.DuplicateReferences)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	rows := 0
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		ref, amount, cur := fields[0], fields[1], fields[2]
		rows++
		got, ok := stats.PayoutsByReference[ref]
		switch {
		case !ok:
			t.Errorf("reference %s has no payout", ref)
		case got.Count != 1:
			t.Errorf("reference %s has %d payouts", ref, got.Count)
		case got.Amount != amount || got.Currency != cur:
			t.Errorf("reference %s paid %s %s, file says %s %s", ref, got.Amount, got.Currency, amount, cur)
		}
	}
	if stats.PayoutsCreated != rows {
		t.Errorf("payouts_created=%d, want %d", stats.PayoutsCreated, rows)
	}
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
