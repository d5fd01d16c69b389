package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

var csvHeader = []string{
	"reference", "amount", "currency", "external_ref", "beneficiary_type", "first_name", "last_name",
	"email", "country", "iban", "description",
}

// csvRecords are the rows of the Excel CSV files. Each file writes the
// amount (the second field) with its own decimal separator.
var csvRecords = [][]string{
	{"CSV-1", "1234.50", "EUR", "C-CSV-1", "individual", "Jörg", "Müller", "joerg@example.de", "DE",
		"DE89370400440532013000", "Rechnung 1, Juni"},
	// Alt+Enter in a cell: Excel quotes the field and keeps a bare line feed.
	{"CSV-2", "99.90", "EUR", "C-CSV-2", "individual", "Zoë", "Ñúñez", "zoe@example.es", "ES",
		"ES9121000418450200051332", "Zeile 1\nZeile 2"},
	// Windows-1252 has no Ł or ą, so Excel's "CSV" writes them as "?".
	{"CSV-3", "12.50", "EUR", "C-CSV-3", "individual", "Łukasz", "Wąsowski", "lukasz@example.pl", "PL",
		"PL61109010140000071219812874", `Faktura "A/7"`},
}

// excelCSV is one "Save as" type of Excel.
type excelCSV struct {
	name      string
	delimiter string
	decimal   string
	encoding  encoding.Encoding // nil for UTF-8
	bom       bool              // UTF-8 with a byte-order mark ("CSV UTF-8")
	finalEOL  bool              // whether the last record ends with CRLF
}

var excelCSVs = []excelCSV{
	{name: "excel_csv_windows1252.csv", delimiter: ",", decimal: ".", encoding: charmap.Windows1252, finalEOL: true},
	{name: "excel_csv_utf8_bom.csv", delimiter: ",", decimal: ".", bom: true},
	{name: "excel_unicode_text.txt", delimiter: "\t", decimal: ".",
		encoding: unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), finalEOL: true},
	{name: "excel_csv_semicolon_de.csv", delimiter: ";", decimal: ",", encoding: charmap.Windows1252},
}

func writeCSVFiles(out string) error {
	for _, f := range excelCSVs {
		data, err := f.render()
		if err != nil {
			return fmt.Errorf("encode %s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(out, f.name), data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	return nil
}

// render writes the records with CRLF line ends, quoting fields as Excel
// does: those that contain the delimiter, a quote or a line break.
func (f excelCSV) render() ([]byte, error) {
	lines := []string{f.line(csvHeader)}
	for _, rec := range csvRecords {
		fields := append([]string(nil), rec...)
		fields[1] = strings.Replace(fields[1], ".", f.decimal, 1)
		lines = append(lines, f.line(fields))
	}
	text := strings.Join(lines, "\r\n")
	if f.finalEOL {
		text += "\r\n"
	}

	if f.encoding == nil {
		if f.bom {
			text = "\ufeff" + text
		}
		return []byte(text), nil
	}
	if f.encoding == charmap.Windows1252 {
		text = strings.NewReplacer("Ł", "?", "ą", "?").Replace(text)
	}
	return f.encoding.NewEncoder().Bytes([]byte(text))
}

func (f excelCSV) line(fields []string) string {
	quoted := make([]string, len(fields))
	for i, field := range fields {
		if strings.ContainsAny(field, f.delimiter+"\"\r\n") {
			field = `"` + strings.ReplaceAll(field, `"`, `""`) + `"`
		}
		quoted[i] = field
	}
	return strings.Join(quoted, f.delimiter)
}
