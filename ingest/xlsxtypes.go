package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// cellInfo is one worksheet cell as stored: its type, style, formula state
// and value.
type cellInfo struct {
	col      int    // 1-based column
	typ      string // the t attribute: "", "n", "s", "str", "inlineStr", "b", "e" or "d"
	style    int    // the s attribute
	formula  bool   // the cell has an <f> element
	hasValue bool   // the cell has a non-empty <v> element, or inline text
	// valueElement is true when the cell has a <v> element, even an empty
	// one: a string formula whose result is "" keeps an empty <v>, but a
	// formula that was never calculated has none.
	valueElement bool
	value        string // the <v> text, or the text of an inline string
}

// sheetReader streams a worksheet part in one pass with encoding/xml's
// RawToken, which skips namespace translation. It yields each <row> with
// its cells' stored types, so no second pass is needed for them.
type sheetReader struct {
	part    io.ReadCloser
	decoder *xml.Decoder
	lastRow int
	done    bool

	cells  []cellInfo
	value  []byte // text of the open <v>
	inline []byte // text of the open <is>
}

func newSheetReader(archive *zip.Reader, part string) (*sheetReader, error) {
	file, err := archive.Open(part)
	if err != nil {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
			"open worksheet %s: %v", part, err)
	}
	return &sheetReader{part: file, decoder: xml.NewDecoder(newMarkupLimiter(file))}, nil
}

// maxMarkupRun bounds the bytes between two '<' in a part: the text of one
// element or one tag with its attributes. Excel limits a cell to 32,767
// characters, at most about 230 KB even when each is a 7-byte _xHHHH_
// escape, so a longer run means a damaged or hostile file. encoding/xml
// buffers a whole text node, which such a run would grow without bound.
const maxMarkupRun = 1 << 20

// errMarkupRun reports a run longer than maxMarkupRun.
var errMarkupRun = errors.New("a text or tag is longer than 1 MiB, far more than a cell can hold")

// markupLimiter passes bytes through and fails when a run between two '<'
// is longer than maxMarkupRun.
type markupLimiter struct {
	in  io.Reader
	run int
}

func newMarkupLimiter(in io.Reader) *markupLimiter { return &markupLimiter{in: in} }

func (m *markupLimiter) Read(p []byte) (int, error) {
	n, err := m.in.Read(p)
	for chunk := p[:n]; ; {
		i := bytes.IndexByte(chunk, '<')
		if i < 0 {
			m.run += len(chunk)
			break
		}
		if m.run+i > maxMarkupRun {
			return 0, errMarkupRun
		}
		m.run, chunk = 0, chunk[i+1:]
	}
	if m.run > maxMarkupRun {
		return 0, errMarkupRun
	}
	return n, err
}

// rowInfo is one worksheet row as stored: its number, whether it is
// hidden, and its cells.
type rowInfo struct {
	num    int
	hidden bool // hidden by hand, by a filter or by a collapsed group, or of height 0
	cells  []cellInfo
}

// nextRow returns the next <row>, or io.EOF after the last one. The cells
// are valid until the next call.
func (s *sheetReader) nextRow() (rowInfo, error) {
	for !s.done {
		token, err := s.decoder.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rowInfo{}, s.parseError(err)
		}
		switch el := token.(type) {
		case xml.StartElement:
			if el.Name.Local == "row" {
				return s.readRow(el)
			}
		case xml.EndElement:
			if el.Name.Local == "sheetData" {
				s.done = true
			}
		}
	}
	s.done = true
	return rowInfo{}, io.EOF
}

func (s *sheetReader) parseError(err error) error {
	return fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "parse worksheet: %v", err)
}

// readRow reads the cells of a <row> up to its end tag.
func (s *sheetReader) readRow(start xml.StartElement) (rowInfo, error) {
	num := s.lastRow + 1
	hidden := false
	for _, a := range start.Attr {
		switch a.Name.Local {
		case "r":
			if n, err := strconv.Atoi(a.Value); err == nil {
				num = n
			}
		case "hidden":
			hidden = hidden || xsdBoolean(a.Value)
		case "ht":
			// A row of height 0 is as invisible as a hidden one.
			if height, err := strconv.ParseFloat(a.Value, 64); err == nil && height == 0 {
				hidden = true
			}
		}
	}
	s.lastRow = num
	s.cells = s.cells[:0]

	var cur cellInfo
	var inValue, inInline, inPhonetic, inText bool
	for {
		token, err := s.decoder.RawToken()
		if err != nil {
			return rowInfo{}, s.parseError(err)
		}
		switch el := token.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "c":
				cur = s.startCell(el)
			case "v":
				inValue, s.value = true, s.value[:0]
				cur.valueElement = true
			case "f":
				cur.formula = true
			case "is":
				inInline, s.inline = true, s.inline[:0]
			case "rPh":
				inPhonetic = true
			case "t":
				inText = inInline && !inPhonetic
			}
		case xml.EndElement:
			switch el.Name.Local {
			case "v":
				inValue = false
				if len(s.value) > 0 {
					cur.hasValue, cur.value = true, string(s.value)
				}
			case "is":
				inInline = false
				if len(s.inline) > 0 {
					cur.hasValue, cur.value = true, decodeEscapes(string(s.inline))
				}
			case "rPh":
				inPhonetic = false
			case "t":
				inText = false
			case "c":
				if len(s.cells) == maxSheetColumns {
					return rowInfo{}, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
						"row %d has more than %d cells, the columns a worksheet can have", num, maxSheetColumns)
				}
				s.cells = append(s.cells, cur)
			case "row":
				return rowInfo{num: num, hidden: hidden, cells: s.cells}, nil
			}
		case xml.CharData:
			if inValue {
				s.value = append(s.value, el...)
			} else if inText {
				s.inline = append(s.inline, el...)
			}
		}
	}
}

