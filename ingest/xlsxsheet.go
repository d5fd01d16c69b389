package ingest

import (
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// cellInfo is one worksheet cell as stored: its column, type, style,
// formula state and values.
type cellInfo struct {
	col     int    // 1-based column
	typ     string // the t attribute: "", "n", "s", "str", "inlineStr", "b", "e" or "d"
	style   int    // the s attribute, -1 when it is not a number
	formula bool   // the cell has an <f> element
	// valueElement is true when the cell has a <v> element, even an empty
	// one: a string formula whose result is "" keeps an empty <v>, but a
	// formula that was never calculated has none.
	valueElement  bool
	inlineElement bool   // the cell has an <is> element
	value         string // the <v> text, with escapes decoded for a str cell
	inline        string // the text of <is>, with escapes decoded
}

// stored returns the value that the cell's type reads: the text of <is>
// for an inline string, else the text of <v>.
func (c *cellInfo) stored() string {
	if c.typ == "inlineStr" {
		return c.inline
	}
	return c.value
}

// rowInfo is one worksheet row as stored: its number, whether it is
// hidden, and its cells in column order.
type rowInfo struct {
	num    int
	hidden bool // hidden by hand, by a filter or by a collapsed group, or of height 0
	cells  []cellInfo
}

// maxCellChars is Excel's limit on the text of a cell, in UTF-16 code units.
const maxCellChars = 32767

// sheetReader streams a worksheet part in one pass. It yields each <row>
// of <sheetData> with its cells' stored types, so no second pass is needed
// for them. It rejects whatever leaves a cell's column or value in doubt:
// cells out of column order or given twice, a reference to another row, two
// values in one cell, an unknown cell type, or XML that is not well formed.
type sheetReader struct {
	sheet     string // the sheet's name, for messages
	partName  string
	part      io.ReadCloser
	xml       *partReader
	size      uint64 // the part's inflated size, as the zip directory states it
	sheetData int    // depth of <sheetData>, 0 before it
	lastRow   int
	done      bool

	// The row being read, and the cell being read in it.
	row       int
	rowDepth  int
	cells     []cellInfo
	cur       cellInfo
	inCell    bool
	textDepth int    // depth of the <v> or <t> whose text is collected, 0 when none
	inInline  bool   // the collected element is a <t> of <is>
	text      []byte // text of the open <v>
	inline    []byte // text of the open <is>
}

func newSheetReader(p *xlsxPackage, sheet, part string) (*sheetReader, error) {
	file, size, err := p.open(part)
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			return nil, fe
		}
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
			"open worksheet %s: %v", part, err)
	}
	return &sheetReader{sheet: sheet, partName: part, part: file, xml: newPartReader(file), size: size}, nil
}

// nextRow returns the next row, or io.EOF after the last one. The cells
// are valid until the next call.
func (s *sheetReader) nextRow() (rowInfo, error) {
	for !s.done {
		token, err := s.xml.token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rowInfo{}, s.parseError(err)
		}
		switch el := token.(type) {
		case xml.StartElement:
			depth := s.xml.depth()
			switch {
			case s.sheetData == 0 && el.Name.Local == "sheetData":
				s.sheetData = depth
			case s.sheetData == 0 || depth != s.sheetData+1:
			case el.Name.Local == "row":
				return s.readRow(el)
			default:
				return rowInfo{}, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
					"sheet %q: <sheetData> contains <%s> after row %d, but only rows belong there",
					s.sheet, el.Name.Local, s.lastRow)
			}
		case xml.EndElement:
			s.done = s.sheetData > 0 && s.xml.depth() < s.sheetData
		}
	}
	s.done = true
	return rowInfo{}, io.EOF
}

func (s *sheetReader) parseError(err error) error {
	return fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "parse worksheet %q: %v", s.sheet, err)
}

// damaged returns the file error for a row whose cells are in doubt.
func (s *sheetReader) damaged(format string, args ...any) error {
	return fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
		"sheet %q row %d: "+format, append([]any{s.sheet, s.row}, args...)...)
}

