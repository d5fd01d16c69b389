package ingest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/payrun/payrun/internal/benchbase/benchfile"
)

func TestParseSharedStrings(t *testing.T) {
	file, err := os.Open("testdata/shared_strings.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	table, err := parseSharedStrings(file)
	if err != nil {
		t.Fatal(err)
	}

	want := []string{"reference", "Jörg M&üller", "東京", "line\rbreak and _x000D_ kept", ""}
	for i, w := range want {
		got, ok := table.get(i)
		if !ok || got != w {
			t.Errorf("get(%d) = %q, %v; want %q", i, got, ok, w)
		}
	}
	if _, ok := table.get(len(want)); ok {
		t.Errorf("get(%d) found an entry past the table", len(want))
	}
	if _, ok := table.get(-1); ok {
		t.Errorf("get(-1) found an entry")
	}
}

func TestDecodeEscapes(t *testing.T) {
	tests := map[string]string{
		"plain":             "plain",
		"a_x0009_b":         "a\tb",
		"_x005F_x0009_":     "_x0009_",
		"_x00zz_ not hex":   "_x00zz_ not hex",
		"short _x00":        "short _x00",
		"two_x000A__x000A_": "two\n\n",
	}
	for in, want := range tests {
		if got := decodeEscapes(in); got != want {
			t.Errorf("decodeEscapes(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestColumnNumber(t *testing.T) {
	for ref, want := range map[string]int{"A1": 1, "Z9": 26, "AA10": 27, "ab3": 28, "XFD1048576": 16384, "XFE1": maxSheetColumns + 1,
		"ZZZZZZZZZZZZZZZZ1": maxSheetColumns + 1, "12": 0} {
		if got := columnNumber(ref); got != want {
			t.Errorf("columnNumber(%q) = %d, want %d", ref, got, want)
		}
	}
}

func TestXLSXInlineStrings(t *testing.T) {
	// excelize's StreamWriter stores text as inline strings (t="inlineStr").
	path := filepath.Join(t.TempDir(), "inline.xlsx")
	if err := benchfile.WriteXLSXFile(path, 30); err != nil {
		t.Fatal(err)
	}
	records, _ := readFile(t, path, Options{})
	if len(records) != 30 {
		t.Fatalf("%d records, want 30", len(records))
	}
	for _, rec := range records {
		wantValid(t, rec)
	}
	first := records[0]
	if first.Reference != "BENCH-00000001" || first.Instruction == nil || first.Instruction.Amount.Canonical() != "1.00" {
		t.Errorf("first row %q %+v, want BENCH-00000001 paying 1.00", first.Reference, first.Instruction)
	}
}
