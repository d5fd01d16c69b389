package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// loHeader is header plus sort_code, for the LibreOffice documents.
var loHeader = append(append([]string(nil), header...), "sort_code")

const cSortCode = numCols

// loRow writes a row of len(loHeader) cells from the given columns.
func loRow(cells map[int]odsCell) string {
	row := make([]odsCell, len(loHeader))
	for col, c := range cells {
		row[col] = c
	}
	return odsRow(row...)
}

// Number and cell styles of the German document: dates as 02.01.1980, euro
// amounts as 1.234,50 €, nine-digit numbers with leading zeros, yen amounts.
const germanStyles = `<number:date-style style:name="NDate" number:language="de" number:country="DE"><number:day number:style="long"/><number:text>.</number:text><number:month number:style="long"/><number:text>.</number:text><number:year number:style="long"/></number:date-style>
<number:currency-style style:name="NEUR" number:language="de" number:country="DE"><number:number number:decimal-places="2" number:min-decimal-places="2" number:min-integer-digits="1" number:grouping="true"/><number:text> </number:text><number:currency-symbol number:language="de" number:country="DE">€</number:currency-symbol></number:currency-style>
<number:currency-style style:name="NJPY" number:language="de" number:country="DE"><number:currency-symbol number:language="ja" number:country="JP">¥</number:currency-symbol><number:number number:decimal-places="0" number:min-integer-digits="1" number:grouping="true"/></number:currency-style>
<number:number-style style:name="NTwo" number:language="de" number:country="DE"><number:number number:decimal-places="2" number:min-decimal-places="2" number:min-integer-digits="1" number:grouping="true"/></number:number-style>
<number:number-style style:name="NNine"><number:number number:decimal-places="0" number:min-integer-digits="9"/></number:number-style>
<style:style style:name="ceDate" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="NDate"/>
<style:style style:name="ceEUR" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="NEUR"/>
<style:style style:name="ceJPY" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="NJPY"/>
<style:style style:name="ceTwo" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="NTwo"/>
<style:style style:name="ceNine" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="NNine"/>
<style:style style:name="ceFill" style:family="table-cell" style:parent-style-name="Default"><style:table-cell-properties fo:background-color="#ffff99"/></style:style>
`

// eurCells returns the cells of a valid SEPA payout of the LibreOffice
// documents.
func eurCells(ref string, amount odsCell) map[int]odsCell {
	return map[int]odsCell{
		cRef: text(ref), cAmount: amount, cCurrency: text("EUR"), cExternalRef: text("C-" + ref),
		cType: text("individual"), cFirstName: text("Jörg"), cLastName: text("Müller"),
		cEmail: text("joerg.mueller@example.de"), cCountry: text("DE"), cIBAN: text("de89 3704 0044 0532 0130 00"),
	}
}

func usdCells(ref string, amount odsCell) map[int]odsCell {
	return map[int]odsCell{
		cRef: text(ref), cAmount: amount, cCurrency: text("USD"), cExternalRef: text("C-" + ref),
		cType: text("individual"), cFirstName: text("Ann"), cLastName: text("Lee"),
		cEmail: text("ann.lee@example.com"), cCountry: text("US"), cRouting: text("021000021"),
		cAccount: text("907303012471"),
	}
}