// readRow reads the cells of a <row> up to its end tag.
func (s *sheetReader) readRow(start xml.StartElement) (rowInfo, error) {
	num, hidden, err := s.rowAttributes(start)
	if err != nil {
		return rowInfo{}, err
	}
	s.lastRow, s.row, s.rowDepth = num, num, s.xml.depth()
	s.cells, s.inCell, s.textDepth = s.cells[:0], false, 0

	for {
		token, err := s.xml.token()
		if err != nil {
			return rowInfo{}, s.parseError(err)
		}
		switch el := token.(type) {
		case xml.StartElement:
			err = s.startElement(el)
		case xml.EndElement:
			if s.xml.depth() < s.rowDepth {
				return rowInfo{num: num, hidden: hidden, cells: s.cells}, nil
			}
			err = s.endElement(el)
		case xml.CharData:
			err = s.charData(el)
		}
		if err != nil {
			return rowInfo{}, err
		}
	}
}

// rowAttributes reads the number of a row, the one after the last row when
// it has no r attribute, and whether it is hidden.
func (s *sheetReader) rowAttributes(start xml.StartElement) (int, bool, error) {
	s.row = s.lastRow + 1
	num := s.lastRow + 1
	r, found, err := uniqueAttr(start, "r")
	if err != nil {
		return 0, false, s.damaged("%v", err)
	}
	if found {
		n, err := strconv.Atoi(r)
		if err != nil || strings.Trim(r, "0123456789") != "" || n < 1 || n > maxSheetRows {
			return 0, false, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
				"sheet %q: the row number %q after row %d is not a whole number from 1 to %d",
				s.sheet, shorten(r), s.lastRow, maxSheetRows)
		}
		num = n
	}

	hidden := false
	if v, ok := attr(start, "hidden"); ok {
		hidden = xsdBoolean(v)
	}
	// A row of height 0 is as invisible as a hidden one.
	if v, ok := attr(start, "ht"); ok {
		if height, err := strconv.ParseFloat(v, 64); err == nil && height == 0 {
			hidden = true
		}
	}
	return num, hidden, nil
}

// startElement starts an element inside the row: a cell, a part of a cell
// that contains its value, or another element, which is skipped.
func (s *sheetReader) startElement(el xml.StartElement) error {
	depth, name := s.xml.depth(), el.Name.Local
	switch {
	case s.textDepth > 0:
		return s.damaged("the value of cell %s contains the element <%s>", s.ref(), name)
	case name == "row":
		return s.damaged("the row contains another row")
	case depth == s.rowDepth+1 && name == "c":
		return s.startCell(el)
	case !s.inCell || depth == s.rowDepth+1:
		return nil
	}

	switch at := depth - s.rowDepth; {
	case at == 2 && name == "v":
		if s.cur.valueElement {
			return s.damaged("cell %s has two values", s.ref())
		}
		s.cur.valueElement, s.textDepth, s.inInline, s.text = true, depth, false, s.text[:0]
	case at == 2 && name == "f":
		s.cur.formula = true
	case at == 2 && name == "is":
		if s.cur.inlineElement {
			return s.damaged("cell %s has two inline strings", s.ref())
		}
		s.cur.inlineElement, s.inline = true, s.inline[:0]
	case name == "t" && s.inlineText(depth, at):
		s.textDepth, s.inInline = depth, true
	}
	return nil
}

// inlineText reports whether a <t> belongs to the text of the cell's
// inline string: directly in <is>, or in a rich-text run <r> of it, but
// not in a phonetic run <rPh>.
func (s *sheetReader) inlineText(depth, at int) bool {
	switch at {
	case 3:
		return s.xml.parent(depth) == "is"
	case 4:
		return s.xml.parent(depth) == "r" && s.xml.parent(depth-1) == "is"
	}
	return false
}

