package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payrun/payrun/submit/sandbox"
)

// runPayrun runs the CLI in-process and returns its exit code and outputs.
func runPayrun(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	code, stdout, stderr, _ := runPayrunErr(t, context.Background(), dir, args...)
	return code, stdout, stderr
}

// runPayrunErr runs the CLI in-process with ctx and also returns the error
// message that main prints, or "" when there is none.
func runPayrunErr(t *testing.T, ctx context.Context, dir string, args ...string) (int, string, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := newApp(&stdout, &stderr)
	cmd := a.root()
	cmd.SetArgs(args)
	old, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(old)
	err := cmd.ExecuteContext(ctx)
	message := ""
	if err != nil && !errors.Is(err, errQuiet) {
		message = err.Error()
	}
	return exitCode(err), stdout.String(), stderr.String(), message
}

// startSandbox starts a sandbox on loopback and points the environment at it.
func startSandbox(t *testing.T, opts sandbox.Options) *sandbox.Server {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	srv, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	t.Setenv("ANTON_BASE_URL", srv.URL())
	t.Setenv("ANTON_API_KEY", sandbox.NewTestKey())
	t.Setenv("PAYRUN_LEDGER", "")
	t.Setenv("PAYRUN_CONFIG", "")
	return srv
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestRun_PaysOnceAcrossRerunsAndRenames(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	src, _ := filepath.Abs("testdata/mixed.csv")
	copyFile(t, src, filepath.Join(dir, "payouts.csv"))

	code, stdout, stderr := runPayrun(t, dir, "run", "--max-invalid", "20%", "payouts.csv")
	if code != exitRowProblems {
		t.Fatalf("first run exit=%d, want %d (one invalid row)\nstdout:\n%s\nstderr:\n%s", code, exitRowProblems, stdout, stderr)
	}
	stats := srv.Stats()
	if stats.PayoutsCreated != 10 {
		t.Errorf("payouts_created=%d after the first run, want 10", stats.PayoutsCreated)
	}

	copyFile(t, src, filepath.Join(dir, "payouts (1).csv"))
	for _, name := range []string{"payouts.csv", "payouts (1).csv"} {
		code, stdout, stderr = runPayrun(t, dir, "run", "--max-invalid", "20%", name)
		if code != exitOK {
			t.Errorf("rerun of %s exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", name, code, stdout, stderr)
		}
		if !strings.Contains(stdout, "duplicate") {
			t.Errorf("rerun of %s does not report a duplicate file:\n%s", name, stdout)
		}
	}
	stats = srv.Stats()
	if stats.PayoutsCreated != 10 {
		t.Errorf("payouts_created=%d after reruns, want 10", stats.PayoutsCreated)
	}
	if len(stats.DuplicateReferences) != 0 {
		t.Errorf("duplicate_references=%v, want none", stats.DuplicateReferences)
	}
	if got := stats.PayoutsByReference["T-2"]; got.Amount != "250.50" || got.Currency != "EUR" {
		t.Errorf("payout T-2 = %+v, want 250.50 EUR", got)
	}
	if stats.BeneficiariesCreated != 9 {
		t.Errorf("beneficiaries_created=%d, want 9 (T-1 and T-2 share one)", stats.BeneficiariesCreated)
	}
}

func TestRun_MasksBankDataEverywhere(t *testing.T) {
	startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	src, _ := filepath.Abs("testdata/mixed.csv")
	copyFile(t, src, filepath.Join(dir, "payouts.csv"))

	_, stdout, stderr := runPayrun(t, dir, "--log-level", "debug", "run", "--max-invalid", "20%", "payouts.csv")
	secrets := []string{"DE89370400440532013000", "AT611904300234573201", "987654321012",
		"31926819", "55779911", "jorg@example.de", "1980-01-02"}
	outputs := map[string]string{"stdout": stdout, "stderr": stderr}
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || filepath.Base(path) == "payouts.csv" {
			return nil
		}
		data, _ := os.ReadFile(path)
		outputs[path] = string(data)
		return nil
	})
	for name, text := range outputs {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s contains the raw value %q", name, s)
			}
		}
	}
	if len(outputs) < 5 {
		t.Errorf("only %d outputs checked; expected the ledger, key and reports too", len(outputs))
	}
}

