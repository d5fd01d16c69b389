package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/payrun/payrun/internal/s3store/s3test"
	"github.com/payrun/payrun/state"
)

// bucket is the bucket of every S3 test.
const bucket = "payouts"

// s3Env is a versitygw server with one bucket, and a working directory for
// the ledger of payrun runs against the in-process sandbox.
type s3Env struct {
	srv    *s3test.Server
	dir    string
	ledger string
}

func newS3Env(t *testing.T) *s3Env {
	t.Helper()
	srv := s3test.Start(t)
	srv.SetEnv(t)
	srv.CreateBucket(t, bucket)
	for _, k := range []string{"ANTON_BASE_URL", "ANTON_API_KEY", "PAYRUN_LEDGER", "PAYRUN_CONFIG",
		"PAYRUN_FINGERPRINT_KEY"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	return &s3Env{srv: srv, dir: dir, ledger: filepath.Join(dir, "payrun.db")}
}

// upload puts a testdata/s3 file as key. An aged object was last modified an
// hour ago, well past the settle time of the tests.
func (e *s3Env) upload(t *testing.T, key, file string, aged bool) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "s3", file))
	if err != nil {
		t.Fatal(err)
	}
	e.put(t, key, data, aged)
}

func (e *s3Env) put(t *testing.T, key string, data []byte, aged bool) {
	t.Helper()
	e.srv.Put(t, bucket, key, data)
	if aged {
		e.srv.SetModTime(t, bucket, key, time.Now().Add(-time.Hour))
	}
}

// run runs payrun run in-process against the sandbox and the S3 server.
func (e *s3Env) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	base := []string{"run", "--sandbox", "--ledger", e.ledger, "--s3-endpoint", e.srv.URL, "--settle", "10m"}
	return runPayrun(t, e.dir, append(base, args...)...)
}

func (e *s3Env) keys(t *testing.T, prefix string) []string {
	t.Helper()
	return e.srv.Keys(t, bucket, prefix)
}