// startCell reads the attributes of a <c> element.
func (s *sheetReader) startCell(el xml.StartElement) cellInfo {
	info := cellInfo{col: 1}
	if n := len(s.cells); n > 0 {
		info.col = s.cells[n-1].col + 1
	}
	for _, a := range el.Attr {
		switch a.Name.Local {
		case "r":
			if col := columnNumber(a.Value); col > 0 {
				info.col = col
			}
		case "t":
			info.typ = a.Value
		case "s":
			info.style, _ = strconv.Atoi(a.Value)
		}
	}
	return info
}

// maxSheetColumns is the column limit of a worksheet (Excel: 16,384, XFD).
const maxSheetColumns = 1 << 14

// columnNumber returns the 1-based column of a cell reference such as "AB12",
// or 0 when it has no column letters. A column past maxSheetColumns returns
// maxSheetColumns+1, so a long run of letters cannot overflow.
func columnNumber(ref string) int {
	col := 0
	for i := 0; i < len(ref); i++ {
		c := ref[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
		if col > maxSheetColumns {
			return maxSheetColumns + 1
		}
	}
	return col
}

// columnLetters returns the letters of a 1-based column, such as "AB" for 28.
func columnLetters(col int) string {
	var letters [3]byte // XFD, the last column, has three
	i := len(letters)
	for col > 0 && i > 0 {
		col--
		i--
		letters[i] = byte('A' + col%26)
		col /= 26
	}
	return string(letters[i:])
}

func attr(el xml.StartElement, name string) (string, bool) {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (s *sheetReader) close() error { return s.part.Close() }

// decodeEscapes decodes the _xHHHH_ escapes with which spreadsheet files
// store characters that XML cannot hold, such as control characters
// (ECMA-376 Part 1, §22.9.2.19, ST_Xstring). _x005F_ is an escaped
// underscore, so "_x005F_x000D_" is the literal text "_x000D_".
func decodeEscapes(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if r, ok := escapeAt(s, i); ok {
			b.WriteRune(r)
			i += 7
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// escapeAt decodes an _xHHHH_ escape at s[i:].
func escapeAt(s string, i int) (rune, bool) {
	if i+7 > len(s) || s[i] != '_' || s[i+1] != 'x' || s[i+6] != '_' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[i+2:i+6], 16, 16)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

// sheetEntry is one sheet of the workbook part, in workbook order.
type sheetEntry struct {
	name  string
	part  string // the sheet's part in the package, "" when the relationship is missing
	kind  string // the relationship type's last word: "worksheet", "chartsheet", "dialogsheet"
	state string // "visible", "hidden" or "veryHidden"
}

func (e sheetEntry) visible() bool { return e.state == "" || e.state == "visible" }

// Namespaces of the relationship id attribute in the Transitional and the
// Strict conformance classes of ECMA-376 (Office Open XML).
const (
	transitionalRelationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	strictRelationships       = "http://purl.oclc.org/ooxml/officeDocument/relationships"
)

// workbookPart is the part of workbook.xml that payrun reads.
type workbookPart struct {
	Properties struct {
		Date1904 string `xml:"date1904,attr"`
	} `xml:"workbookPr"`
	Sheets []struct {
		Name  string     `xml:"name,attr"`
		State string     `xml:"state,attr"`
		Attrs []xml.Attr `xml:",any,attr"`
	} `xml:"sheets>sheet"`
}

// workbookInfo is the workbook part's sheets and date system, and the parts
// its relationships link.
type workbookInfo struct {
	sheets      []sheetEntry // in workbook order
	date1904    bool         // date serials count days from 1904 instead of 1900
	stylesPart  string       // "" when the workbook has no styles part
	stringsPart string       // "" when the workbook has no shared string table
}

// readWorkbook lists the workbook's sheets with their parts, following the
// workbook's relationships (ECMA-376 Part 2 §9), and finds its styles and
// shared strings.
func readWorkbook(archive *zip.Reader) (*workbookInfo, error) {
	workbook := "xl/workbook.xml"
	var rootRels relationships
	if err := readXMLPart(archive, "_rels/.rels", &rootRels); err == nil {
		for _, rel := range rootRels.Items {
			if strings.HasSuffix(rel.Type, "/officeDocument") {
				workbook = partPath("", rel.Target)
			}
		}
	}

	var book workbookPart
	if err := readXMLPart(archive, workbook, &book); err != nil {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "read workbook: %v", err)
	}

	var rels relationships
	dir, file := path.Split(workbook)
	if err := readXMLPart(archive, dir+"_rels/"+file+".rels", &rels); err != nil {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "read workbook relationships: %v", err)
	}
	info := &workbookInfo{date1904: xsdBoolean(book.Properties.Date1904)}
	byID := make(map[string]int, len(rels.Items))
	for i, rel := range rels.Items {
		byID[rel.ID] = i
		switch path.Base(rel.Type) {
		case "styles":
			info.stylesPart = partPath(dir, rel.Target)
		case "sharedStrings":
			info.stringsPart = partPath(dir, rel.Target)
		}
	}

	for _, sheet := range book.Sheets {
		entry := sheetEntry{name: sheet.Name, state: sheet.State, kind: "worksheet"}
		for _, a := range sheet.Attrs {
			if a.Name.Local != "id" || (a.Name.Space != transitionalRelationships && a.Name.Space != strictRelationships) {
				continue
			}
			if i, ok := byID[a.Value]; ok {
				rel := rels.Items[i]
				entry.part = partPath(dir, rel.Target)
				entry.kind = path.Base(rel.Type)
			}
		}
		info.sheets = append(info.sheets, entry)
	}
	return info, nil
}

// xsdBoolean reads an xsd:boolean attribute, which may be 1 or true.
func xsdBoolean(v string) bool {
	v = strings.TrimSpace(v)
	return v == "1" || v == "true"
}

type relationships struct {
	Items []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

// maxMetadataPart bounds the workbook part and the relationship parts that
// readXMLPart decodes whole. Those list sheets and links, a few kilobytes in
// a real workbook, so 16 MiB is ample and stops a compressed bomb.
const maxMetadataPart = 16 << 20

func readXMLPart(archive *zip.Reader, name string, v any) error {
	file, err := archive.Open(name)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer file.Close()

	limited := &io.LimitedReader{R: file, N: maxMetadataPart + 1}
	if err := xml.NewDecoder(limited).Decode(v); err != nil {
		return fmt.Errorf("parse %s: %w", name, err)
	}
	if limited.N <= 0 {
		return fmt.Errorf("parse %s: the part is larger than %d MiB", name, maxMetadataPart>>20)
	}
	return nil
}

// maxCellFormats bounds the cell formats of a workbook at Excel's limit of
// 64,000 unique formats.
const maxCellFormats = 64000

// cellFormats maps each cell format (an index into cellXfs, the s attribute
// of a cell) to its number format.
type cellFormats struct {
	numFmtIDs []int          // numFmtId of each cell format
	codes     map[int]string // format code of each custom number format, by id
}

// numberFormat returns the number format id of a cell format and its custom
// code, "" for a built-in format.
func (f *cellFormats) numberFormat(style int) (int, string, bool) {
	if style < 0 || style >= len(f.numFmtIDs) {
		return 0, "", false
	}
	id := f.numFmtIDs[style]
	return id, f.codes[id], true
}

// readCellFormats streams the styles part for its custom number formats
// (<numFmts>) and the number format of each cell format (<cellXfs>). A
// workbook without a styles part has only the General format.
func readCellFormats(archive *zip.Reader, part string) (*cellFormats, error) {
	formats := &cellFormats{codes: make(map[int]string)}
	if part == "" {
		return formats, nil
	}
	file, err := archive.Open(part)
	if errors.Is(err, fs.ErrNotExist) {
		return formats, nil
	}
	if err != nil {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "open %s: %v", part, err)
	}
	defer file.Close()

	if err := formats.parse(xml.NewDecoder(newMarkupLimiter(file))); err != nil {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "parse %s: %v", part, err)
	}
	return formats, nil
}

func (f *cellFormats) parse(decoder *xml.Decoder) error {
	inCellXfs := false
	for {
		token, err := decoder.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch el := token.(type) {
		case xml.StartElement:
			switch {
			case el.Name.Local == "cellXfs":
				inCellXfs = true
			case el.Name.Local == "numFmt":
				id, _ := attr(el, "numFmtId")
				code, _ := attr(el, "formatCode")
				if n, err := strconv.Atoi(id); err == nil {
					f.codes[n] = code
				}
			case el.Name.Local == "xf" && inCellXfs:
				if len(f.numFmtIDs) == maxCellFormats {
					return fmt.Errorf("more than %d cell formats", maxCellFormats)
				}
				id, _ := attr(el, "numFmtId")
				n, _ := strconv.Atoi(id)
				f.numFmtIDs = append(f.numFmtIDs, n)
			}
		case xml.EndElement:
			if el.Name.Local == "cellXfs" {
				inCellXfs = false
			}
		}
	}
}
