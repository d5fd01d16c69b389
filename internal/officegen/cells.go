package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// cellFunc writes one <c> element for a cell reference such as "B2".
type cellFunc func(ref string) string

// sheetBuilder writes worksheet rows whose text cells index the shared string
// table of its workbook, as Excel stores them.
type sheetBuilder struct {
	book  *workbook
	index map[string]int
	rows  strings.Builder
}

func newSheetBuilder(book *workbook) *sheetBuilder {
	if book.strings == nil {
		book.strings = []string{}
	}
	return &sheetBuilder{book: book, index: make(map[string]int)}
}

// richText adds the inner XML of a shared string item and returns its index.
func (b *sheetBuilder) richText(inner string) int {
	if i, ok := b.index[inner]; ok {
		return i
	}
	b.book.strings = append(b.book.strings, inner)
	b.index[inner] = len(b.book.strings) - 1
	return len(b.book.strings) - 1
}

// s is a shared string cell with plain text; the text may hold _xHHHH_
// escapes, which are written as they are.
func (b *sheetBuilder) s(text string) cellFunc {
	i := b.richText(`<t xml:space="preserve">` + escape(text) + `</t>`)
	return func(ref string) string { return fmt.Sprintf(`<c r="%s" t="s"><v>%d</v></c>`, ref, i) }
}

// si is a shared string cell whose item is the given inner XML, such as
// rich-text runs or phonetic runs.
func (b *sheetBuilder) si(inner string, style int) cellFunc {
	i := b.richText(inner)
	return func(ref string) string {
		return fmt.Sprintf(`<c r="%s"%s t="s"><v>%d</v></c>`, ref, styleAttr(style), i)
	}
}

// num is a number cell without a type attribute, as Excel writes one.
func num(value string, style int) cellFunc {
	return func(ref string) string {
		return fmt.Sprintf(`<c r="%s"%s><v>%s</v></c>`, ref, styleAttr(style), value)
	}
}

// raw is a cell written as given; %[1]s in format is the cell reference.
func raw(format string) cellFunc {
	return func(ref string) string { return fmt.Sprintf(format, ref) }
}

func styleAttr(style int) string {
	if style == 0 {
		return ""
	}
	return fmt.Sprintf(` s="%d"`, style)
}

// row appends a <row> with the cells in column order from A; a nil cell
// leaves its column out.
func (b *sheetBuilder) row(n int, cells ...cellFunc) { b.rowWith(n, "", cells...) }

// rowWith appends a <row> as row does, with more attributes on the element,
// such as ` hidden="1"`.
func (b *sheetBuilder) rowWith(n int, attrs string, cells ...cellFunc) {
	fmt.Fprintf(&b.rows, `<row r="%d"%s>`, n, attrs)
	for i, c := range cells {
		if c != nil {
			b.rows.WriteString(c(columnName(i+1) + fmt.Sprint(n)))
		}
	}
	b.rows.WriteString(`</row>`)
}

// rawRow appends XML as it is, for rows that a helper cannot describe.
func (b *sheetBuilder) rawRow(x string) { b.rows.WriteString(x) }

// header writes the header row n from the column names.
func (b *sheetBuilder) header(n int, names []string) {
	cells := make([]cellFunc, len(names))
	for i, name := range names {
		cells[i] = b.s(name)
	}
	b.row(n, cells...)
}

func columnName(col int) string {
	name := ""
	for col > 0 {
		col--
		name = string(rune('A'+col%26)) + name
		col /= 26
	}
	return name
}

func escape(s string) string {
	var buf bytes.Buffer
	xml.EscapeText(&buf, []byte(s))
	// EscapeText writes line breaks as &#xA;, which is valid but unlike what
	// spreadsheet programs write.
	return strings.ReplaceAll(buf.String(), "&#xA;", "\n")
}

// serial returns the Excel date serial of a calendar date in the 1900 or
// the 1904 date system. The 1900 system counts the nonexistent 1900-02-29,
// so dates from March 1900 on are one day later than a plain day count.
func serial(date string, date1904 bool) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		panic(err)
	}
	if date1904 {
		return fmt.Sprint(int(t.Sub(time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)).Hours() / 24))
	}
	return fmt.Sprint(int(t.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24))
}
