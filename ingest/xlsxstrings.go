package ingest

import (
	"archive/zip"
	"encoding/xml"
	"errors"
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

// readSharedStrings reads the shared string table that the workbook's
// relationships name, else xl/sharedStrings.xml, or returns an empty table
// when there is none.
func readSharedStrings(archive *zip.Reader, name string) (*sharedStrings, error) {
	if name == "" {
		name = "xl/sharedStrings.xml"
	}

	part, err := archive.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return &sharedStrings{}, nil
	}
	if err != nil {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "open %s: %v", name, err)
	}
	defer part.Close()
	table, err := parseSharedStrings(part)
	if err != nil {
		return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx", "parse %s: %v", name, err)
	}
	return table, nil
}

// parseSharedStrings streams the <si> items: the text of their <t> elements,
// directly or in rich-text runs, without phonetic guides (<rPh>).
func parseSharedStrings(r io.Reader) (*sharedStrings, error) {
	decoder := xml.NewDecoder(newMarkupLimiter(r))
	var all strings.Builder
	var ends []uint32
	var item []byte
	inItem, inText, inPhonetic := false, false, false
	for {
		token, err := decoder.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch el := token.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "si":
				inItem, item = true, item[:0]
			case "rPh":
				inPhonetic = true
			case "t":
				inText = inItem && !inPhonetic
			}
		case xml.EndElement:
			switch el.Name.Local {
			case "si":
				inItem = false
				all.WriteString(decodeEscapes(string(item)))
				ends = append(ends, uint32(all.Len()))
			case "rPh":
				inPhonetic = false
			case "t":
				inText = false
			}
		case xml.CharData:
			if inText {
				item = append(item, el...)
			}
		}
	}
	return &sharedStrings{text: all.String(), ends: ends}, nil
}

// partPath resolves a relationship target against the folder of its source
// part; a target that starts with "/" is relative to the package root.
func partPath(dir, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(target, "/")
	}
	return path.Join(dir, target)
}
