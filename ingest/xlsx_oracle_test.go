package ingest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// The oracle reads a worksheet or a shared string table a second way, to
// tell what its cells contain. It parses the part with Token, which checks
// that each element is closed by its own end tag, into a tree, and reads
// the tree by the rules that the reader follows.

// xmlNode is one element with its attributes, child elements and text.
type xmlNode struct {
	name     string
	attrs    []xml.Attr
	children []*xmlNode
	text     string // the text directly inside the element
	closed   bool   // the end tag was read
}

// attr returns the attribute's value and whether it is there, and an
// error when it is given twice.
func (n *xmlNode) attr(name string) (string, bool, error) {
	value, found := "", false
	for _, a := range n.attrs {
		if a.Name.Local != name {
			continue
		}
		if found {
			return "", false, fmt.Errorf("<%s> has two %s attributes", n.name, name)
		}
		value, found = a.Value, true
	}
	return value, found, nil
}

func (n *xmlNode) has(name string) bool {
	for _, child := range n.children {
		if child.name == name || child.has(name) {
			return true
		}
	}
	return false
}

// readTree parses data into its top-level elements. With until set, it
// stops after the end tag of the first element of that name. On an error
// it also returns the elements read so far, those not yet closed included.
func readTree(data []byte, until string) ([]*xmlNode, error) {
	decoder := xml.NewDecoder(bytes.NewReader(data))
	var roots, open []*xmlNode
	var stop *xmlNode
	for {
		token, err := decoder.Token()
		if errors.Is(err, io.EOF) {
			return roots, nil
		}
		if err != nil {
			return roots, err
		}
		switch el := token.(type) {
		case xml.StartElement:
			if len(open) == maxElementDepth {
				return roots, errors.New("elements nest too deep")
			}
			n := &xmlNode{name: el.Name.Local, attrs: el.Attr}
			if len(open) == 0 {
				roots = append(roots, n)
			} else {
				parent := open[len(open)-1]
				parent.children = append(parent.children, n)
			}
			if stop == nil && n.name == until {
				stop = n
			}
			open = append(open, n)
		case xml.EndElement:
			n := open[len(open)-1]
			n.closed, open = true, open[:len(open)-1]
			if n == stop {
				return roots, nil
			}
		case xml.CharData:
			if len(open) > 0 {
				open[len(open)-1].text += string(el)
			}
		case xml.Directive:
			return roots, errors.New("the part has a directive such as <!DOCTYPE>")
		}
	}
}

func firstElement(nodes []*xmlNode, name string) *xmlNode {
	for _, n := range nodes {
		if n.name == name {
			return n
		}
		if found := firstElement(n.children, name); found != nil {
			return found
		}
	}
	return nil
}

// oracleCell is the text of a cell. known is false for a date, an error
// or an uncalculated formula, because the oracle does not work out their text.
type oracleCell struct {
	text  string
	known bool
}

// oracleSheet holds the cells of each row by row number and column.
type oracleSheet struct {
	rows map[int]map[int]oracleCell
}

// oracleDamage is the first damage in a worksheet, which the reader must
// report as a file error. The reader may return the rows before it, but no
// record of row or a later one.
type oracleDamage struct {
	row int
	err error
}

func (d *oracleDamage) Error() string { return fmt.Sprintf("from row %d: %v", d.row, d.err) }

