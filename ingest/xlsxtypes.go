package ingest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

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

// decodeEscapes decodes the _xHHHH_ escapes with which spreadsheet files
// store characters that XML cannot hold, such as control characters
// (ECMA-376 Part 1, §22.9.2.19, ST_Xstring). _x005F_ is an escaped
// underscore, so "_x005F_x000D_" is the literal text "_x000D_". Each
// escape is a UTF-16 code unit, so two escaped surrogates make one
// character, and a surrogate without its pair becomes U+FFFD.
func decodeEscapes(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, ok := escapeAt(s, i)
		if !ok {
			b.WriteByte(s[i])
			i++
			continue
		}
		i += 7
		if utf16.IsSurrogate(r) {
			if low, ok := escapeAt(s, i); ok {
				if pair := utf16.DecodeRune(r, low); pair != utf8.RuneError {
					r = pair
					i += 7
				}
			}
		}
		b.WriteRune(r) // a lone surrogate is written as U+FFFD
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
func readWorkbook(archive *xlsxPackage) (*workbookInfo, error) {
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
		return nil, metadataError("read workbook", err)
	}

	var rels relationships
	dir, file := path.Split(workbook)
	if err := readXMLPart(archive, dir+"_rels/"+file+".rels", &rels); err != nil {
		return nil, metadataError("read workbook relationships", err)
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

// metadataError returns the file error of reading a metadata part: err
// itself when it is one, such as the error of a zip bomb.
func metadataError(step string, err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return fe
	}
	return fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "%s: %v", step, err)
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

// readXMLPart decodes a metadata part into v. The part is read whole and
// checked with partReader first, because Decode skips unknown elements
// without a bound on their depth.
func readXMLPart(archive *xlsxPackage, name string, v any) error {
	file, _, err := archive.open(name)
	var fe *FileError
	if errors.As(err, &fe) {
		return fe
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer file.Close()

	data, err := io.ReadAll(io.LimitReader(file, maxMetadataPart+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxMetadataPart {
		return fmt.Errorf("parse %s: the part is larger than %d MiB", name, maxMetadataPart>>20)
	}
	if err := checkXML(data); err != nil {
		return fmt.Errorf("parse %s: %w", name, err)
	}
	if err := xml.NewDecoder(bytes.NewReader(data)).Decode(v); err != nil {
		return fmt.Errorf("parse %s: %w", name, err)
	}
	return nil
}

// checkXML reads every token of data with partReader.
func checkXML(data []byte) error {
	part := newPartReader(bytes.NewReader(data))
	for {
		if _, err := part.token(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// maxCellFormats bounds the cell formats and the custom number formats of
// a workbook at Excel's limit of 64,000 unique cell formats.
const maxCellFormats = 64000

// cellFormats stores what the number format of each cell format (an index
// into cellXfs, the s attribute of a cell) shows of a date serial.
type cellFormats struct {
	dates []dateFormat
}

// dateFormat returns what a cell format shows of a date serial; a cell
// format the workbook lacks shows a number, as General does.
func (f *cellFormats) dateFormat(style int) dateFormat {
	if style < 0 || style >= len(f.dates) {
		return notDate
	}
	return f.dates[style]
}

// readCellFormats streams the styles part for its custom number formats
// (<numFmts>) and the number format of each cell format (<cellXfs>). A
// workbook without a styles part has only the General format.
func readCellFormats(archive *xlsxPackage, part string) (*cellFormats, error) {
	formats := &cellFormats{}
	if part == "" {
		return formats, nil
	}
	file, _, err := archive.open(part)
	var fe *FileError
	if errors.As(err, &fe) {
		return nil, fe
	}
	if errors.Is(err, fs.ErrNotExist) {
		return formats, nil
	}
	if err != nil {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "open %s: %v", part, err)
	}
	defer file.Close()

	if err := formats.parse(newPartReader(file)); err != nil {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "parse %s: %v", part, err)
	}
	return formats, nil
}

// parse reads the <numFmt> elements of <numFmts> and the <xf> elements of
// <cellXfs>, then classifies the number format of each cell format.
func (f *cellFormats) parse(part *partReader) error {
	custom := make(map[int]dateFormat) // by numFmtId, for a format with a code
	var ids []int                      // numFmtId of each cell format
	cellXfs := 0
	for {
		token, err := part.token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		el, ok := token.(xml.StartElement)
		if !ok {
			continue
		}
		switch parent := part.parent(part.depth()); {
		case el.Name.Local == "cellXfs":
			if cellXfs++; cellXfs > 1 {
				return errors.New("the part has two lists of cell formats (<cellXfs>)")
			}
		case el.Name.Local == "numFmt" && parent == "numFmts":
			if len(custom) == maxCellFormats {
				return fmt.Errorf("more than %d number formats", maxCellFormats)
			}
			id, _ := attr(el, "numFmtId")
			code, _ := attr(el, "formatCode")
			if n, err := strconv.Atoi(id); err == nil && code != "" {
				custom[n] = classifyFormatCode(code)
			}
		case el.Name.Local == "xf" && parent == "cellXfs":
			if len(ids) == maxCellFormats {
				return fmt.Errorf("more than %d cell formats", maxCellFormats)
			}
			id, _ := attr(el, "numFmtId")
			n, _ := strconv.Atoi(id)
			ids = append(ids, n)
		}
	}

	f.dates = make([]dateFormat, len(ids))
	for i, id := range ids {
		format, ok := custom[id]
		if !ok {
			format = classifyNumberFormat(id, "")
		}
		f.dates[i] = format
	}
	return nil
}