// startCell reads the attributes of a <c> element.
func (s *sheetReader) startCell(el xml.StartElement) error {
	prev := 0
	if n := len(s.cells); n > 0 {
		prev = s.cells[n-1].col
	}
	s.cur, s.inCell = cellInfo{col: prev + 1}, true

	ref, found, err := uniqueAttr(el, "r")
	if err != nil {
		return s.damaged("%v", err)
	}
	if found {
		if s.cur.col, err = s.cellColumn(ref); err != nil {
			return err
		}
	} else if s.cur.col > maxSheetColumns {
		return s.damaged("the row has more than %d cells, the columns a worksheet can have", maxSheetColumns)
	}
	if s.cur.col <= prev {
		return s.damaged("cell %s comes after cell %s%d, but cells must be in column order and each only once",
			s.ref(), columnLetters(prev), s.row)
	}

	if s.cur.typ, _, err = uniqueAttr(el, "t"); err != nil {
		return s.damaged("%v", err)
	}
	switch s.cur.typ {
	case "", "n", "s", "str", "inlineStr", "b", "e", "d":
	default:
		return s.damaged("cell %s has the unknown type %q", s.ref(), shorten(s.cur.typ))
	}

	style, found, err := uniqueAttr(el, "s")
	if err != nil {
		return s.damaged("%v", err)
	}
	if found {
		if s.cur.style, err = strconv.Atoi(style); err != nil || s.cur.style < 0 {
			s.cur.style = -1
		}
	}
	return nil
}

// cellColumn reads the column of a cell reference such as "B7", whose row,
// when it names one, must be the row that contains the cell.
func (s *sheetReader) cellColumn(ref string) (int, error) {
	letters := 0
	for letters < len(ref) && (ref[letters]|0x20 >= 'a' && ref[letters]|0x20 <= 'z') {
		letters++
	}
	digits := ref[letters:]
	if letters == 0 || strings.Trim(digits, "0123456789") != "" {
		return 0, s.damaged("the cell reference %q is not a column and row such as B7", shorten(ref))
	}

	col := columnNumber(ref[:letters])
	if col > maxSheetColumns {
		return 0, s.damaged("cell %s is beyond column XFD, the last column a worksheet can have", shorten(ref))
	}
	if digits != "" {
		if n, err := strconv.Atoi(digits); err != nil || n != s.row {
			return 0, s.damaged("cell %s names another row than the row that contains it", shorten(ref))
		}
	}
	return col, nil
}

func (s *sheetReader) endElement(el xml.EndElement) error {
	closed := s.xml.depth() + 1
	switch {
	case closed == s.textDepth:
		s.textDepth = 0
		if !s.inInline {
			s.cur.value = string(s.text)
			if s.cur.typ == "str" {
				s.cur.value = decodeEscapes(s.cur.value)
			}
		}
	case !s.inCell:
	case closed == s.rowDepth+1:
		return s.endCell()
	case closed == s.rowDepth+2 && el.Name.Local == "is":
		s.cur.inline = decodeEscapes(string(s.inline))
	}
	return nil
}

func (s *sheetReader) endCell() error {
	s.inCell = false
	if text := s.cur.stored(); len(text) > maxCellChars && utf16Length(text) > maxCellChars {
		return s.damaged("cell %s contains more than %d characters, the maximum of a cell in Excel", s.ref(), maxCellChars)
	}
	s.cells = append(s.cells, s.cur)
	return nil
}

func (s *sheetReader) charData(text xml.CharData) error {
	if s.textDepth == 0 {
		return nil
	}
	buf := &s.text
	if s.inInline {
		buf = &s.inline
	}
	if len(*buf)+len(text) > maxMarkupRun {
		return s.damaged("cell %s contains a text longer than 1 MiB, far more than a cell can hold", s.ref())
	}
	*buf = append(*buf, text...)
	return nil
}

// ref returns the reference of the cell being read, such as "B7".
func (s *sheetReader) ref() string { return columnLetters(s.cur.col) + strconv.Itoa(s.row) }

func (s *sheetReader) close() error { return s.part.Close() }

// utf16Length returns the length of s in UTF-16 code units, as Excel counts
// the characters of a cell.
func utf16Length(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// shorten returns s, or its first 40 bytes and an ellipsis when it is
// longer, so that a damaged value cannot flood a message.
func shorten(s string) string {
	if len(s) <= 40 {
		return s
	}
	cut := 40
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
