package main

import (
	"fmt"
	"strings"
)

// Columns of the payout sheets that the hand-written workbooks share.
const (
	cRef = iota
	cAmount
	cCurrency
	cMethod
	cExternalRef
	cType
	cFirstName
	cLastName
	cEmail
	cCountry
	cIBAN
	cBIC
	cRouting
	cAccount
	cBirth
	cDescription
	numCols
)

var header = []string{
	"reference", "amount", "currency", "method", "external_ref", "beneficiary_type", "first_name",
	"last_name", "email", "country", "iban", "bic", "routing_number", "account_number",
	"date_of_birth", "description",
}

// eurRow returns the cells of a valid SEPA payout.
func (b *sheetBuilder) eurRow(ref string, amount cellFunc) []cellFunc {
	c := make([]cellFunc, numCols)
	c[cRef], c[cAmount], c[cCurrency] = b.s(ref), amount, b.s("EUR")
	c[cExternalRef], c[cType] = b.s("C-"+ref), b.s("individual")
	c[cFirstName], c[cLastName] = b.s("Jörg"), b.s("Müller")
	c[cEmail], c[cCountry] = b.s("joerg.mueller@example.de"), b.s("DE")
	c[cIBAN] = b.s("DE89370400440532013000")
	return c
}

// usdRow returns the cells of a valid ACH payout.
func (b *sheetBuilder) usdRow(ref string, amount cellFunc) []cellFunc {
	c := make([]cellFunc, numCols)
	c[cRef], c[cAmount], c[cCurrency] = b.s(ref), amount, b.s("USD")
	c[cExternalRef], c[cType] = b.s("C-"+ref), b.s("individual")
	c[cFirstName], c[cLastName] = b.s("Ann"), b.s("Lee")
	c[cEmail], c[cCountry] = b.s("ann.lee@example.com"), b.s("US")
	c[cRouting], c[cAccount] = b.s("021000021"), b.s("907303012471")
	return c
}

// payoutSheet returns a worksheet named Payouts in sheet1.xml.
func payoutSheet(b *sheetBuilder) worksheet {
	return worksheet{name: "Payouts", file: "sheet1.xml", rows: b.rows.String()}
}

// richTextBook has shared strings as Excel writes them: rich-text runs,
// Japanese phonetic runs and _xHHHH_ escapes.
func richTextBook() *workbook {
	book := &workbook{}
	b := newSheetBuilder(book)
	b.header(1, header)

	row := b.eurRow("RT-1", num("100", 0))
	row[cRef] = b.si(`<r><rPr><b/></rPr><t>RT-</t></r><r><t>1</t></r>`, 0)
	row[cFirstName] = b.si(`<r><t xml:space="preserve">Jörg </t></r><r><rPr><i/></rPr><t>Karl</t></r>`, 0)
	b.row(2, row...)

	row = b.eurRow("RT-2", num("2500", 0))
	row[cCurrency], row[cMethod], row[cCountry] = b.s("JPY"), b.s("swift"), b.s("JP")
	row[cFirstName] = b.si(`<t>太郎</t><rPh sb="0" eb="2"><t>タロウ</t></rPh><phoneticPr fontId="1"/>`, 0)
	row[cLastName] = b.si(`<t>山田</t><rPh sb="0" eb="2"><t>ヤマダ</t></rPh><phoneticPr fontId="1"/>`, 0)
	row[cIBAN], row[cBIC], row[cAccount] = nil, b.s("MHCBJPJT"), b.s("1234567")
	b.row(3, row...)

	// A carriage return pasted after the reference, and a literal "_x0031_".
	row = b.eurRow("RT-3", num("30.5", 0))
	row[cRef] = b.s("RT-3_x000D_")
	row[cDescription] = b.s("Invoice _x005F_x0031_")
	b.row(4, row...)

	// Alt+Enter in a name: a line break, which a name must not contain.
	row = b.eurRow("RT-4", num("40", 0))
	row[cFirstName] = b.s("Anna_x000D_\nMaria")
	b.row(5, row...)

	book.sheets = []worksheet{payoutSheet(b)}
	return book
}