// readOracleSheet reads a worksheet with the shared strings table: its
// rows up to the first damage, if any.
func readOracleSheet(data []byte, table []string) (*oracleSheet, *oracleDamage) {
	roots, treeErr := readTree(data, "sheetData")
	sheet := &oracleSheet{rows: make(map[int]map[int]oracleCell)}
	sheetData := firstElement(roots, "sheetData")
	last := 0
	damage := func(err error) (*oracleSheet, *oracleDamage) { return sheet, &oracleDamage{row: last + 1, err: err} }
	if sheetData == nil {
		if treeErr != nil {
			return damage(treeErr)
		}
		return sheet, nil
	}

	for _, row := range sheetData.children {
		if !row.closed {
			break
		}
		if row.name != "row" {
			return damage(fmt.Errorf("<%s> in <sheetData>", row.name))
		}
		num, err := oracleNumber(row, "r", last+1, maxSheetRows)
		if err != nil || num <= last || num > maxSheetRows {
			return damage(fmt.Errorf("row number after row %d: %v", last, err))
		}
		if row.has("row") {
			return damage(fmt.Errorf("row %d contains a row", num))
		}
		cells, err := oracleCells(row, num, table)
		if err != nil {
			return damage(fmt.Errorf("row %d: %w", num, err))
		}
		sheet.rows[num], last = cells, num
	}
	if treeErr != nil || !sheetData.closed {
		return damage(fmt.Errorf("XML: %v", treeErr))
	}
	return sheet, nil
}

// oracleNumber reads a whole-number attribute from 1 to limit, or next
// when it is missing.
func oracleNumber(n *xmlNode, name string, next, limit int) (int, error) {
	text, found, err := n.attr(name)
	if err != nil || !found {
		return next, err
	}
	if strings.Trim(text, "0123456789") != "" {
		return 0, fmt.Errorf("%s=%q is not a number", name, text)
	}
	var num int
	if _, err := fmt.Sscan(text, &num); err != nil || num < 1 || num > limit {
		return 0, fmt.Errorf("%s=%q is out of range", name, text)
	}
	return num, nil
}

var oracleReference = regexp.MustCompile(`^([A-Za-z]{1,3})([0-9]*)$`)

func oracleCells(row *xmlNode, num int, table []string) (map[int]oracleCell, error) {
	cells := make(map[int]oracleCell)
	last := 0
	for _, c := range row.children {
		if c.name != "c" {
			continue
		}
		col := last + 1
		ref, found, err := c.attr("r")
		if err != nil {
			return nil, err
		}
		if found {
			m := oracleReference.FindStringSubmatch(ref)
			if m == nil || columnNumber(m[1]) > maxSheetColumns {
				return nil, fmt.Errorf("invalid cell reference %q", ref)
			}
			if m[2] != "" && strings.TrimLeft(m[2], "0") != fmt.Sprint(num) {
				return nil, fmt.Errorf("cell %q in row %d", ref, num)
			}
			col = columnNumber(m[1])
		}
		if col <= last || col > maxSheetColumns {
			return nil, fmt.Errorf("column %d after column %d", col, last)
		}
		if cells[col], err = oracleValue(c, table); err != nil {
			return nil, fmt.Errorf("cell %s: %w", columnLetters(col), err)
		}
		last = col
	}
	return cells, nil
}

// oracleValue reads the value of a <c> by its type.
func oracleValue(c *xmlNode, table []string) (oracleCell, error) {
	typ, _, err := c.attr("t")
	if err != nil {
		return oracleCell{}, err
	}
	style, _, err := c.attr("s")
	if err != nil {
		return oracleCell{}, err
	}
	var values, inlines []*xmlNode
	formula := false
	for _, child := range c.children {
		switch child.name {
		case "v":
			values = append(values, child)
		case "is":
			inlines = append(inlines, child)
		case "f":
			formula = true
		}
	}
	if len(values) > 1 || len(inlines) > 1 {
		return oracleCell{}, errors.New("two values")
	}
	value, valueElement := "", len(values) == 1
	if valueElement {
		if len(values[0].children) > 0 {
			return oracleCell{}, errors.New("an element inside <v>")
		}
		value = values[0].text
	}
	inline := ""
	if len(inlines) == 1 {
		if inline, err = oracleRichText(inlines[0]); err != nil {
			return oracleCell{}, err
		}
	}

	switch typ {
	case "", "n", "s", "str", "inlineStr", "b", "e", "d":
	default:
		return oracleCell{}, fmt.Errorf("unknown type %q", typ)
	}
	if typ == "inlineStr" {
		value = inline
	}
	if formula && value == "" {
		return oracleCell{known: typ == "str" && valueElement}, nil
	}
	if value == "" {
		return oracleCell{known: true}, nil
	}
	return oracleTypedValue(typ, style, value, table)
}

