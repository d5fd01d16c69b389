package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payrun/payrun/state"
)

// hangGuard bounds how long a test waits for a payrun process to reach a
// point, so a broken build fails instead of hanging. It is no timing check.
const hangGuard = 2 * time.Minute

// pausingProxy forwards requests to the S3 server. The first request that
// matches is reported on reached and held until release is closed. It then
// fails with 503 instead of reaching the server.
type pausingProxy struct {
	*httptest.Server
	reached chan *http.Request
	release chan struct{}
}

func startPausingProxy(t *testing.T, target string, match func(*http.Request) bool) *pausingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	// The default director keeps the Host header, so the SigV4 signature that
	// the client computed for the proxy's address still verifies.
	forward := httputil.NewSingleHostReverseProxy(u)
	p := &pausingProxy{reached: make(chan *http.Request, 1), release: make(chan struct{})}
	var once sync.Once
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paused := false
		if match(r) {
			once.Do(func() { paused = true })
		}
		if !paused {
			forward.ServeHTTP(w, r)
			return
		}
		p.reached <- r
		<-p.release
		http.Error(w, "paused by the test", http.StatusServiceUnavailable)
	}))
	t.Cleanup(func() {
		p.unpause()
		p.Close()
	})
	return p
}

func (p *pausingProxy) unpause() {
	select {
	case <-p.release:
	default:
		close(p.release)
	}
}

// wait returns the paused request, or fails the test when the process
// exits or hangGuard passes first.
func (p *pausingProxy) wait(t *testing.T, exited <-chan error) *http.Request {
	t.Helper()
	select {
	case r := <-p.reached:
		return r
	case err := <-exited:
		t.Fatalf("payrun exited (%v) before the paused request", err)
	case <-time.After(hangGuard):
		t.Fatalf("payrun did not reach the paused request within %s", hangGuard)
	}
	return nil
}

// startProcess starts the built payrun binary in dir with the test's
// environment. Its exit error arrives on the returned channel.
func startProcess(t *testing.T, bin, dir string, stderr *bytes.Buffer, args ...string) (*exec.Cmd, <-chan error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, os.Environ()
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
	})
	return cmd, exited
}

func exitCodeOf(err error) int {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestS3Run_OverlappingRunExits3(t *testing.T) {
	e := newS3Env(t)
	e.upload(t, "inbox/june.csv", "june.csv", true)
	bin := buildPayrun(t)
	listing := func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Query().Has("list-type") }
	proxy := startPausingProxy(t, e.srv.URL, listing)
	args := []string{"run", "--sandbox", "--ledger", e.ledger, "--settle", "10m", "--log-format", "json"}

	var firstLog bytes.Buffer
	_, firstExited := startProcess(t, bin, e.dir, &firstLog, append(args, "--s3-endpoint", proxy.URL, "s3://payouts/inbox/")...)
	// The first run lists the inbox only after it took the run lock.
	proxy.wait(t, firstExited)

	second := exec.Command(bin, append(args, "--s3-endpoint", e.srv.URL, "s3://payouts/inbox/")...)
	second.Dir, second.Env = e.dir, os.Environ()
	out, err := second.CombinedOutput()
	if code := exitCodeOf(err); code != exitLocked {
		t.Errorf("second run exit=%d, want 3\n%s", code, out)
	}
	if !strings.Contains(string(out), "another payrun run holds the ledger lock") {
		t.Errorf("second run output does not say that the lock is held:\n%s", out)
	}

	proxy.unpause()
	// The paused listing fails with 503, which the SDK retries against the
	// server, so the first run goes on to pay the file.
	if code := exitCodeOf(<-firstExited); code != exitOK {
		t.Fatalf("first run exit=%d, want 0\n%s", code, firstLog.String())
	}
	if got := e.keys(t, ""); !slices.Equal(got, []string{"processed/june.csv"}) {
		t.Errorf("bucket after the first run = %v, want processed/june.csv", got)
	}
	checkJSONLog(t, firstLog.String())
}

// checkJSONLog checks that every log line is a JSON object and that the run
// ended with the summary line.
func checkJSONLog(t *testing.T, log string) {
	t.Helper()
	var summary json.RawMessage
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("{")) {
			continue // the human summary on standard output
		}
		var entry struct {
			Msg     string          `json:"msg"`
			Summary json.RawMessage `json:"summary"`
		}
		if err := json.Unmarshal(line, &entry); err != nil {
			t.Errorf("log line is not JSON: %v\n%s", err, line)
			continue
		}
		if entry.Msg == "run finished" {
			summary = entry.Summary
		}
	}
	var s runSummary
	if err := json.Unmarshal(summary, &s); err != nil || s.RunID == "" {
		t.Errorf("no \"run finished\" log line with the run summary (%v):\n%s", err, log)
	}
}