func (e *s3Env) openLedger(t *testing.T) *state.Ledger {
	t.Helper()
	led, err := state.Open(context.Background(), e.ledger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	return led
}

// xlsxFromCSV converts a testdata/s3 CSV file to an XLSX workbook with text
// cells, as a finance system would export it.
func xlsxFromCSV(t *testing.T, file string) []byte {
	t.Helper()
	in, err := os.Open(filepath.Join("testdata", "s3", file))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	records, err := csv.NewReader(in).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	book := excelize.NewFile()
	defer book.Close()
	for r, record := range records {
		for c, value := range record {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := book.SetCellStr("Sheet1", cell, value); err != nil {
				t.Fatal(err)
			}
		}
	}
	buf, err := book.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// runIDOf returns the run id from the first line of the run summary.
func runIDOf(t *testing.T, stdout string) string {
	t.Helper()
	first, _, _ := strings.Cut(stdout, "\n")
	id, ok := strings.CutPrefix(first, "payrun run ")
	if !ok {
		t.Fatalf("summary does not start with the run id:\n%s", stdout)
	}
	return id
}

func filesBySource(t *testing.T, led *state.Ledger) map[string]*state.File {
	t.Helper()
	files, err := led.Files(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*state.File{}
	for _, f := range files {
		out[f.Source] = f
	}
	return out
}

func TestS3Inbox_TakesSettledFilesOnly(t *testing.T) {
	e := newS3Env(t)
	e.upload(t, "inbox/june.csv", "june.csv", true)
	e.upload(t, "inbox/june.csv.control", "june.csv.control", true)
	e.upload(t, "inbox/june (1).csv", "june.csv", true)
	e.put(t, "inbox/july.xlsx", xlsxFromCSV(t, "july.csv"), true)
	e.upload(t, "inbox/upload.csv.part", "august.csv", true)
	e.upload(t, "inbox/~$july.xlsx", "august.csv", true)
	e.put(t, "inbox/readme.txt", []byte("drop payout files here"), true)
	e.upload(t, "inbox/old/june.csv", "june.csv", true)
	e.upload(t, "inbox/august.csv", "august.csv", false)

	code, stdout, stderr := e.run(t, "s3://payouts/inbox/")
	if code != exitOK {
		t.Fatalf("run exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	wantInbox := []string{"inbox/august.csv", "inbox/old/june.csv", "inbox/readme.txt",
		"inbox/upload.csv.part", "inbox/~$july.xlsx"}
	if got := e.keys(t, "inbox/"); !slices.Equal(got, wantInbox) {
		t.Errorf("inbox after the run = %v, want %v", got, wantInbox)
	}
	wantProcessed := []string{"processed/july.xlsx", "processed/june (1).csv", "processed/june.csv",
		"processed/june.csv.control"}
	if got := e.keys(t, "processed/"); !slices.Equal(got, wantProcessed) {
		t.Errorf("processed/ after the run = %v, want %v", got, wantProcessed)
	}
	for _, skipped := range []string{"upload.csv.part: partial or hidden file", "readme.txt: not a .csv",
		"~$july.xlsx: editor lock file", "august.csv: modified"} {
		if !strings.Contains(stderr, skipped) {
			t.Errorf("log does not name the skipped entry %q:\n%s", skipped, stderr)
		}
	}

	led := e.openLedger(t)
	files := filesBySource(t, led)
	if len(files) != 2 {
		t.Fatalf("ledger files = %d, want 2 (june and its copy are one file)", len(files))
	}
	june := files["s3://payouts/processed/june.csv"]
	july := files["s3://payouts/processed/july.xlsx"]
	if june == nil || july == nil {
		t.Fatalf("ledger sources = %v, want processed/june.csv and processed/july.xlsx", sortedKeys(files))
	}
	if june.ETag == "" || june.Format != "csv" || july.Format != "xlsx" {
		t.Errorf("june etag %q format %s, july format %s: want an ETag, csv and xlsx", june.ETag, june.Format, july.Format)
	}
	counts, err := led.StateCounts(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if counts[state.Submitted] != 5 || len(counts) != 1 {
		t.Errorf("row states = %v, want 5 submitted (june's 3 once, july's 2)", counts)
	}
	if pending, _ := led.PendingMoves(context.Background()); len(pending) != 0 {
		t.Errorf("pending moves after the run = %d, want 0", len(pending))
	}
	if code, out, _ := runPayrun(t, e.dir, "ledger", "check", "--ledger", e.ledger); code != exitOK {
		t.Errorf("ledger check exit=%d, want 0:\n%s", code, out)
	}

	// Once august.csv has settled, the next run takes it.
	e.srv.SetModTime(t, bucket, "inbox/august.csv", time.Now().Add(-time.Hour))
	code, stdout, stderr = e.run(t, "s3://payouts/inbox/")
	if code != exitOK {
		t.Fatalf("second run exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if got := e.srv.Get(t, bucket, "processed/august.csv"); got == nil {
		t.Errorf("august.csv not in processed/ after it settled; inbox: %v", e.keys(t, "inbox/"))
	}
}

func TestS3Inbox_HeldRejectedAndNoMove(t *testing.T) {
	e := newS3Env(t)
	e.upload(t, "in/no-amount.csv", "no-amount.csv", true)
	e.upload(t, "in/mostly-invalid.csv", "mostly-invalid.csv", true)

	code, stdout, stderr := e.run(t, "--no-move", "s3://payouts/in/")
	if code != exitStopped {
		t.Fatalf("--no-move run exit=%d, want 4 (a held file)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if got := e.keys(t, ""); !slices.Equal(got, []string{"in/mostly-invalid.csv", "in/no-amount.csv"}) {
		t.Errorf("bucket after a --no-move run = %v, want the inbox untouched", got)
	}

	code, stdout, stderr = e.run(t, "s3://payouts/in/")
	if code != exitStopped {
		t.Fatalf("run exit=%d, want 4\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := []string{"held/mostly-invalid.csv", "rejected/no-amount.csv"}
	if got := e.keys(t, ""); !slices.Equal(got, want) {
		t.Errorf("bucket after the run = %v, want %v", got, want)
	}
	files := filesBySource(t, e.openLedger(t))
	if f := files["s3://payouts/held/mostly-invalid.csv"]; f == nil || f.Status != state.FileHeld {
		t.Errorf("held file = %+v, want status held at its new location", f)
	}
	if f := files["s3://payouts/rejected/no-amount.csv"]; f == nil || f.Status != state.FileRejected {
		t.Errorf("rejected file = %+v, want status rejected at its new location", f)
	}
}

func TestS3Source_SingleKeyStaysInPlace(t *testing.T) {
	e := newS3Env(t)
	e.upload(t, "drop/june.csv", "june.csv", false)
	e.put(t, "drop/june.csv.control", []byte("rows = 2\n"), false)

	code, stdout, stderr := e.run(t, "s3://payouts/drop/june.csv")
	if code != exitStopped {
		t.Fatalf("run exit=%d, want 4 (held: the control expects 2 rows)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "control") {
		t.Errorf("summary does not give the control mismatch:\n%s", stdout)
	}
	if got := e.keys(t, ""); !slices.Equal(got, []string{"drop/june.csv", "drop/june.csv.control"}) {
		t.Errorf("bucket after the run = %v, want the single file left in place", got)
	}
	files := filesBySource(t, e.openLedger(t))
	if f := files["s3://payouts/drop/june.csv"]; f == nil || f.Status != state.FileHeld {
		t.Errorf("file = %+v, want held at s3://payouts/drop/june.csv", f)
	}
}

func TestS3Reports_LandUnderDatedPrefix(t *testing.T) {
	e := newS3Env(t)
	e.upload(t, "inbox/june.csv", "june.csv", true)
	metrics := filepath.Join(e.dir, "payrun.prom")

	code, stdout, stderr := e.run(t, "--reports", "s3://payouts/reports/", "--metrics-file", metrics,
		"s3://payouts/inbox/")
	if code != exitOK {
		t.Fatalf("run exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	runID := runIDOf(t, stdout)
	keys := e.keys(t, "reports/")
	if len(keys) != 5 {
		t.Fatalf("report keys = %v, want csv, json, xlsx, summary.json and metrics.prom", keys)
	}
	dated := regexp.MustCompile(`^reports/(\d{4}/\d{2}/\d{2})/` + runID + `/`)
	m := dated.FindStringSubmatch(keys[0])
	if m == nil {
		t.Fatalf("report key %s is not reports/YYYY/MM/DD/%s/...", keys[0], runID)
	}
	day, err := time.Parse("2006/01/02", m[1])
	if err != nil || time.Since(day) > 48*time.Hour || time.Until(day) > 0 {
		t.Errorf("report date %s is not the run's day", m[1])
	}
	prefix := "reports/" + m[1] + "/" + runID + "/"
	var fileID string
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			t.Errorf("report key %s is outside %s", k, prefix)
		}
		if strings.HasSuffix(k, ".csv") {
			fileID = strings.TrimSuffix(strings.TrimPrefix(k, prefix), ".csv")
		}
	}
	for _, name := range []string{fileID + ".csv", fileID + ".json", fileID + ".xlsx", "summary.json", "metrics.prom"} {
		if !slices.Contains(keys, prefix+name) {
			t.Errorf("report %s missing from %v", prefix+name, keys)
		}
	}

	var summary runSummary
	if err := json.Unmarshal(e.srv.Get(t, bucket, prefix+"summary.json"), &summary); err != nil {
		t.Fatal(err)
	}
	if summary.RunID != runID || summary.States["submitted"] != 3 {
		t.Errorf("summary.json = %+v, want run %s with 3 submitted rows", summary, runID)
	}
	if !strings.Contains(stdout, "reports: s3://payouts/"+prefix) {
		t.Errorf("summary does not give the bucket prefix of the reports:\n%s", stdout)
	}
	local, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatalf("local metrics file: %v", err)
	}
	if got := e.srv.Get(t, bucket, prefix+"metrics.prom"); string(got) != string(local) {
		t.Errorf("metrics.prom in the bucket differs from the local metrics file")
	}
}

func TestS3Inbox_PendingMoveWithoutCopyRedone(t *testing.T) {
	e := newS3Env(t)
	e.upload(t, "inbox/june.csv", "june.csv", true)
	e.upload(t, "inbox/june.csv.control", "june.csv.control", true)
	code, stdout, stderr := e.run(t, "--no-move", "s3://payouts/inbox/")
	if code != exitOK {
		t.Fatalf("run exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	// A run that recorded the move and stopped before its copy.
	led := e.openLedger(t)
	f := filesBySource(t, led)["s3://payouts/inbox/june.csv"]
	if f == nil {
		t.Fatal("file not recorded at s3://payouts/inbox/june.csv")
	}
	m := &state.Move{FileID: f.ID, Source: f.Source, Dest: "s3://payouts/processed/june.csv", ETag: f.ETag}
	if err := led.StartMove(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	led.Close()

	code, stdout, stderr = e.run(t, "s3://payouts/inbox/")
	if code != exitOK {
		t.Fatalf("repair run exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := []string{"processed/june.csv", "processed/june.csv.control"}
	if got := e.keys(t, ""); !slices.Equal(got, want) {
		t.Errorf("bucket after the repair = %v, want %v", got, want)
	}
	led = e.openLedger(t)
	if pending, _ := led.PendingMoves(context.Background()); len(pending) != 0 {
		t.Errorf("pending moves after the repair = %d, want 0", len(pending))
	}
	if got := filesBySource(t, led); got["s3://payouts/processed/june.csv"] == nil {
		t.Errorf("file sources after the repair = %v, want processed/june.csv", sortedKeys(got))
	}
}

func TestS3Inbox_DryRunChangesNothing(t *testing.T) {
	e := newS3Env(t)
	e.upload(t, "inbox/june.csv", "june.csv", true)
	e.upload(t, "inbox/june.csv.control", "june.csv.control", true)
	spool := t.TempDir()
	t.Setenv("TMPDIR", spool)

	code, stdout, stderr := e.run(t, "--dry-run", "s3://payouts/inbox/")
	if code != exitOK {
		t.Fatalf("dry run exit=%d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "would pay 3 rows") {
		t.Errorf("dry run does not show the 3 rows it would pay:\n%s", stdout)
	}
	if got := e.keys(t, ""); !slices.Equal(got, []string{"inbox/june.csv", "inbox/june.csv.control"}) {
		t.Errorf("bucket after a dry run = %v, want it unchanged", got)
	}
	if _, err := os.Stat(e.ledger); !os.IsNotExist(err) {
		t.Errorf("dry run created the ledger %s (stat error %v)", e.ledger, err)
	}
	if left, _ := filepath.Glob(filepath.Join(spool, "payrun-s3-*")); len(left) != 0 {
		t.Errorf("spooled copies left behind: %v", left)
	}
}

func TestS3Source_MissingKeySuggestsPrefix(t *testing.T) {
	e := newS3Env(t)
	e.upload(t, "inbox/june.csv", "june.csv", true)

	code, stdout, stderr := e.run(t, "s3://payouts/inbox")
	if code != exitUsage {
		t.Fatalf("run exit=%d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr+stdout, "end the URL with /") {
		t.Errorf("output does not suggest the prefix form:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
}
