package main

import "fmt"

// Workbooks for the row checks that depend on how a spreadsheet stores a row
// or a cell: hidden rows, cells of the wrong type, and letters that a legacy
// export replaced with "?".

// libreOfficeRow formats the attributes that LibreOffice writes on every
// <row>, with booleans spelled true and false. Its %s is the hidden value.
const libreOfficeRow = ` customFormat="false" ht="12.8" hidden="%s" customHeight="false" outlineLevel="0" collapsed="false"`

// hiddenRowsBook hides rows in each way a spreadsheet program stores it:
// hidden="true" as LibreOffice writes it, a height of 0 without the hidden
// attribute, and a collapsed outline group. Two hidden rows are empty.
func hiddenRowsBook() *workbook {
	book := &workbook{}
	b := newSheetBuilder(book)
	b.header(1, header)
	b.rowWith(2, fmt.Sprintf(libreOfficeRow, "false"), b.eurRow("HR-1", num("10", 0))...)
	b.rowWith(3, fmt.Sprintf(libreOfficeRow, "true"), b.eurRow("HR-2", num("20", 0))...)
	b.rowWith(4, ` ht="0" customHeight="1"`, b.eurRow("HR-3", num("30", 0))...)
	b.rowWith(5, ` hidden="1" outlineLevel="1"`, b.eurRow("HR-4", num("40", 0))...)
	b.rowWith(6, ` collapsed="1"`, b.eurRow("HR-5", num("50", 0))...)
	b.rawRow(`<row r="7" spans="1:16" hidden="1"/>`)
	b.rowWith(8, ` hidden="1"`, b.s(" "))
	b.row(9, b.eurRow("HR-6", num("60", 0))...)
	book.sheets = []worksheet{payoutSheet(b)}
	return book
}

// misplacedTypesBook has cells whose stored type does not fit their column:
// dates and a logical value in the amount column, a sort code that the
// spreadsheet turned into a date, and a formula result with more decimals
// than it shows.
func misplacedTypesBook() *workbook {
	book := &workbook{cellXfs: `<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
		`<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>`}
	b := newSheetBuilder(book)
	names := append(append([]string(nil), header...), "sort_code")
	b.header(1, names)
	eur := func(ref string, amount cellFunc) []cellFunc { return append(b.eurRow(ref, amount), nil) }

	b.row(2, eur("MT-1", num(serial("2026-06-15", false), 1))...)
	b.row(3, eur("MT-2", raw(`<c r="%s" t="d"><v>2026-06-15T00:00:00Z</v></c>`))...)
	b.row(4, eur("MT-3", raw(`<c r="%s" t="b"><v>0</v></c>`))...)

	// A UK Excel reads the sort code 01-02-21 typed into a General cell as
	// the date 1 February 2021.
	row := make([]cellFunc, len(names))
	row[cRef], row[cAmount], row[cCurrency] = b.s("MT-4"), num("40", 0), b.s("GBP")
	row[cExternalRef], row[cType] = b.s("C-MT-4"), b.s("individual")
	row[cFirstName], row[cLastName] = b.s("Siân"), b.s("O'Brien")
	row[cEmail], row[cCountry] = b.s("sian@example.co.uk"), b.s("GB")
	row[cAccount], row[len(names)-1] = b.s("31926819"), num(serial("2021-02-01", false), 1)
	b.row(5, row...)

	// Excel stores the double with up to 17 significant digits, and the
	// #,##0.00 format shows 33.33.
	b.row(6, eur("MT-5", raw(`<c r="%s" s="2"><f>100/3</f><v>33.333333333333336</v></c>`))...)

	book.sheets = []worksheet{payoutSheet(b)}
	return book
}

// questionMarksBook has names and address lines pasted from a legacy CSV
// export, which wrote "?" for the letters Windows-1252 cannot store, and a
// description in which a question mark is only punctuation.
func questionMarksBook() *workbook {
	names := append(append([]string(nil), header...),
		"business_name", "account_holder_name", "address_line1", "address_line2", "city")
	const (
		cBusiness = numCols + iota
		cHolder
		cLine1
		cLine2
		cCity
	)
	book := &workbook{}
	b := newSheetBuilder(book)
	b.header(1, names)
	rows := []struct {
		ref   string
		col   int
		value string
	}{
		{"QM-1", cLastName, "W?sowski"},
		{"QM-2", cFirstName, "??"},
		{"QM-3", cHolder, "?ukasz W?sowski"},
		{"QM-4", cLine1, "ul. Pi?kna 7"},
		{"QM-5", cLine2, "Mieszkanie ?"},
		{"QM-6", cCity, "?ód?"},
		{"QM-7", cDescription, "Invoice 7, paid?"},
	}
	for i, r := range rows {
		row := append(b.eurRow(r.ref, num("10", 0)), make([]cellFunc, len(names)-numCols)...)
		row[cLine1], row[cCity] = b.s("ul. Piękna 7"), b.s("Łódź")
		row[r.col] = b.s(r.value)
		b.row(2+i, row...)
	}

	// A business named with a "?" by a legacy export.
	row := append(b.eurRow("QM-8", num("10", 0)), make([]cellFunc, len(names)-numCols)...)
	row[cType], row[cFirstName], row[cLastName] = b.s("business"), nil, nil
	row[cBusiness] = b.s("Spó?ka Test")
	b.row(2+len(rows), row...)

	book.sheets = []worksheet{payoutSheet(b)}
	return book
}
