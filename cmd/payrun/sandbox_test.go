package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startSandboxCommand runs payrun sandbox in-process and returns its stdout,
// a cancel function that stops it, and its result.
func startSandboxCommand(t *testing.T, args ...string) (*bufio.Reader, context.CancelFunc, <-chan error) {
	t.Helper()
	reader, writer := io.Pipe()
	a := newApp(writer, io.Discard)
	cmd := a.root()
	cmd.SetArgs(append([]string{"sandbox"}, args...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := cmd.ExecuteContext(ctx)
		writer.Close()
		done <- err
	}()
	t.Cleanup(cancel)
	return bufio.NewReader(reader), cancel, done
}

func TestSandboxCommand_ServesAndSavesState(t *testing.T) {
	state := filepath.Join(t.TempDir(), "sandbox.state")
	out, cancel, done := startSandboxCommand(t, "--addr", "127.0.0.1:0", "--state", state,
		"--balance", "EUR=10.00", "--latency", "1ms-2ms", "--time-scale", "10")

	first, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("read first line: %v", err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(first), "listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line = %q, want listening on http://127.0.0.1:PORT", first)
	}
	go io.Copy(io.Discard, out)

	req, _ := http.NewRequest(http.MethodGet, url+"/v1/balances/EUR", nil)
	req.Header.Set("Authorization", "Bearer ak_test_cli")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET balance: %v", err)
	}
	var balance struct {
		Available string `json:"available"`
	}
	json.NewDecoder(resp.Body).Decode(&balance)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || balance.Available != "10.00" || resp.Header.Get("X-Sandbox") != "payrun" {
		t.Errorf("balance answer %d %+v", resp.StatusCode, balance)
	}

	cancel()
	select {
	case err := <-done:
		if code := exitCode(err); code != exitOK {
			t.Errorf("exit code = %d (%v), want 0", code, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("sandbox did not stop after cancel")
	}
	info, err := os.Stat(state)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("state file %s: %v, mode %v; want mode 0600", state, err, info)
	}
}

func TestSandboxCommand_UsageErrors(t *testing.T) {
	cases := [][]string{
		{"--addr", "0.0.0.0:0"},
		{"--addr", "127.0.0.1:0", "--balance", "EUR"},
		{"--addr", "127.0.0.1:0", "--balance", "EUR=1.005"},
		{"--addr", "127.0.0.1:0", "--latency", "soon"},
		{"--addr", "127.0.0.1:0", "--error-rate", "1.5"},
		{"--addr", "127.0.0.1:0", "--time-scale", "0"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, _, stderr := runPayrun(t, t.TempDir(), append([]string{"sandbox"}, args...)...)
			if code != exitUsage {
				t.Errorf("exit code = %d, want %d; stderr %s", code, exitUsage, stderr)
			}
		})
	}
}
