package ingest

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/payrun/payrun"
)

func TestValidateFileSummary(t *testing.T) {
	control, err := ReadControl("testdata/control.csv")
	if err != nil || control == nil {
		t.Fatalf("ReadControl: %v, %v", control, err)
	}
	report, err := ValidateFile("testdata/control.csv", Options{}, control)
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() {
		t.Errorf("report not OK: %+v", report.Problems)
	}
	if diff := cmp.Diff(RowCounts{Total: 3, Valid: 3}, report.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"EUR": "123.45", "USD": "10.00"}, report.Totals); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	if len(report.SHA256) != 64 || report.Format != "csv" {
		t.Errorf("sha256 %q format %q", report.SHA256, report.Format)
	}
}

func TestValidateFileControlMismatch(t *testing.T) {
	control, err := ReadControl("testdata/control_mismatch.csv")
	if err != nil {
		t.Fatal(err)
	}
	report, err := ValidateFile("testdata/control_mismatch.csv", Options{}, control)
	if err != nil {
		t.Fatal(err)
	}
	if report.OK() {
		t.Errorf("report OK despite the control mismatch")
	}
	var got []string
	for _, p := range report.Problems {
		if p.Code == CodeControlRows || p.Code == CodeControlTotal {
			got = append(got, p.Message)
		}
	}
	want := []string{
		"the file has 2 valid rows but the control expects 3",
		"the valid rows total 100.00 EUR but the control expects 100.01 EUR",
		"the valid rows total 10.00 USD but the control lists no USD total",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("control problems (-want +got):\n%s", diff)
	}
}

func TestReadControl(t *testing.T) {
	if c, err := ReadControl("testdata/bom.csv"); c != nil || err != nil {
		t.Errorf("ReadControl without sidecar = %v, %v; want nil, nil", c, err)
	}

	dir := t.TempDir()
	for content, wantErr := range map[string]string{
		"rows = 2\nrowz = 3\n":           `unknown key "rowz"`,
		"[totals]\nEUR = \"12.345\"\n":   "more decimals",
		"[totals]\nEURO = \"1\"\n":       "not an ISO 4217",
		"[totals]\nEUR = 12.5\n":         "parse control file",
		"rows = -1\n":                    "negative",
		"[totals]\nEUR = \"1,000.00\"\n": "not a decimal amount",
	} {
		path := filepath.Join(dir, "f.csv")
		mustDo(t, os.WriteFile(ControlPath(path), []byte(content), 0o600))
		_, err := ReadControl(path)
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("ReadControl(%q) error %v, want %q", content, err, wantErr)
		}
	}
}

func TestControlFromFlags(t *testing.T) {
	var c Control
	if err := c.ParseControlTotal("eur = 6975.25"); err != nil {
		t.Fatal(err)
	}
	if c.Totals["EUR"] != "6975.25" {
		t.Errorf("totals %v", c.Totals)
	}
	for _, bad := range []string{"EUR", "EUR=abc", "XYZ=1"} {
		if err := c.ParseControlTotal(bad); err == nil {
			t.Errorf("ParseControlTotal(%q) accepted", bad)
		}
	}
	if got := c.Check(1, payrun.Totals{"EUR": 697525}); len(got) != 0 {
		t.Errorf("exact match reported %v", got)
	}
	if got := c.Check(1, payrun.Totals{"EUR": 697524}); len(got) != 1 || got[0].Code != CodeControlTotal {
		t.Errorf("one cent off reported %v", got)
	}
}