// germanDoc is a payout workbook made in a German LibreOffice: a notes sheet
// first, a hidden template sheet, and the payouts below a merged title row,
// with formatted amounts, formulas, a total row and formatted empty rows.
func germanDoc() *fodsDoc {
	payouts := fodsTable{name: "Auszahlungen"}
	add := func(r string) { payouts.rows = append(payouts.rows, r) }

	add(odsRow(spanned("Auszahlungen Juni 2026", len(loHeader))))
	add(odsRow())
	add(odsHeader(loHeader))

	row := eurCells("LO-1", currency("EUR", "1234.5", "ceEUR"))
	row[cBirth] = date("1980-01-02", "ceDate")
	add(loRow(row))
	add(loRow(eurCells("LO-2", formula("ROUND(100/3;2)", "33.33", "ceEUR"))))
	add(loRow(eurCells("LO-3", formula("[.B4]*1.1", "1357.95", "ceEUR"))))
	add(loRow(eurCells("LO-4", formula("100/3", "33.3333333333333", "ceEUR"))))

	row = usdCells("LO-5", float("100", "ceTwo"))
	row[cRouting] = float("21000021", "ceNine") // shows 021000021
	add(loRow(row))
	add(loRow(usdCells("LO-6", float("250", "ceTwo"))))
	row = usdCells("LO-7", float("300", "ceTwo"))
	row[cAccount] = float("123456789012345678", "")
	add(loRow(row))

	add(loRow(map[int]odsCell{
		cRef: text("LO-8"), cAmount: float("75.5", "ceTwo"), cCurrency: text("GBP"), cExternalRef: text("C-LO-8"),
		cType: text("individual"), cFirstName: text("Siân"), cLastName: text("O'Brien"), cEmail: text("sian@example.co.uk"),
		cCountry: text("GB"), cSortCode: text("20-00-00"), cAccount: text("31926819"),
	}))
	add(loRow(map[int]odsCell{
		cRef: text("LO-9"), cAmount: currency("JPY", "150000", "ceJPY"), cCurrency: text("JPY"), cMethod: text("swift"),
		cExternalRef: text("C-LO-9"), cType: text("individual"), cFirstName: text("太郎"), cLastName: text("山田"),
		cEmail: text("taro@example.jp"), cCountry: text("JP"), cBIC: text("MHCBJPJT"), cAccount: text("1234567"),
	}))
	row = eurCells("LO-10", formula("0.1+0.2", "0.3", "ceEUR"))
	row[cFirstName], row[cLastName] = text("Élodie"), text("Ñúñez")
	row[cCountry], row[cIBAN] = text("FR"), text("FR14 2004 1010 0505 0001 3M02 606")
	add(loRow(row))

	add(odsRow())
	add(emptyStyledRows(7, "ceFill"))
	add(odsRow(text("Summe"), formula("SUM([.B4:.B13])", "151550.08", "ceTwo")))

	template := fodsTable{name: "Vorlage", hidden: true,
		rows: []string{odsHeader(loHeader), loRow(eurCells("OLD-1", float("5", "")))}}
	notes := fodsTable{name: "Hinweise", rows: []string{
		odsRow(text("Auszahlungen für Juni. Bitte nur das Blatt Auszahlungen ändern.")),
		odsRow(text("Erstellt von der Buchhaltung")),
	}}

	return &fodsDoc{language: "de", country: "DE", styles: germanStyles,
		tables: []fodsTable{notes, template, payouts}}
}

// frenchDoc has amounts typed as text in French notation, next to a number
// cell under a French currency format.
func frenchDoc() *fodsDoc {
	styles := `<number:currency-style style:name="NEURfr" number:language="fr" number:country="FR"><number:number number:decimal-places="2" number:min-decimal-places="2" number:min-integer-digits="1" number:grouping="true"/><number:text> </number:text><number:currency-symbol number:language="fr" number:country="FR">€</number:currency-symbol></number:currency-style>
<style:style style:name="ceEURfr" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="NEURfr"/>
`
	rows := []string{odsHeader(loHeader)}
	for _, r := range []struct {
		ref    string
		amount odsCell
	}{
		{"FR-1", text("1\u00a0234,56")},
		{"FR-2", text("12,50")},
		{"FR-3", currency("EUR", "99.9", "ceEURfr")},
		{"FR-4", text("10,00")},
		{"FR-5", text("1\u00a0234,56 €")},
		{"FR-6", text("1\u202f234,56")},
	} {
		row := eurCells(r.ref, r.amount)
		row[cFirstName], row[cLastName] = text("Hélène"), text("Lefèvre")
		row[cCountry], row[cIBAN] = text("FR"), text("FR1420041010050500013M02606")
		if r.ref == "FR-4" {
			row[cBirth] = text("02/01/1980")
		}
		rows = append(rows, loRow(row))
	}
	return &fodsDoc{language: "fr", country: "FR", styles: styles,
		tables: []fodsTable{{name: "Paiements", rows: rows}}}
}

