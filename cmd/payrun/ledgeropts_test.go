package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit/sandbox"
)

// sandboxDir returns a working directory with samples/payouts-clean.csv as
// payouts.csv and an environment without any Anton or ledger settings.
func sandboxDir(t *testing.T) string {
	t.Helper()
	t.Setenv("ANTON_BASE_URL", "")
	t.Setenv("ANTON_API_KEY", "")
	t.Setenv("PAYRUN_LEDGER", "")
	t.Setenv("PAYRUN_CONFIG", "")
	t.Setenv("PAYRUN_FINGERPRINT_KEY", "")
	dir := t.TempDir()
	copyFile(t, filepath.Join("..", "..", "samples", "payouts-clean.csv"), filepath.Join(dir, "payouts.csv"))
	return dir
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func recordedAPI(t *testing.T, path string) state.API {
	t.Helper()
	led, err := state.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	api, err := led.RecordedAPI(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return api
}

func TestSandbox_SetsAsideConfiguredLedger(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir, real string)
	}{
		{"PAYRUN_LEDGER", func(t *testing.T, dir, real string) {
			t.Setenv("PAYRUN_LEDGER", real)
		}},
		{"config file", func(t *testing.T, dir, real string) {
			config := "[run]\nledger = \"" + real + "\"\n"
			if err := os.WriteFile(filepath.Join(dir, "payrun.toml"), []byte(config), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := sandboxDir(t)
			real := filepath.Join(dir, "var", "payrun.db")
			tc.setup(t, dir, real)

			code, stdout, stderr := runPayrun(t, dir, "run", "--sandbox", "payouts.csv")
			if code != exitOK {
				t.Fatalf("run --sandbox exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if exists(real) {
				t.Errorf("run --sandbox created the configured ledger %s", real)
			}
			if exists(filepath.Join(dir, "var", "payrun-sandbox.state")) {
				t.Errorf("run --sandbox wrote its sandbox state beside the configured ledger")
			}
			if !exists(filepath.Join(dir, "payrun-sandbox.db")) {
				t.Errorf("run --sandbox did not use payrun-sandbox.db in the working directory")
			}
			if n := strings.Count(stderr, "does not use the configured ledger"); n != 1 {
				t.Errorf("run --sandbox logged the set-aside ledger %d times, want once:\n%s", n, stderr)
			}
			if !strings.Contains(stderr, real) {
				t.Errorf("the set-aside log line does not name %s:\n%s", real, stderr)
			}

			code, stdout, stderr = runPayrun(t, dir, "status", "--sandbox", "--json")
			if code != exitOK {
				t.Fatalf("status --sandbox exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stdout, `"submitted"`) {
				t.Errorf("status --sandbox does not show the sandbox run's rows:\n%s", stdout)
			}
		})
	}
}

func TestSandbox_LedgerFlagWins(t *testing.T) {
	dir := sandboxDir(t)
	t.Setenv("PAYRUN_LEDGER", filepath.Join(dir, "configured.db"))
	chosen := filepath.Join(dir, "demo-sandbox.db")

	code, stdout, stderr := runPayrun(t, dir, "run", "--sandbox", "--ledger", chosen, "payouts.csv")
	if code != exitOK {
		t.Fatalf("run --sandbox --ledger exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !exists(chosen) {
		t.Errorf("run --sandbox --ledger did not use %s", chosen)
	}
	if exists(filepath.Join(dir, "payrun-sandbox.db")) || exists(filepath.Join(dir, "configured.db")) {
		t.Errorf("run --sandbox --ledger also wrote another ledger")
	}
	if strings.Contains(stderr, "does not use the configured ledger") {
		t.Errorf("an explicit --ledger was logged as a set-aside ledger:\n%s", stderr)
	}
	if api := recordedAPI(t, chosen); api != state.APISandbox {
		t.Errorf("recorded API of the sandbox ledger = %q, want sandbox", api)
	}
}

func TestRun_RejectsSandboxLedger(t *testing.T) {
	dir := sandboxDir(t)
	if code, stdout, stderr := runPayrun(t, dir, "run", "--sandbox", "payouts.csv"); code != exitOK {
		t.Fatalf("run --sandbox exit=%d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	srv := startSandbox(t, sandbox.Options{})

	code, _, _, message := runPayrunErr(t, context.Background(), dir, "run", "--ledger", "payrun-sandbox.db", "payouts.csv")
	if code != exitUsage {
		t.Errorf("real run on the sandbox ledger exit=%d, want 2 (%s)", code, message)
	}
	if !strings.Contains(message, "payrun-sandbox.db contains payouts of the built-in sandbox") || !strings.Contains(message, "add --sandbox") {
		t.Errorf("message = %q, want it to name the sandbox ledger and the fix", message)
	}
	if n := srv.Stats().PayoutsCreated; n != 0 {
		t.Errorf("the real API got %d payouts from a sandbox ledger, want 0", n)
	}
}

func TestSandbox_RejectsRealLedger(t *testing.T) {
	dir, _ := paidLedger(t)
	t.Setenv("ANTON_BASE_URL", "")
	copyFile(t, filepath.Join("..", "..", "samples", "payouts-clean.csv"), filepath.Join(dir, "payouts.csv"))

	for _, args := range [][]string{
		{"run", "--sandbox", "--ledger", "payrun.db", "payouts.csv"},
		{"status", "--sandbox", "--ledger", "payrun.db"},
	} {
		code, _, _, message := runPayrunErr(t, context.Background(), dir, args...)
		if code != exitUsage {
			t.Errorf("%s exit=%d, want 2 (%s)", strings.Join(args, " "), code, message)
		}
		if !strings.Contains(message, "payrun.db contains payouts sent to the Anton API") || !strings.Contains(message, "drop --ledger") {
			t.Errorf("%s message = %q, want it to name the real ledger and the fix", strings.Join(args, " "), message)
		}
	}
	if exists(filepath.Join(dir, "payrun-sandbox.state")) {
		t.Errorf("the rejected sandbox run still started a sandbox beside the real ledger")
	}
}

// TestSandbox_RejectsUnrecordedRealLedger covers a ledger from before the
// ledger_api table: its rows, without a sandbox key, make it a real ledger.
func TestSandbox_RejectsUnrecordedRealLedger(t *testing.T) {
	dir, _ := paidLedger(t)
	t.Setenv("ANTON_BASE_URL", "")
	ledger := filepath.Join(dir, "payrun.db")
	led, err := state.Open(context.Background(), ledger)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := led.DB().Exec(`DELETE FROM ledger_api`); err != nil {
		t.Fatal(err)
	}
	led.Close()
	copyFile(t, filepath.Join("..", "..", "samples", "payouts-clean.csv"), filepath.Join(dir, "payouts.csv"))

	code, _, _, message := runPayrunErr(t, context.Background(), dir, "run", "--sandbox", "--ledger", "payrun.db", "payouts.csv")
	if code != exitUsage {
		t.Errorf("run --sandbox on an unrecorded real ledger exit=%d, want 2 (%s)", code, message)
	}
	if api := recordedAPI(t, ledger); api != state.APIAnton {
		t.Errorf("recorded API after the rejected sandbox run = %q, want anton", api)
	}
}

func TestStatus_SandboxMissingLedgerHint(t *testing.T) {
	dir := sandboxDir(t)
	code, _, _, message := runPayrunErr(t, context.Background(), dir, "status", "--sandbox")
	if code != exitUsage {
		t.Errorf("status --sandbox without a ledger exit=%d, want 2", code)
	}
	if strings.Contains(message, "add --sandbox") {
		t.Errorf("message = %q suggests --sandbox, which was given", message)
	}
	if !strings.Contains(message, "sandbox ledger payrun-sandbox.db not found") || !strings.Contains(message, "payrun run --sandbox") {
		t.Errorf("message = %q, want it to name payrun-sandbox.db and how to create it", message)
	}
}

func TestConfigLedgerPath_Precedence(t *testing.T) {
	cases := []struct {
		name, flag, env, configured string
		sandbox                     bool
		want                        string
	}{
		{"default", "", "", "", false, "payrun.db"},
		{"config file", "", "", "config.db", false, "config.db"},
		{"env over config file", "", "env.db", "config.db", false, "env.db"},
		{"flag over env", "flag.db", "env.db", "config.db", false, "flag.db"},
		{"sandbox default", "", "", "", true, "payrun-sandbox.db"},
		{"sandbox ignores config file", "", "", "config.db", true, "payrun-sandbox.db"},
		{"sandbox ignores env", "", "env.db", "config.db", true, "payrun-sandbox.db"},
		{"sandbox takes flag", "flag.db", "env.db", "config.db", true, "flag.db"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PAYRUN_LEDGER", tc.env)
			if got := configLedgerPath(tc.flag, tc.configured, tc.sandbox); got != tc.want {
				t.Errorf("configLedgerPath(%q, %q, %v) with PAYRUN_LEDGER=%q = %q, want %q",
					tc.flag, tc.configured, tc.sandbox, tc.env, got, tc.want)
			}
		})
	}
}
