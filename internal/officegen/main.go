// Command officegen writes the spreadsheet files of ingest/testdata/office.
//
// Excel and Google Sheets are not available where payrun is tested. So the
// XML features that they write and LibreOffice does not are written here by
// hand as XLSX packages: rich-text and phonetic runs, _xHHHH_ escapes, every
// cell type, the 1904 date system, custom date formats, quotePrefix,
// veryHidden sheets, absolute relationship targets, Strict Open XML and
// prefixed elements. The CSV files are written byte for byte as Excel's "Save as"
// types write them. With -soffice, the program also writes flat ODF
// spreadsheets and converts them with LibreOffice, so the LibreOffice files
// are real exports:
//
//	go run ./internal/officegen -out ingest/testdata/office -soffice soffice
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("out", "ingest/testdata/office", "folder to write the files to")
	soffice := flag.String("soffice", "", "LibreOffice program that converts the flat ODF files to XLSX and CSV; empty skips them")
	flag.Parse()

	if err := run(*out, *soffice); err != nil {
		slog.Error("officegen failed", "error", err)
		os.Exit(1)
	}
}

func run(out, soffice string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("create output folder: %w", err)
	}

	books := map[string]*workbook{
		"excel_rich_text.xlsx":          richTextBook(),
		"excel_cell_types.xlsx":         cellTypesBook(),
		"excel_dates.xlsx":              dateBook(false),
		"excel_dates_1904.xlsx":         dateBook(true),
		"excel_sheets.xlsx":             sheetsBook(),
		"excel_strict.xlsx":             strictBook(),
		"excel_shape.xlsx":              shapeBook(),
		"excel_prefixed.xlsx":           prefixedBook(),
		"excel_two_sheets.xlsx":         twoSheetsBook(),
		"damaged_column.xlsx":           damagedColumnBook(),
		"damaged_wide_row.xlsx":         wideRowBook(),
		"damaged_long_cell.xlsx":        longCellBook(),
		"excel_duplicates.xlsx":         duplicatesBook(),
		"excel_filtered_rows.xlsx":      filteredBook(),
		"excel_note_beyond_header.xlsx": noteBeyondHeaderBook(),
		"excel_hidden_rows.xlsx":        hiddenRowsBook(),
		"excel_misplaced_types.xlsx":    misplacedTypesBook(),
		"excel_question_marks.xlsx":     questionMarksBook(),
	}
	for name, book := range books {
		if err := book.write(filepath.Join(out, name)); err != nil {
			return err
		}
	}

	// An encrypted workbook is an OLE compound file; this one has only the
	// signature and an empty header, which is all payrun looks at.
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...)
	if err := os.WriteFile(filepath.Join(out, "damaged_ole_header.xlsx"), ole, 0o644); err != nil {
		return fmt.Errorf("write damaged_ole_header.xlsx: %w", err)
	}

	if err := writeCSVFiles(out); err != nil {
		return err
	}
	if soffice == "" {
		return nil
	}
	return convertWithLibreOffice(soffice, out)
}
