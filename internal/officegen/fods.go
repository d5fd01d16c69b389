package main

import (
	"fmt"
	"strings"
)

// fodsDoc is a flat ODF spreadsheet (one XML file) for LibreOffice to open
// and save as XLSX or CSV. language and country set the document's locale,
// which LibreOffice uses for number formats, dates and CSV export.
type fodsDoc struct {
	language, country string
	styles            string // number and cell styles, inside <office:automatic-styles>
	tables            []fodsTable
}

// fodsTable is one sheet.
type fodsTable struct {
	name   string
	hidden bool
	rows   []string // each the XML of one <table:table-row>
}

func (d *fodsDoc) xml() string {
	var s strings.Builder
	s.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
 xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
`)
	fmt.Fprintf(&s, `<office:styles><style:default-style style:family="table-cell">`+
		`<style:text-properties fo:language="%s" fo:country="%s"/></style:default-style>`+
		`<style:style style:name="Default" style:family="table-cell"/></office:styles>`+"\n",
		d.language, d.country)
	s.WriteString(`<office:automatic-styles>
<style:style style:name="ta1" style:family="table"><style:table-properties table:display="true"/></style:style>
<style:style style:name="ta2" style:family="table"><style:table-properties table:display="false"/></style:style>
`)
	s.WriteString(d.styles)
	s.WriteString("</office:automatic-styles>\n<office:body><office:spreadsheet>\n")
	for _, t := range d.tables {
		style := "ta1"
		if t.hidden {
			style = "ta2"
		}
		fmt.Fprintf(&s, "<table:table table:name=\"%s\" table:style-name=\"%s\">\n", escape(t.name), style)
		for _, r := range t.rows {
			s.WriteString(r + "\n")
		}
		s.WriteString("</table:table>\n")
	}
	s.WriteString("</office:spreadsheet></office:body></office:document>\n")
	return s.String()
}

// odsCell writes one <table:table-cell>.
type odsCell func() string

func text(v string) odsCell {
	return func() string {
		return `<table:table-cell office:value-type="string"><text:p>` + escape(v) + `</text:p></table:table-cell>`
	}
}

// float is a number cell; style names a cell style, or is "".
func float(v, style string) odsCell {
	return func() string {
		return `<table:table-cell` + odsStyle(style) + ` office:value-type="float" office:value="` + v + `"/>`
	}
}

func currency(code, v, style string) odsCell {
	return func() string {
		return `<table:table-cell` + odsStyle(style) + ` office:value-type="currency" office:currency="` + code +
			`" office:value="` + v + `"/>`
	}
}

func date(v, style string) odsCell {
	return func() string {
		return `<table:table-cell` + odsStyle(style) + ` office:value-type="date" office:date-value="` + v + `"/>`
	}
}

// formula is a formula cell in OpenFormula syntax with its calculated value.
func formula(f, v, style string) odsCell {
	return func() string {
		return `<table:table-cell` + odsStyle(style) + ` table:formula="of:` + escape(f) +
			`" office:value-type="float" office:value="` + v + `"/>`
	}
}

// spanned is a text cell merged over n columns.
func spanned(v string, n int) odsCell {
	return func() string {
		return fmt.Sprintf(`<table:table-cell table:number-columns-spanned="%d" office:value-type="string"><text:p>%s</text:p></table:table-cell>`, n, escape(v)) +
			strings.Repeat(`<table:covered-table-cell/>`, n-1)
	}
}

func odsStyle(style string) string {
	if style == "" {
		return ""
	}
	return ` table:style-name="` + style + `"`
}

// odsRow writes a row; a nil cell is an empty cell.
func odsRow(cells ...odsCell) string {
	var s strings.Builder
	s.WriteString("<table:table-row>")
	for _, c := range cells {
		if c == nil {
			s.WriteString("<table:table-cell/>")
			continue
		}
		s.WriteString(c())
	}
	s.WriteString("</table:table-row>")
	return s.String()
}

// odsHeader writes a header row of text cells.
func odsHeader(names []string) string {
	cells := make([]odsCell, len(names))
	for i, n := range names {
		cells[i] = text(n)
	}
	return odsRow(cells...)
}

// emptyStyledRows writes n rows whose cells have a style and no value, as a
// sheet formatted further down than it is filled.
func emptyStyledRows(n int, style string) string {
	return fmt.Sprintf(`<table:table-row table:number-rows-repeated="%d"><table:table-cell table:style-name="%s" table:number-columns-repeated="16"/></table:table-row>`, n, style)
}