func TestValidateFileErrors(t *testing.T) {
	report, err := ValidateFile("testdata/header_typo.csv", Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if report.Error == nil || report.Error.Code != CodeMissingColumns || report.OK() {
		t.Errorf("report error %+v, want %s", report.Error, CodeMissingColumns)
	}

	if _, err := ValidateFile("testdata/no-such-file.csv", Options{}, nil); err == nil {
		t.Errorf("ValidateFile of a missing file returned no error")
	}
}

func TestFileReportJSON(t *testing.T) {
	report, err := ValidateFile("testdata/iban.csv", Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(report)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, key := range []string{`"path":`, `"sha256":`, `"format":"csv"`, `"sheet":""`, `"error":null`,
		`"rows":{"total":7,"valid":2,"invalid":5,"warnings":0}`, `"totals":{"EUR":"200.00"}`,
		`"row":3`, `"line":3`, `"column":"iban"`, `"value":"DE**3001"`, `"severity":"error"`, `"code":"iban_checksum"`, `"hint":`} {
		if !strings.Contains(text, key) {
			t.Errorf("JSON lacks %s:\n%s", key, text)
		}
	}
	if strings.Contains(text, "0532013001") {
		t.Errorf("JSON contains the raw IBAN")
	}
}

func TestErrorsCSV(t *testing.T) {
	out := filepath.Join(t.TempDir(), "fix-me.csv")
	errorsFile, err := CreateErrorsCSV(out)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ValidateFileFunc("testdata/iban.csv", Options{}, nil, func(r *Reader, rec Record) error {
		return errorsFile.Write(r.Header(), rec)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := errorsFile.Close(); err != nil {
		t.Fatal(err)
	}

	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("errors file mode %v, want 0600", info.Mode().Perm())
	}

	file, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	lines, err := csv.NewReader(file).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 6 {
		t.Fatalf("%d lines, want header and 5 invalid rows", len(lines))
	}
	header := lines[0]
	if header[0] != "reference" || header[len(header)-2] != ErrorColumn || header[len(header)-1] != ErrorCodesColumn {
		t.Errorf("header %v", header)
	}
	first := lines[1]
	if first[0] != "IBAN-2" || first[10] != "DE89370400440532013001" {
		t.Errorf("first invalid row %v, want IBAN-2 with its raw IBAN", first[:11])
	}
	if !strings.Contains(first[len(first)-2], "iban: IBAN check digits") || first[len(first)-1] != CodeIBANChecksum {
		t.Errorf("error columns %q %q", first[len(first)-2], first[len(first)-1])
	}
}

func TestMatchProfile(t *testing.T) {
	profiles := map[string]Profile{
		"bank":    {Match: []string{"/in/bank/*.csv"}},
		"payroll": {Match: []string{"payroll-*.xlsx", "s3://payouts/payroll/*"}},
		"emea":    {Match: []string{"*/emea/*"}},
	}
	for source, want := range map[string]string{
		"/in/bank/june.csv":              "bank",
		"/in/payroll-june.xlsx":          "payroll",
		"s3://payouts/payroll/june.xlsx": "payroll",
		"/in/other.csv":                  "",
		"/srv/finance/emea/june.csv":     "emea",
		"emea/june.csv":                  "emea",
		"s3://payouts/emea/june.csv":     "emea",
		"/srv/emeaX/june.csv":            "",
		"/srv/emea/sub/june.csv":         "",
	} {
		p, ok := MatchProfile(profiles, source)
		if p.Name != want || ok != (want != "") {
			t.Errorf("MatchProfile(%s) = %q, %v; want %q", source, p.Name, ok, want)
		}
	}
}

func TestProfileValidate(t *testing.T) {
	for _, p := range []Profile{
		{Delimiter: ":"}, {Encoding: "klingon"}, {Decimal: "x"}, {HeaderRow: -1},
		{Aliases: map[string]string{"IBAN no": "ibann"}}, {Match: []string{"["}},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("Profile%+v.Validate() accepted", p)
		}
	}
	ok := Profile{Delimiter: "tab", Encoding: "windows-1252", Decimal: ",", Grouping: ".", Aliases: map[string]string{"IBAN no": "IBAN"}}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
}

func TestValidateFile_HeaderOnlyWarns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "header.csv")
	if err := os.WriteFile(path, []byte("reference,amount,currency,beneficiary_id,instrument_id\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	report, err := ValidateFile(path, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if report.Error != nil {
		t.Fatalf("header-only file: file error %v, want a warning", report.Error)
	}
	found := false
	for _, p := range report.Problems {
		found = found || p.Code == CodeNoDataRows
	}
	if !found {
		t.Errorf("problems %+v lack %s", report.Problems, CodeNoDataRows)
	}
}

// TestValidateFileSHA256 checks the hash of files that reading stops early
// in (broken quoting, invalid UTF-8), reads twice (a late duplicate) or
// reads from a zip directory, against a hash of the bytes on disk.
func TestValidateFileSHA256(t *testing.T) {
	// Reading stops at the invalid byte of line 3, far before the end.
	long := []byte("reference,amount,currency,iban\nA-1,1.00,EUR,x\nA-2,\xff,EUR,x\n")
	long = append(long, strings.Repeat("A-3,1.00,EUR,DE89370400440532013000\n", 20000)...)
	longPath := filepath.Join(t.TempDir(), "long.csv")
	if err := os.WriteFile(longPath, long, 0o600); err != nil {
		t.Fatal(err)
	}

	for _, path := range []string{"canonical.csv", "bad_quote.csv", "windows1252.csv", "duplicates.csv",
		"utf16le.csv", "empty.csv", longPath} {
		if !filepath.IsAbs(path) {
			path = filepath.Join("testdata", path)
		}
		name := filepath.Base(path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		report, err := ValidateFile(path, Options{}, nil)
		if err != nil {
			t.Fatalf("ValidateFile(%s) error: %v", name, err)
		}
		if want := fmt.Sprintf("%x", sha256.Sum256(data)); report.SHA256 != want {
			t.Errorf("ValidateFile(%s).SHA256 = %s, want %s", name, report.SHA256, want)
		}
	}
}

// TestProblemStringColumn names a cell beyond the header once, not as
// "column column 5".
func TestProblemStringColumn(t *testing.T) {
	for _, tc := range []struct {
		p    Problem
		want string
	}{
		{Problem{Row: 3, Column: "column 5", Severity: SeverityError, Message: "m", Code: "c"}, "row 3, column 5 error: m [c]"},
		{Problem{Row: 3, Line: 4, Column: "iban", Severity: SeverityWarning, Message: "m", Code: "c"}, "row 3 (line 4), column iban warning: m [c]"},
		{Problem{Severity: SeverityError, Message: "m", Code: "c"}, "file error: m [c]"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

// writeManyRows writes a CSV file of n rows, far more than the batches in
// flight, with a distinct invalid amount on every tenth row and the
// reference of row 11 again on the last row.
func writeManyRows(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("reference,amount,currency,beneficiary_id,instrument_id\n")
	for i := 0; i < n; i++ {
		ref := fmt.Sprintf("MANY-%06d", i)
		if i == n-1 {
			ref = "MANY-000009"
		}
		amount := "1.00"
		if i%10 == 3 {
			amount = fmt.Sprintf("%dx", i)
		}
		currency := []string{"EUR", "USD", "GBP"}[i%3]
		fmt.Fprintf(&b, "%s,%s,%s,ben_01HZX3K9Q2M4N5P6%06d,ins_01HZX3K9Q2M4N5P6%06d\n", ref, amount, currency, i, i)
	}
	path := filepath.Join(t.TempDir(), "many.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestValidateFileKeepsTextOfReusedBatches checks the strings a report
// keeps from rows whose batches the reader has reused many times since.
func TestValidateFileKeepsTextOfReusedBatches(t *testing.T) {
	const n = 20_000
	report, err := ValidateFile(writeManyRows(t, n), Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}

	amounts := 0
	for _, p := range report.Problems {
		switch p.Code {
		case CodeDuplicateReference:
			if p.Value != "MANY-000009" {
				t.Errorf("row %d: duplicate reference value %q, want MANY-000009", p.Row, p.Value)
			}
		default:
			i := p.Row - 2
			if want := fmt.Sprintf("%dx", i); p.Column != "amount" || p.Value != want {
				t.Errorf("row %d: problem %s on %s with value %q, want amount %q", p.Row, p.Code, p.Column, p.Value, want)
			}
			amounts++
		}
	}
	if amounts != n/10 {
		t.Errorf("%d amount problems, want %d", amounts, n/10)
	}
	for _, code := range []string{"EUR", "USD", "GBP"} {
		if report.Totals[code] == "" {
			t.Errorf("totals %v have no %s", report.Totals, code)
		}
	}
}

// TestOpenKeepsRecordText checks that records from Open keep their strings
// after later batches are read, as run relies on.
func TestOpenKeepsRecordText(t *testing.T) {
	const n = 20_000
	r, err := Open(writeManyRows(t, n), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var refs []string
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, rec.Reference)
	}
	for i, ref := range refs[:n-1] {
		if want := fmt.Sprintf("MANY-%06d", i); ref != want {
			t.Fatalf("record %d: reference %q after reading the file, want %q", i, ref, want)
		}
	}
}

// TestErrorsCSVDirectory refuses a directory as the errors file before any
// row is read, with a file name to use instead.
func TestErrorsCSVDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := CreateErrorsCSV(dir)
	if err == nil || !strings.Contains(err.Error(), "is a directory") || !strings.Contains(err.Error(), "errors.csv") {
		t.Fatalf("CreateErrorsCSV(directory) error %v, want one that says it is a directory", err)
	}
}