// japaneseDoc has a sheet with a Japanese name, yen amounts and dates under
// Japanese date formats, one of them in the Japanese era calendar.
func japaneseDoc() *fodsDoc {
	styles := `<number:date-style style:name="NJa" number:language="ja" number:country="JP"><number:year number:style="long"/><number:text>年</number:text><number:month/><number:text>月</number:text><number:day/><number:text>日</number:text></number:date-style>
<number:date-style style:name="NJaEra" number:language="ja" number:country="JP"><number:era number:calendar="gengou"/><number:year number:calendar="gengou"/><number:text>.</number:text><number:month/><number:text>.</number:text><number:day/></number:date-style>
<number:currency-style style:name="NYen"><number:currency-symbol number:language="ja" number:country="JP">￥</number:currency-symbol><number:number number:decimal-places="0" number:min-integer-digits="1" number:grouping="true"/></number:currency-style>
<style:style style:name="ceJa" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="NJa"/>
<style:style style:name="ceJaEra" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="NJaEra"/>
<style:style style:name="ceYen" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="NYen"/>
`
	yen := func(ref string, amount, birth odsCell) string {
		return loRow(map[int]odsCell{
			cRef: text(ref), cAmount: amount, cCurrency: text("JPY"), cMethod: text("swift"),
			cExternalRef: text("C-" + ref), cType: text("individual"), cFirstName: text("花子"), cLastName: text("佐藤"),
			cEmail: text("hanako@example.jp"), cCountry: text("JP"), cBIC: text("MHCBJPJT"), cAccount: text("7654321"),
			cBirth: birth,
		})
	}
	rows := []string{
		odsHeader(loHeader),
		yen("JA-1", currency("JPY", "150000", "ceYen"), date("1985-04-01", "ceJa")),
		yen("JA-2", text("１５０００"), nil),
		yen("JA-3", float("20000", "ceYen"), date("1990-06-15", "ceJaEra")),
		yen("JA-4", float("1500.5", ""), nil),
	}
	return &fodsDoc{language: "ja", country: "JP", styles: styles,
		tables: []fodsTable{{name: "支払い", rows: rows}}}
}

// loConversion is one file LibreOffice writes from a flat ODF document.
type loConversion struct {
	source, target string
	filter         string // the --convert-to argument
	locale         string // the profile's locale, for CSV export and import
}

var loConversions = []loConversion{
	{"libreoffice_de.fods", "libreoffice_de.xlsx", "xlsx", "de-DE"},
	{"libreoffice_fr.fods", "libreoffice_fr.xlsx", "xlsx", "fr-FR"},
	{"libreoffice_ja.fods", "libreoffice_ja.xlsx", "xlsx", "ja-JP"},
	// Sheet 3 (Auszahlungen) as German CSV: ";", Windows-1252, as shown.
	{"libreoffice_de.fods", "libreoffice_de_semicolon.csv", "csv:Text - txt - csv (StarCalc):59,34,1,1,,1031,false,true,true,false,false,3", "de-DE"},
	// The same sheet as UTF-16 text with tabs.
	{"libreoffice_de.fods", "libreoffice_de_utf16.txt", "txt:Text - txt - csv (StarCalc):9,34,65535,1,,1031,false,true,true,false,false,3", "de-DE"},
}

// convertWithLibreOffice writes the flat ODF documents to a temporary folder
// and has LibreOffice convert them into out. Each conversion gets its own
// LibreOffice profile, so runs never share settings.
func convertWithLibreOffice(soffice, out string) error {
	work, err := os.MkdirTemp("", "officegen-")
	if err != nil {
		return fmt.Errorf("create LibreOffice work folder: %w", err)
	}
	defer os.RemoveAll(work)

	docs := map[string]*fodsDoc{
		"libreoffice_de.fods": germanDoc(), "libreoffice_fr.fods": frenchDoc(), "libreoffice_ja.fods": japaneseDoc(),
	}
	for name, doc := range docs {
		if err := os.WriteFile(filepath.Join(work, name), []byte(doc.xml()), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}

	for i, c := range loConversions {
		if err := c.run(soffice, work, out, i); err != nil {
			return err
		}
	}
	return nil
}

func (c loConversion) run(soffice, work, out string, n int) error {
	converted := filepath.Join(work, fmt.Sprintf("out%d", n))
	profile := "file://" + filepath.Join(work, fmt.Sprintf("profile%d", n))
	cmd := exec.Command(soffice, "-env:UserInstallation="+profile, "--headless", "--language="+c.locale,
		"--convert-to", c.filter, "--outdir", converted, filepath.Join(work, c.source))
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("LibreOffice conversion of %s to %s failed: %w: %s", c.source, c.target, err, output)
	}

	entries, err := os.ReadDir(converted)
	if err != nil || len(entries) != 1 {
		return fmt.Errorf("LibreOffice wrote no file for %s (read %s: %v)", c.target, converted, err)
	}
	return os.Rename(filepath.Join(converted, entries[0].Name()), filepath.Join(out, c.target))
}
