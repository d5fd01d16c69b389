package ingest

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// cellInfo is the stored type, style and formula state of one worksheet cell.
type cellInfo struct {
	col      int    // 1-based column
	typ      string // the t attribute: "", "n", "s", "str", "inlineStr", "b", "e" or "d"
	style    int    // the s attribute
	formula  bool   // the cell has an <f> element
	hasValue bool   // the cell has a non-empty <v> element
	value    string // the <v> text
}

// typeScanner streams a worksheet part and returns the cell types row by row.
type typeScanner struct {
	part    io.ReadCloser
	decoder *xml.Decoder
	ahead   *scannedRow // the next row, read ahead of the caller
	lastRow int
	done    bool
}

type scannedRow struct {
	num   int
	cells []cellInfo
}

func newTypeScanner(archive *zip.Reader, part string) (*typeScanner, error) {
	file, err := archive.Open(part)
	if err != nil {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
			"open worksheet %s: %v", part, err)
	}
	return &typeScanner{part: file, decoder: xml.NewDecoder(file)}, nil
}

// rowCells returns the cells of row num; rows must be asked for in order.
func (s *typeScanner) rowCells(num int) ([]cellInfo, error) {
	for !s.done && (s.ahead == nil || s.ahead.num < num) {
		row, err := s.readRow()
		if err != nil {
			return nil, err
		}
		s.ahead = row
	}
	if s.ahead != nil && s.ahead.num == num {
		cells := s.ahead.cells
		s.ahead = nil
		return cells, nil
	}
	return nil, nil
}

// readRow reads the next <row> element, or sets done at the end of sheetData.
func (s *typeScanner) readRow() (*scannedRow, error) {
	for {
		token, err := s.decoder.Token()
		if errors.Is(err, io.EOF) {
			s.done = true
			return nil, nil
		}
		if err != nil {
			return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "parse worksheet: %v", err)
		}
		switch el := token.(type) {
		case xml.StartElement:
			if el.Name.Local == "row" {
				return s.decodeRow(el)
			}
		case xml.EndElement:
			if el.Name.Local == "sheetData" {
				s.done = true
				return nil, nil
			}
		}
	}
}

// xmlCell is the part of a <c> element the scanner needs.
type xmlCell struct {
	Ref   string  `xml:"r,attr"`
	Type  string  `xml:"t,attr"`
	Style int     `xml:"s,attr"`
	F     *string `xml:"f"`
	V     *string `xml:"v"`
}

func (s *typeScanner) decodeRow(start xml.StartElement) (*scannedRow, error) {
	row := &scannedRow{num: s.lastRow + 1}
	for _, a := range start.Attr {
		if a.Name.Local == "r" {
			if n, err := strconv.Atoi(a.Value); err == nil {
				row.num = n
			}
		}
	}
	s.lastRow = row.num

	col := 0
	for {
		token, err := s.decoder.Token()
		if err != nil {
			return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "parse worksheet row %d: %v", row.num, err)
		}
		switch el := token.(type) {
		case xml.StartElement:
			if el.Name.Local != "c" {
				continue
			}
			var c xmlCell
			if err := s.decoder.DecodeElement(&c, &el); err != nil {
				return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "parse worksheet row %d: %v", row.num, err)
			}
			col++
			if c.Ref != "" {
				if n, _, err := excelize.CellNameToCoordinates(c.Ref); err == nil {
					col = n
				}
			}
			info := cellInfo{col: col, typ: c.Type, style: c.Style, formula: c.F != nil}
			if c.V != nil && *c.V != "" {
				info.hasValue, info.value = true, *c.V
			}
			row.cells = append(row.cells, info)
		case xml.EndElement:
			if el.Name.Local == "row" {
				return row, nil
			}
		}
	}
}

func (s *typeScanner) close() error { return s.part.Close() }

// worksheetPaths maps sheet names to their worksheet parts in the package,
// following the workbook's relationships (ECMA-376 Part 2 §9).
func worksheetPaths(archive *zip.Reader) (map[string]string, error) {
	workbook := "xl/workbook.xml"
	var rootRels relationships
	if err := readXMLPart(archive, "_rels/.rels", &rootRels); err == nil {
		for _, rel := range rootRels.Items {
			if strings.HasSuffix(rel.Type, "/officeDocument") {
				workbook = strings.TrimPrefix(rel.Target, "/")
			}
		}
	}

	var book struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := readXMLPart(archive, workbook, &book); err != nil {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "read workbook: %v", err)
	}

	var rels relationships
	dir, file := path.Split(workbook)
	if err := readXMLPart(archive, dir+"_rels/"+file+".rels", &rels); err != nil {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "read workbook relationships: %v", err)
	}
	targets := make(map[string]string, len(rels.Items))
	for _, rel := range rels.Items {
		if strings.HasPrefix(rel.Target, "/") {
			targets[rel.ID] = strings.TrimPrefix(rel.Target, "/")
		} else {
			targets[rel.ID] = path.Join(dir, rel.Target)
		}
	}

	paths := make(map[string]string, len(book.Sheets))
	for _, sheet := range book.Sheets {
		paths[sheet.Name] = targets[sheet.RID]
	}
	return paths, nil
}

type relationships struct {
	Items []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

func readXMLPart(archive *zip.Reader, name string, v any) error {
	file, err := archive.Open(name)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer file.Close()
	if err := xml.NewDecoder(file).Decode(v); err != nil {
		return fmt.Errorf("parse %s: %w", name, err)
	}
	return nil
}