func oracleTypedValue(typ, style, value string, table []string) (oracleCell, error) {
	switch typ {
	case "s":
		index := strings.Trim(value, " \t\r\n")
		var i int
		if strings.Trim(index, "0123456789") != "" || len(index) > 9 {
			return oracleCell{}, fmt.Errorf("shared string index %q", value)
		}
		fmt.Sscan(index, &i)
		if i >= len(table) {
			return oracleCell{}, fmt.Errorf("shared string %d of %d", i, len(table))
		}
		return oracleCell{text: table[i], known: true}, nil
	case "inlineStr":
		return oracleCell{text: value, known: true}, nil
	case "str":
		return oracleCell{text: oracleDecode(value), known: true}, nil
	case "b":
		switch strings.Trim(value, " \t\r\n") {
		case "1", "true":
			return oracleCell{text: "TRUE", known: true}, nil
		case "0", "false":
			return oracleCell{text: "FALSE", known: true}, nil
		}
		return oracleCell{}, fmt.Errorf("logical value %q", value)
	case "e", "d":
		return oracleCell{}, nil
	}

	number := strings.Trim(value, " \t\r\n")
	if !oracleNumberSyntax.MatchString(number) || len(number) > oracleMaxNumber {
		return oracleCell{}, fmt.Errorf("number %q", value)
	}
	f, err := strconv.ParseFloat(number, 64)
	nonZero := strings.ContainsAny(strings.SplitN(strings.ToLower(number), "e", 2)[0], "123456789")
	if err != nil || (f == 0 && nonZero) {
		return oracleCell{}, fmt.Errorf("number %q out of range", value)
	}
	if format, err := strconv.Atoi(style); err == nil && (format == 1 || format == 2) && f >= 0 && f < 2958466 {
		return oracleCell{}, nil // a date
	}
	return oracleCell{text: number, known: true}, nil
}

// oracleMaxNumber is the longest number text the oracle accepts: the exact
// decimal form of a double has at most 1,077 characters.
const oracleMaxNumber = 2048

var oracleNumberSyntax = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// oracleRichText returns the text of an <is> or <si>: its <t>, or the <t>
// of each run, without phonetic runs.
func oracleRichText(n *xmlNode) (string, error) {
	var b strings.Builder
	for _, child := range n.children {
		texts := []*xmlNode{child}
		switch child.name {
		case "t":
		case "r":
			texts = nil
			for _, t := range child.children {
				if t.name == "t" {
					texts = append(texts, t)
				}
			}
		default:
			continue
		}
		for _, t := range texts {
			if len(t.children) > 0 {
				return "", fmt.Errorf("an element inside <t>")
			}
			b.WriteString(t.text)
		}
	}
	return oracleDecode(b.String()), nil
}

var oracleEscapes = regexp.MustCompile(`(_x[0-9A-Fa-f]{4}_)+`)

// oracleDecode decodes _xHHHH_ escapes as UTF-16 code units, so a pair of
// escaped surrogates makes one character.
func oracleDecode(s string) string {
	return oracleEscapes.ReplaceAllStringFunc(s, func(run string) string {
		var units []uint16
		for i := 0; i+7 <= len(run); i += 7 {
			var unit uint16
			fmt.Sscanf(run[i+2:i+6], "%x", &unit)
			units = append(units, unit)
		}
		return string(utf16.Decode(units))
	})
}

// readOracleStrings reads a shared string table: the <si> children of its
// <sst> root element.
func readOracleStrings(data []byte) ([]string, error) {
	roots, err := readTree(data, "")
	if err != nil {
		return nil, err
	}
	if len(roots) != 1 || roots[0].name != "sst" {
		return nil, errors.New("the table is not one <sst> element")
	}
	var items []string
	for _, si := range roots[0].children {
		if si.name != "si" {
			continue
		}
		text, err := oracleRichText(si)
		if err != nil {
			return nil, err
		}
		items = append(items, text)
	}
	return items, nil
}