func TestRun_SandboxFlagTwice(t *testing.T) {
	t.Setenv("ANTON_BASE_URL", "")
	t.Setenv("PAYRUN_LEDGER", "")
	t.Setenv("PAYRUN_CONFIG", "")
	dir := t.TempDir()
	src, _ := filepath.Abs("testdata/mixed.csv")
	copyFile(t, src, filepath.Join(dir, "payouts.csv"))

	code, stdout, stderr := runPayrun(t, dir, "run", "--sandbox", "--max-invalid", "20%", "payouts.csv")
	if code != exitRowProblems {
		t.Fatalf("first run exit=%d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, _ = runPayrun(t, dir, "run", "--sandbox", "--max-invalid", "20%", "payouts.csv")
	if code != exitOK {
		t.Errorf("second run exit=%d, want 0:\n%s", code, stdout)
	}
	srv, err := sandbox.New(sandbox.Options{StateFile: filepath.Join(dir, "payrun-sandbox.state")})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if n := srv.Stats().PayoutsCreated; n != 10 {
		t.Errorf("sandbox state has %d payouts after two runs, want 10", n)
	}

	code, stdout, _ = runPayrun(t, dir, "status", "--sandbox", "--json")
	if code != exitOK {
		t.Fatalf("status exit=%d", code)
	}
	var status struct {
		Files []fileStatus `json:"files"`
	}
	if err := json.Unmarshal([]byte(stdout), &status); err != nil {
		t.Fatalf("status --json: %v\n%s", err, stdout)
	}
	if len(status.Files) != 1 || status.Files[0].States["submitted"] != 10 || status.Files[0].States["invalid"] != 1 {
		t.Errorf("status = %+v, want one file with 10 submitted and 1 invalid", status.Files)
	}
}

func TestRun_HeldForTooManyInvalid(t *testing.T) {
	srv := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	src, _ := filepath.Abs("testdata/mixed.csv")
	copyFile(t, src, filepath.Join(dir, "payouts.csv"))

	code, stdout, _ := runPayrun(t, dir, "run", "--max-invalid", "0", "payouts.csv")
	if code != exitStopped {
		t.Fatalf("exit=%d, want %d\n%s", code, exitStopped, stdout)
	}
	if n := srv.Stats().PayoutsCreated; n != 0 {
		t.Errorf("a held file created %d payouts", n)
	}
}

// A run without sources is a usage error, so a cron job that finds no config
// file alerts. A configured source with nothing new still exits 0.
func TestRun_NoSourcesIsUsageError(t *testing.T) {
	startSandbox(t, sandbox.Options{})
	dir := t.TempDir()

	code, stdout, _, message := runPayrunErr(t, context.Background(), dir, "run")
	if code != exitUsage {
		t.Errorf("run without sources: exit=%d, want 2\n%s", code, stdout)
	}
	if !strings.Contains(message, "no payout sources: pass files or folders, or set [run] sources in the config file") {
		t.Errorf("run without sources: error %q does not say how to name sources", message)
	}
	if _, err := os.Stat(filepath.Join(dir, "payrun.db")); err == nil {
		t.Errorf("run without sources created a ledger")
	}

	if err := os.Mkdir(filepath.Join(dir, "inbox"), 0o700); err != nil {
		t.Fatal(err)
	}
	config := "[run]\nsources = [\"inbox\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "payrun.toml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runPayrun(t, dir, "run")
	if code != exitOK {
		t.Errorf("run of an empty configured inbox: exit=%d, want 0\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "no new payout files") {
		t.Errorf("run of an empty configured inbox does not say so:\n%s", stdout)
	}
}