// cellTypesBook has every cell type (s, str, inlineStr, b, e, n and d) and
// formula results as Excel stores them.
func cellTypesBook() *workbook {
	book := &workbook{cellXfs: `<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
		`<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>`}
	b := newSheetBuilder(book)
	b.header(1, header)

	row := b.eurRow("CT-1", raw(`<c r="%s" t="str"><f>TEXT(100,"0.00")</f><v>100.00</v></c>`))
	b.row(2, row...)

	row = b.eurRow("CT-2", raw(`<c r="%s" t="e"><f>VLOOKUP("x",Z1:Z2,1,FALSE)</f><v>#N/A</v></c>`))
	b.row(3, row...)

	row = b.eurRow("CT-3", num("25.5", 0))
	row[cRef] = raw(`<c r="%s" t="inlineStr"><is><t>CT-3</t></is></c>`)
	row[cIBAN] = raw(`<c r="%s" t="inlineStr"><is><r><t xml:space="preserve">de89 3704 </t></r><r><t>0044 0532 0130 00</t></r></is></c>`)
	b.row(4, row...)

	// A row and cells without r attributes, as some writers omit them.
	b.rawRow(`<row>` + strings.Join(cellsWithoutRef(b.eurRow("CT-4", num("10", 0))), "") + `</row>`)

	row = b.eurRow("CT-5", raw(`<c r="%s" t="b"><v>1</v></c>`))
	b.row(6, row...)

	// A formula whose result is the empty string: calculated, and empty.
	row = b.eurRow("CT-6", num("60", 0))
	row[cDescription] = raw(`<c r="%s" t="str"><f>IF(1=0,"x","")</f><v></v></c>`)
	b.row(7, row...)

	row = b.eurRow("CT-7", num("70", 0))
	row[cBirth] = raw(`<c r="%s" t="d"><v>1980-01-02T00:00:00Z</v></c>`)
	b.row(8, row...)

	row = b.eurRow("CT-8", raw(`<c r="%s"><f>SUM(B2:B3)</f></c>`))
	b.row(9, row...)

	row = b.eurRow("CT-9", raw(`<c r="%s" t="n"><v>42</v></c>`))
	row[cBirth] = raw(`<c r="%s" t="d"><v>1985-07-15T00:00:00.000</v></c>`)
	b.row(10, row...)

	row = b.eurRow("CT-10", num("11", 0))
	row[cBirth] = num(serial("1975-03-04", false)+".5", 1) // a time of day the format does not show
	b.row(11, row...)

	// A template filled down: formulas that give "" for rows not used yet.
	for r := 12; r <= 16; r++ {
		f := `<f t="shared" si="0"/>`
		if r == 12 {
			f = `<f t="shared" ref="A12:C16" si="0">IF(Input!A12="","",Input!A12)</f>`
		}
		cells := make([]cellFunc, 3)
		for i := range cells {
			cells[i] = raw(`<c r="%s" t="str">` + f + `<v></v></c>`)
		}
		b.row(r, cells...)
	}

	book.sheets = []worksheet{payoutSheet(b)}
	return book
}

// cellsWithoutRef writes cells in order with no r attribute.
func cellsWithoutRef(cells []cellFunc) []string {
	out := make([]string, 0, len(cells))
	for _, c := range cells {
		if c == nil {
			out = append(out, `<c/>`)
			continue
		}
		x := c("REF")
		out = append(out, strings.Replace(x, ` r="REF"`, "", 1))
	}
	return out
}

// Number formats of dateBook, as Excel writes them for several locales.
const dateFormats = `<numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>` +
	`<numFmt numFmtId="165" formatCode="[$-409]mmmm\ d\,\ yyyy;@"/>` +
	`<numFmt numFmtId="166" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>` +
	`<numFmt numFmtId="167" formatCode="[$-F800]dddd\,\ mmmm\ dd\,\ yyyy"/>` +
	`<numFmt numFmtId="168" formatCode="#,##0.00\ [$€-407]"/>` +
	`<numFmt numFmtId="169" formatCode="_-* #,##0.00\ &quot;€&quot;_-;\-* #,##0.00\ &quot;€&quot;_-;_-* &quot;-&quot;??\ &quot;€&quot;_-;_-@_-"/>` +
	`<numFmt numFmtId="170" formatCode="d.m.yy"/>`

// dateBook has date cells under built-in and custom formats, in the 1900 or
// the 1904 date system, and amounts under currency formats.
func dateBook(date1904 bool) *workbook {
	book := &workbook{date1904: date1904, numFmts: dateFormats}
	for _, id := range []string{"0", "14", "164", "165", "166", "167", "168", "169", "4", "22", "170"} {
		book.cellXfs += `<xf numFmtId="` + id + `" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>`
	}
	b := newSheetBuilder(book)
	b.header(1, header)

	dates := []struct {
		ref, date string
		style     int
		amount    cellFunc
	}{
		{"DT-1", "1980-01-02", 1, num("10", 0)},
		{"DT-2", "1975-12-31", 2, num("1234.5", 6)},
		{"DT-3", "1990-06-15", 3, num("99.99", 7)},
		{"DT-4", "1968-02-29", 4, num("0.3", 8)},
		{"DT-5", "2001-09-11", 5, num("1000", 6)},
		{"DT-6", "1958-03-01", 9, num("12.5", 0)},
		{"DT-7", "1999-12-31", 10, num("7", 0)},
	}
	for i, d := range dates {
		row := b.eurRow(d.ref, d.amount)
		row[cBirth] = num(serial(d.date, date1904), d.style)
		b.row(2+i, row...)
	}

	book.sheets = []worksheet{payoutSheet(b)}
	return book
}

// sheetsBook has a cover sheet first, a veryHidden sheet with a payout
// header, sheets whose parts are not in workbook order, absolute
// relationship targets, and routing numbers under a quotePrefix style.
func sheetsBook() *workbook {
	book := &workbook{absolute: true,
		cellXfs: `<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
			`<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" quotePrefix="1"/>` +
			`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>`,
		numFmts: `<numFmt numFmtId="164" formatCode="000000000"/>`}

	notes := newSheetBuilder(book)
	notes.row(1, notes.s("June payouts: read the Payouts sheet. Prepared by finance."))
	notes.row(3, notes.s("reference"), notes.s("the invoice number"))

	archive := newSheetBuilder(book)
	archive.header(1, header)
	archive.row(2, archive.eurRow("OLD-1", num("5", 0))...)

	payouts := newSheetBuilder(book)
	payouts.header(1, header)
	row := payouts.usdRow("QP-1", num("120", 0))
	row[cRouting] = payouts.si(`<t>021000021</t>`, 1)
	payouts.row(2, row...)
	row = payouts.usdRow("QP-2", num("130", 0))
	row[cRouting] = num("21000021", 2) // shows as 021000021
	payouts.row(3, row...)

	book.sheets = []worksheet{
		{name: "Notes", file: "sheet3.xml", rows: notes.rows.String()},
		{name: "Archive", file: "sheet1.xml", state: "veryHidden", rows: archive.rows.String()},
		{name: "Payouts", file: "sheet2.xml", rows: payouts.rows.String()},
	}
	return book
}

// strictBook is a workbook saved as Strict Open XML Spreadsheet, with dates
// stored as ISO 8601 text.
func strictBook() *workbook {
	book := &workbook{strict: true,
		cellXfs: `<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
			`<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>`}
	b := newSheetBuilder(book)
	b.header(1, header)
	row := b.eurRow("ST-1", num("150.25", 0))
	row[cBirth] = raw(`<c r="%s" s="1" t="d"><v>1980-01-02T00:00:00</v></c>`)
	b.row(2, row...)
	row = b.usdRow("ST-2", num("75", 0))
	row[cBirth] = num(serial("1970-05-06", false), 1)
	b.row(3, row...)
	book.sheets = []worksheet{payoutSheet(b)}
	return book
}

// shapeBook has title rows and merged cells above the header, a short row,
// a hidden row, a total row, and trailing rows that are formatted but empty.
func shapeBook() *workbook {
	book := &workbook{cellXfs: `<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
		`<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>`}
	b := newSheetBuilder(book)
	b.row(1, b.s("Payout run June 2026"))
	b.row(2, b.s("Payout"), nil, nil, nil, b.s("Beneficiary"))
	b.header(3, header)
	b.row(4, b.eurRow("SH-1", num("100", 1))...)
	b.row(5, b.s("SH-2"), num("20", 1), b.s("EUR"))
	b.rawRow(`<row r="6" hidden="1">`)
	for i, c := range b.eurRow("SH-3", num("30", 1)) {
		if c != nil {
			b.rawRow(c(columnName(i+1) + "6"))
		}
	}
	b.rawRow(`</row>`)
	b.row(7, b.eurRow("SH-4", num("40", 1))...)
	b.row(9, b.s("Total"), raw(`<c r="%s" s="1"><f>SUM(B4:B7)</f><v>190</v></c>`))
	b.rawRow(`<row r="10" s="1" customFormat="1"/>`)
	b.rawRow(`<row r="11"><c r="A11" s="1"/><c r="B11" s="1"/></row>`)
	b.row(12, b.s(" "), b.s("\u00a0"))

	sheet := payoutSheet(b)
	sheet.after = `<mergeCells count="2"><mergeCell ref="A1:P1"/><mergeCell ref="A2:D2"/></mergeCells>`
	book.sheets = []worksheet{sheet}
	return book
}

// prefixedBook writes every element with the x: prefix, as programs built on
// the Open XML SDK often write them.
func prefixedBook() *workbook {
	book := &workbook{prefixed: true}
	b := newSheetBuilder(book)
	b.header(1, header)
	b.row(2, b.eurRow("PX-1", num("10", 0))...)
	b.row(3, b.usdRow("PX-2", num("20", 0))...)
	book.sheets = []worksheet{payoutSheet(b)}
	return book
}

// twoSheetsBook has a chart sheet first and payouts on two visible sheets,
// one per currency, of which payrun reads only the first.
func twoSheetsBook() *workbook {
	book := &workbook{}
	eur := newSheetBuilder(book)
	eur.header(1, header)
	eur.row(2, eur.eurRow("EU-1", num("10", 0))...)
	usd := newSheetBuilder(book)
	usd.header(1, header)
	usd.row(2, usd.usdRow("US-1", num("20", 0))...)
	book.sheets = []worksheet{
		{name: "Chart1", file: "sheet1.xml", chart: true},
		{name: "EUR", file: "sheet1.xml", rows: eur.rows.String()},
		{name: "USD", file: "sheet2.xml", rows: usd.rows.String()},
	}
	return book
}

// damagedColumnBook has a cell reference far past the last column, as a
// damaged or hostile file may have.
func damagedColumnBook() *workbook {
	book := &workbook{}
	b := newSheetBuilder(book)
	b.header(1, header)
	b.row(2, b.eurRow("DC-1", num("10", 0))...)
	b.rawRow(`<row r="3"><c r="ZZZZZZZZ3"><v>1</v></c></row>`)
	book.sheets = []worksheet{payoutSheet(b)}
	return book
}

// wideRowBook has a row of more cells than a worksheet has columns, none
// with an r attribute, which compresses to a few bytes.
func wideRowBook() *workbook {
	book := &workbook{}
	b := newSheetBuilder(book)
	b.header(1, header)
	b.rawRow(`<row r="2">` + strings.Repeat(`<c><v>1</v></c>`, 20000) + `</row>`)
	book.sheets = []worksheet{payoutSheet(b)}
	return book
}

// longCellBook has a shared string of 2 MB, far more than the 32,767
// characters a cell can hold.
func longCellBook() *workbook {
	book := &workbook{}
	b := newSheetBuilder(book)
	b.header(1, header)
	b.row(2, b.s(strings.Repeat("A", 2<<20)))
	book.sheets = []worksheet{payoutSheet(b)}
	return book
}

// duplicatesBook repeats references and payouts in the forms a spreadsheet
// hides: a reference with a no-break space or a zero-width space after it,
// and one amount as a number cell and as text.
func duplicatesBook() *workbook {
	book := &workbook{}
	b := newSheetBuilder(book)
	b.header(1, header)
	b.row(2, b.eurRow("DUP-1", num("12.5", 0))...)
	b.row(3, b.eurRow("DUP-1\u00a0", num("20", 0))...)
	b.row(4, b.eurRow("DUP-2", num("30", 0))...)
	b.row(5, b.eurRow("DUP-2\u200b", num("40", 0))...)

	same := b.eurRow("PAY-1", num("7.5", 0))
	same[cExternalRef] = b.s("C-SAME")
	b.row(6, same...)
	same = b.eurRow("PAY-2", b.s("7.50"))
	same[cExternalRef] = b.s("C-SAME")
	b.row(7, same...)

	book.sheets = []worksheet{payoutSheet(b)}
	return book
}

// filteredBook has an AutoFilter that hides the rows not approved, as a
// person filters a sheet before saving it.
func filteredBook() *workbook {
	names := append(append([]string(nil), header...), "approved")
	book := &workbook{}
	b := newSheetBuilder(book)
	b.header(1, names)
	for i, approved := range []string{"yes", "no", "yes", "no"} {
		n := i + 2
		cells := append(b.eurRow(fmt.Sprintf("FLT-%d", i+1), num(fmt.Sprint(10*(i+1)), 0)), b.s(approved))
		hidden := ""
		if approved == "no" {
			hidden = ` hidden="1"`
		}
		b.rawRow(fmt.Sprintf(`<row r="%d"%s>`, n, hidden))
		for col, c := range cells {
			if c != nil {
				b.rawRow(c(columnName(col+1) + fmt.Sprint(n)))
			}
		}
		b.rawRow(`</row>`)
	}
	sheet := payoutSheet(b)
	sheet.after = `<autoFilter ref="A1:Q5"><filterColumn colId="16"><filters><filter val="yes"/></filters></filterColumn></autoFilter>`
	return &workbook{sheets: []worksheet{sheet}, strings: book.strings}
}

// noteBeyondHeaderBook has a note in a column right of the header, which in
// a workbook cannot have shifted any value.
func noteBeyondHeaderBook() *workbook {
	book := &workbook{}
	b := newSheetBuilder(book)
	b.header(1, header)
	b.row(2, b.eurRow("NB-1", num("10", 0))...)
	row := append(b.eurRow("NB-2", num("20", 0)), nil, b.s("checked by A.K."))
	b.row(3, row...)
	book.sheets = []worksheet{payoutSheet(b)}
	return book
}
