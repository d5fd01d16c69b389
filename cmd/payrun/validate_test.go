package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runPayrun runs the command line and returns its exit code and standard output.
func runValidateCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := newApp(&stdout, &stderr)
	cmd := a.root()
	cmd.SetArgs(args)
	err := cmd.Execute()
	return exitCode(err), stdout.String()
}

func TestValidateCleanSample(t *testing.T) {
	code, out := runValidateCLI(t, "validate", "../../samples/payouts-clean.csv")
	if code != exitOK {
		t.Errorf("exit %d, want 0; output:\n%s", code, out)
	}
	for _, want := range []string{"60 total, 60 valid, 0 invalid", "EUR 28216.93", "GBP 21745.50", "USD 51091.28"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestValidateInvalidSampleJSON(t *testing.T) {
	code, out := runValidateCLI(t, "validate", "--json", "../../samples/payouts-invalid.csv")
	if code != exitRowProblems {
		t.Errorf("exit %d, want 1", code)
	}
	var doc struct {
		Files []struct {
			Path     string            `json:"path"`
			Error    *json.RawMessage  `json:"error"`
			Totals   map[string]string `json:"totals"`
			Problems []struct {
				Row   int    `json:"row"`
				Code  string `json:"code"`
				Value string `json:"value"`
			} `json:"problems"`
		} `json:"files"`
		Rows struct{ Total, Valid, Invalid int } `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if len(doc.Files) != 1 || doc.Files[0].Error != nil {
		t.Fatalf("files %+v", doc.Files)
	}
	if doc.Rows.Total != 12 || doc.Rows.Invalid != 8 {
		t.Errorf("rows %+v, want 12 total and 8 invalid", doc.Rows)
	}
	if strings.Contains(out, "@mail.example\"") && !strings.Contains(out, "***@") {
		t.Errorf("JSON shows an unmasked email")
	}
}

func TestValidateExitCodes(t *testing.T) {
	if code, _ := runValidateCLI(t, "validate", "../../ingest/testdata/header_typo.csv"); code != exitRowProblems {
		t.Errorf("file error: exit %d, want 1", code)
	}
	if code, _ := runValidateCLI(t, "validate", "no-such-file.csv"); code != exitUsage {
		t.Errorf("unreadable file: exit %d, want 2", code)
	}
	if code, _ := runValidateCLI(t, "validate", "--delimiter", ":", "../../samples/payouts-clean.csv"); code != exitUsage {
		t.Errorf("bad --delimiter: exit %d, want 2", code)
	}
	code, out := runValidateCLI(t, "validate", "--expect-rows", "59", "../../samples/payouts-clean.csv")
	if code != exitRowProblems || !strings.Contains(out, "control_rows_mismatch") {
		t.Errorf("--expect-rows 59: exit %d, output:\n%s", code, out)
	}
	code, _ = runValidateCLI(t, "validate", "--expect-total", "EUR=28216.93", "--expect-total", "GBP=21745.50",
		"--expect-total", "USD=51091.28", "../../samples/payouts-clean.csv")
	if code != exitOK {
		t.Errorf("matching --expect-total: exit %d, want 0", code)
	}
}

func TestValidateFlagsOverrideProfile(t *testing.T) {
	path := "../../ingest/testdata/separators_eu.csv"
	if code, _ := runValidateCLI(t, "validate", path); code != exitRowProblems {
		t.Errorf("without flags: exit %d, want 1", code)
	}
	code, out := runValidateCLI(t, "validate", "--delimiter", ";", "--decimal", ",", "--grouping", ".", path)
	if code != exitRowProblems || !strings.Contains(out, "3 valid, 1 invalid") {
		t.Errorf("with flags: exit %d, output:\n%s", code, out)
	}
}

func TestValidateErrorsOut(t *testing.T) {
	out := filepath.Join(t.TempDir(), "fix-me.csv")
	code, _ := runValidateCLI(t, "validate", "--errors-out", out, "../../samples/payouts-invalid.csv")
	if code != exitRowProblems {
		t.Errorf("exit %d, want 1", code)
	}
	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 9 || !strings.HasSuffix(lines[0], ",error,error_codes") {
		t.Errorf("errors file has %d lines, header %q", len(lines), lines[0])
	}

	if code, _ := runValidateCLI(t, "validate", "--errors-out", out, "a.csv", "b.csv"); code != exitUsage {
		t.Errorf("--errors-out with two files: exit %d, want 2", code)
	}
}

func TestValidateWithConfigProfile(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "payrun.toml")
	content := "[profiles.eu]\nmatch = [\"*_eu.csv\"]\ndelimiter = \";\"\ndecimal = \",\"\ngrouping = \".\"\n"
	if err := os.WriteFile(config, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := runValidateCLI(t, "validate", "--config", config, "../../ingest/testdata/separators_eu.csv")
	if code != exitRowProblems || !strings.Contains(out, "3 valid, 1 invalid") {
		t.Errorf("matched profile: exit %d, output:\n%s", code, out)
	}
	if code, _ := runValidateCLI(t, "validate", "--config", config, "--profile", "nope", "x.csv"); code != exitUsage {
		t.Errorf("unknown --profile: exit %d, want 2", code)
	}
}
