package ingest

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// sharedStrings is a workbook's shared string table. All the strings sit in
// one string, so the table costs their text plus 4 bytes each.
// NOTE: the table is held in memory whole, so a workbook with many distinct
// strings (such as a unique reference per row) costs memory in proportion.
type sharedStrings struct {
	text string
	ends []uint32 // end of each string in text
}

// get returns string i, or false when the table has no such entry.
func (t *sharedStrings) get(i int) (string, bool) {
	if i < 0 || i >= len(t.ends) {
		return "", false
	}
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	return t.text[start:t.ends[i]], true
}

// maxSharedStringBytes bounds the memory of a shared string table: its
// text and 4 bytes for each string, which is also what keeps the uint32
// offsets of sharedStrings in range.
// NOTE: a guessed bound, several times the table of a million payout rows
// with ten distinct texts of 30 bytes each.
const maxSharedStringBytes = 512 << 20

// readSharedStrings reads the shared string table that the workbook's
// relationships name, else xl/sharedStrings.xml, or returns an empty table
// when there is none.
func readSharedStrings(archive *xlsxPackage, name string) (*sharedStrings, error) {
	if name == "" {
		name = "xl/sharedStrings.xml"
	}

	part, size, err := archive.open(name)
	var fe *FileError
	if errors.As(err, &fe) {
		return nil, fe
	}
	if errors.Is(err, fs.ErrNotExist) {
		return &sharedStrings{}, nil
	}
	if err != nil {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "open %s: %v", name, err)
	}
	defer part.Close()

	table, err := readStringTable(part, min(size, maxInflateGrace))
	if err != nil {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "parse %s: %v", name, err)
	}
	return table, nil
}

// parseSharedStrings reads a shared string table from r.
func parseSharedStrings(r io.Reader) (*sharedStrings, error) { return readStringTable(r, 0) }

// stringTableReader reads the items of a shared string table: the <si>
// children of its <sst> element.
type stringTableReader struct {
	part  *partReader
	all   strings.Builder
	ends  []uint32
	item  []byte
	text  int // depth of the <t> whose text is collected, 0 when none
	roots int
}

// readStringTable streams the <si> items: the text of their <t> elements,
// directly or in rich-text runs, without phonetic guides (<rPh>). The text
// is sized for size bytes at first, which the part's inflated size bounds,
// so a table up to that size is not copied as it grows.
func readStringTable(r io.Reader, size uint64) (*sharedStrings, error) {
	t := &stringTableReader{part: newPartReader(r)}
	t.all.Grow(int(size))
	for {
		token, err := t.part.token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := t.take(token); err != nil {
			return nil, err
		}
	}
	if t.roots == 0 {
		return nil, errors.New("the part has no <sst> element")
	}
	return &sharedStrings{text: t.all.String(), ends: t.ends}, nil
}

func (t *stringTableReader) take(token xml.Token) error {
	depth := t.part.depth()
	switch el := token.(type) {
	case xml.StartElement:
		return t.start(el, depth)
	case xml.EndElement:
		if depth+1 == t.text {
			t.text = 0
		}
		if depth == 1 && el.Name.Local == "si" {
			return t.endItem()
		}
	case xml.CharData:
		if t.text == 0 {
			return nil
		}
		if len(t.item)+len(el) > maxMarkupRun {
			return fmt.Errorf("shared string %d is longer than 1 MiB, far more than a cell can hold", len(t.ends))
		}
		t.item = append(t.item, el...)
	}
	return nil
}

func (t *stringTableReader) start(el xml.StartElement, depth int) error {
	name, parent := el.Name.Local, t.part.parent(depth)
	switch {
	case t.text > 0:
		return fmt.Errorf("the text of shared string %d contains the element <%s>", len(t.ends), name)
	case depth == 1:
		if t.roots++; t.roots > 1 || name != "sst" {
			return fmt.Errorf("the part's root element is <%s> after %d, but a table is one <sst> element", name, t.roots-1)
		}
	case depth == 2 && name == "si":
		t.item = t.item[:0]
	case name == "t" && (depth == 3 && parent == "si" || depth == 4 && parent == "r" && t.part.parent(depth-1) == "si"):
		t.text = depth
	}
	return nil
}

func (t *stringTableReader) endItem() error {
	text := decodeEscapes(string(t.item))
	if len(text) > maxCellChars && utf16Length(text) > maxCellChars {
		return fmt.Errorf("shared string %d has more than %d characters, the maximum of a cell in Excel", len(t.ends), maxCellChars)
	}
	if t.all.Len()+len(text)+4*(len(t.ends)+1) > maxSharedStringBytes {
		return fmt.Errorf("the table contains more than %d MiB of text, far more than a payout file needs", maxSharedStringBytes>>20)
	}
	t.all.WriteString(text)
	t.ends = append(t.ends, uint32(t.all.Len()))
	return nil
}

// partPath resolves a relationship target against the folder of its source
// part; a target that starts with "/" is relative to the package root.
func partPath(dir, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(target, "/")
	}
	return path.Join(dir, target)
}