func TestS3Inbox_CrashBetweenCopyAndDelete(t *testing.T) {
	e := newS3Env(t)
	e.upload(t, "inbox/june.csv", "june.csv", true)
	e.upload(t, "inbox/july.csv", "july.csv", true)
	bin := buildPayrun(t)
	deleting := func(r *http.Request) bool { return r.Method == http.MethodDelete }
	proxy := startPausingProxy(t, e.srv.URL, deleting)

	var log bytes.Buffer
	cmd, exited := startProcess(t, bin, e.dir, &log, "run", "--sandbox", "--ledger", e.ledger,
		"--settle", "10m", "--s3-endpoint", proxy.URL, "s3://payouts/inbox/")
	paused := proxy.wait(t, exited)
	// The object is copied and its delete is on the wire: kill the run here.
	cmd.Process.Kill()
	<-exited
	proxy.unpause()

	key := strings.TrimPrefix(paused.URL.Path, "/"+bucket+"/")
	name := strings.TrimPrefix(key, "inbox/")
	copied := "processed/" + name
	keys := e.keys(t, "")
	if !slices.Contains(keys, key) || !slices.Contains(keys, copied) {
		t.Fatalf("bucket after the crash = %v, want both %s and its copy %s", keys, key, copied)
	}
	led := e.openLedger(t)
	pending, err := led.PendingMoves(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].Source != "s3://payouts/"+key {
		t.Fatalf("pending moves after the crash = %+v, want the move of %s", pending, key)
	}
	led.Close()

	code, stdout, stderr := e.run(t, "s3://payouts/inbox/")
	if code != exitOK {
		t.Fatalf("run after the crash exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "interrupted inbox move finished") {
		t.Errorf("log does not report the finished move:\n%s", stderr)
	}
	want := []string{"processed/july.csv", "processed/june.csv"}
	if got := e.keys(t, ""); !slices.Equal(got, want) {
		t.Errorf("bucket after the repair = %v, want %v", got, want)
	}

	led = e.openLedger(t)
	if pending, _ := led.PendingMoves(context.Background()); len(pending) != 0 {
		t.Errorf("pending moves after the repair = %d, want 0", len(pending))
	}
	files := filesBySource(t, led)
	for _, k := range want {
		if files["s3://payouts/"+k] == nil {
			t.Errorf("no ledger file at s3://payouts/%s; sources %v", k, sortedKeys(files))
		}
	}
	counts, err := led.StateCounts(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if counts[state.Submitted] != 5 || len(counts) != 1 {
		t.Errorf("row states = %v, want 5 submitted", counts)
	}
}

func TestS3Run_ConfigFileRunTable(t *testing.T) {
	e := newS3Env(t)
	e.upload(t, "inbox/june.csv", "june.csv", true)
	config := `[run]
sources = ["s3://payouts/inbox/"]
ledger = "config.db"
reports = "s3://payouts/reports/"
report_formats = ["csv", "json"]
metrics_file = "payrun.prom"
settle = "5m"
s3_endpoint = "` + e.srv.URL + `"
require_approval = true
`
	if err := os.WriteFile(filepath.Join(e.dir, "payrun.toml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runPayrun(t, e.dir, "--log-format", "json", "run", "--sandbox", "--config", "payrun.toml")
	if code != exitStopped {
		t.Fatalf("run exit=%d, want 4 (held for approval)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	checkJSONLog(t, stderr)
	// --sandbox sets the config file's ledger aside for payrun-sandbox.db.
	if _, err := os.Stat(filepath.Join(e.dir, "config.db")); err == nil {
		t.Errorf("run --sandbox wrote to the config file's ledger config.db")
	}
	if _, err := os.Stat(filepath.Join(e.dir, "payrun-sandbox.db")); err != nil {
		t.Errorf("run --sandbox did not use payrun-sandbox.db: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "payrun.prom")); err != nil {
		t.Errorf("the config file's metrics file was not written: %v", err)
	}
	if got := e.keys(t, "held/"); !slices.Equal(got, []string{"held/june.csv"}) {
		t.Errorf("held/ = %v, want june.csv held for approval", got)
	}
	var formats []string
	for _, k := range e.keys(t, "reports/") {
		formats = append(formats, filepath.Ext(k))
	}
	slices.Sort(formats)
	if want := []string{".csv", ".json", ".json", ".prom"}; !slices.Equal(formats, want) {
		t.Errorf("report extensions = %v, want %v (csv and json reports, summary, metrics)", formats, want)
	}

	// --sandbox sets PAYRUN_LEDGER aside too.
	t.Setenv("PAYRUN_LEDGER", filepath.Join(e.dir, "env.db"))
	if code, stdout, stderr := runPayrun(t, e.dir, "run", "--sandbox", "--config", "payrun.toml"); code != exitOK {
		t.Fatalf("run with PAYRUN_LEDGER exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "env.db")); err == nil {
		t.Errorf("run --sandbox wrote to PAYRUN_LEDGER's ledger env.db")
	}
}
