package main

import (
	"archive/zip"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Namespaces of the two conformance classes of ECMA-376 Part 1.
const (
	transitionalMain = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	transitionalRels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	strictMain       = "http://purl.oclc.org/ooxml/spreadsheetml/main"
	strictRels       = "http://purl.oclc.org/ooxml/officeDocument/relationships"
	packageRels      = "http://schemas.openxmlformats.org/package/2006/relationships"
)

// workbook describes one hand-written XLSX package. The XML of rows, shared
// strings and styles is given as written, so a case can use attributes and
// elements exactly as one spreadsheet program writes them.
type workbook struct {
	strict   bool // Strict Open XML namespaces instead of Transitional ones
	date1904 bool
	// absolute makes every relationship target absolute ("/xl/worksheets/…").
	absolute bool
	// prefixed writes the SpreadsheetML parts with an x: prefix on every
	// element, as programs built on the Open XML SDK often do.
	prefixed bool
	sheets   []worksheet // in workbook order
	// strings are the inner XML of each <si> of the shared string table; nil
	// leaves the table out of the package.
	strings []string
	// numFmts and cellXfs are the inner XML of <numFmts> and <cellXfs>; an
	// empty cellXfs gets the one default format.
	numFmts, cellXfs string
}

// worksheet is one sheet of a workbook.
type worksheet struct {
	name  string
	file  string // part name under xl/worksheets/, such as "sheet3.xml"
	state string // "", "hidden" or "veryHidden"
	chart bool   // a chart sheet under xl/chartsheets/, which has no cells
	rows  string // inner XML of <sheetData>
	after string // XML after </sheetData>, such as <mergeCells>
}

func (b *workbook) mainNS() string {
	if b.strict {
		return strictMain
	}
	return transitionalMain
}

func (b *workbook) relNS() string {
	if b.strict {
		return strictRels
	}
	return transitionalRels
}

// target returns a relationship target to a part under xl/, relative to
// the workbook's folder or absolute.
func (b *workbook) target(part string) string {
	if b.absolute {
		return "/xl/" + part
	}
	return part
}

// write writes the package to path.
func (b *workbook) write(path string) error {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	w := zip.NewWriter(file)

	for _, part := range b.parts() {
		fw, err := w.Create(part.name)
		if err != nil {
			file.Close()
			return fmt.Errorf("add %s to %s: %w", part.name, path, err)
		}
		if _, err := fw.Write([]byte(part.text)); err != nil {
			file.Close()
			return fmt.Errorf("write %s to %s: %w", part.name, path, err)
		}
	}

	if err := w.Close(); err != nil {
		file.Close()
		return fmt.Errorf("finish %s: %w", path, err)
	}
	return file.Close()
}

type part struct{ name, text string }

const xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// parts returns every part of the package, the content types first.
func (b *workbook) parts() []part {
	parts := []part{
		{"[Content_Types].xml", b.contentTypes()},
		{"_rels/.rels", b.rootRels()},
		{"xl/workbook.xml", b.workbookXML()},
		{"xl/_rels/workbook.xml.rels", b.workbookRels()},
		{"xl/styles.xml", b.stylesXML()},
	}
	if b.strings != nil {
		parts = append(parts, part{"xl/sharedStrings.xml", b.sharedStringsXML()})
	}
	for _, s := range b.sheets {
		parts = append(parts, part{s.partName(), b.sheetXML(s)})
	}
	if b.prefixed {
		for i := range parts {
			if strings.HasPrefix(parts[i].name, "xl/") && !strings.Contains(parts[i].name, "_rels") {
				parts[i].text = prefixElements(parts[i].text)
			}
		}
	}
	return parts
}

var elementStart = regexp.MustCompile(`<(/?)([A-Za-z])`)

// prefixElements puts x: before every element name and binds x to the
// default namespace instead.
func prefixElements(text string) string {
	body := strings.TrimPrefix(text, xmlHeader)
	body = elementStart.ReplaceAllString(body, "<${1}x:${2}")
	body = strings.Replace(body, ` xmlns="`, ` xmlns:x="`, 1)
	return xmlHeader + body
}

func (b *workbook) contentTypes() string {
	var s strings.Builder
	s.WriteString(xmlHeader)
	s.WriteString(`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`)
	s.WriteString(`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`)
	s.WriteString(`<Default Extension="xml" ContentType="application/xml"/>`)
	s.WriteString(`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`)
	s.WriteString(`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`)
	if b.strings != nil {
		s.WriteString(`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`)
	}
	for _, sh := range b.sheets {
		fmt.Fprintf(&s, `<Override PartName="/%s" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.%s+xml"/>`,
			sh.partName(), sh.kind())
	}
	s.WriteString(`</Types>`)
	return s.String()
}

func (b *workbook) rootRels() string {
	target := "xl/workbook.xml"
	if b.absolute {
		target = "/xl/workbook.xml"
	}
	return xmlHeader + `<Relationships xmlns="` + packageRels + `">` +
		`<Relationship Id="rId1" Type="` + b.relNS() + `/officeDocument" Target="` + target + `"/>` +
		`</Relationships>`
}

func (b *workbook) workbookXML() string {
	var s strings.Builder
	s.WriteString(xmlHeader)
	fmt.Fprintf(&s, `<workbook xmlns="%s" xmlns:r="%s">`, b.mainNS(), b.relNS())
	if b.date1904 {
		s.WriteString(`<workbookPr date1904="1"/>`)
	} else {
		s.WriteString(`<workbookPr/>`)
	}
	s.WriteString(`<bookViews><workbookView activeTab="0"/></bookViews><sheets>`)
	for i, sh := range b.sheets {
		state := ""
		if sh.state != "" {
			state = ` state="` + sh.state + `"`
		}
		fmt.Fprintf(&s, `<sheet name="%s" sheetId="%d"%s r:id="rId%d"/>`, sh.name, i+1, state, i+1)
	}
	s.WriteString(`</sheets></workbook>`)
	return s.String()
}

func (b *workbook) workbookRels() string {
	var s strings.Builder
	s.WriteString(xmlHeader)
	s.WriteString(`<Relationships xmlns="` + packageRels + `">`)
	for i, sh := range b.sheets {
		fmt.Fprintf(&s, `<Relationship Id="rId%d" Type="%s/%s" Target="%s"/>`,
			i+1, b.relNS(), sh.kind(), b.target(strings.TrimPrefix(sh.partName(), "xl/")))
	}
	n := len(b.sheets)
	fmt.Fprintf(&s, `<Relationship Id="rId%d" Type="%s/styles" Target="%s"/>`, n+1, b.relNS(), b.target("styles.xml"))
	if b.strings != nil {
		fmt.Fprintf(&s, `<Relationship Id="rId%d" Type="%s/sharedStrings" Target="%s"/>`,
			n+2, b.relNS(), b.target("sharedStrings.xml"))
	}
	s.WriteString(`</Relationships>`)
	return s.String()
}

func (b *workbook) stylesXML() string {
	xfs := b.cellXfs
	if xfs == "" {
		xfs = `<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>`
	}
	var s strings.Builder
	s.WriteString(xmlHeader)
	fmt.Fprintf(&s, `<styleSheet xmlns="%s">`, b.mainNS())
	if b.numFmts != "" {
		fmt.Fprintf(&s, `<numFmts count="%d">%s</numFmts>`, strings.Count(b.numFmts, "<numFmt "), b.numFmts)
	}
	s.WriteString(`<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>`)
	s.WriteString(`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>`)
	s.WriteString(`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>`)
	s.WriteString(`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>`)
	fmt.Fprintf(&s, `<cellXfs count="%d">%s</cellXfs>`, strings.Count(xfs, "<xf "), xfs)
	s.WriteString(`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>`)
	s.WriteString(`</styleSheet>`)
	return s.String()
}

func (b *workbook) sharedStringsXML() string {
	var s strings.Builder
	s.WriteString(xmlHeader)
	fmt.Fprintf(&s, `<sst xmlns="%s" count="%d" uniqueCount="%d">`, b.mainNS(), len(b.strings), len(b.strings))
	for _, si := range b.strings {
		s.WriteString("<si>" + si + "</si>")
	}
	s.WriteString(`</sst>`)
	return s.String()
}

func (sh worksheet) kind() string {
	if sh.chart {
		return "chartsheet"
	}
	return "worksheet"
}

func (sh worksheet) partName() string {
	if sh.chart {
		return "xl/chartsheets/" + sh.file
	}
	return "xl/worksheets/" + sh.file
}

func (b *workbook) sheetXML(sh worksheet) string {
	if sh.chart {
		return xmlHeader + `<chartsheet xmlns="` + b.mainNS() + `" xmlns:r="` + b.relNS() + `">` +
			`<sheetViews><sheetView workbookViewId="0"/></sheetViews></chartsheet>`
	}
	return xmlHeader + `<worksheet xmlns="` + b.mainNS() + `" xmlns:r="` + b.relNS() + `">` +
		`<sheetData>` + sh.rows + `</sheetData>` + sh.after + `</worksheet>`
}
