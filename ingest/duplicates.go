package ingest

import (
	"fmt"
	"strings"

	"github.com/payrun/payrun"
)

// keysOf returns the hashes of a row's reference and of its payee (the
// beneficiary, the canonical amount and the currency), or 0 where the row has
// none. Both passes call it on the raw row, so their hashes always agree.
func (r *Reader) keysOf(cols *columnMap, row sourceRow) (reference, payee uint64) {
	get := func(col string) string {
		i, ok := cols.index[col]
		if !ok || i >= len(row.cells) {
			return ""
		}
		return cleanIdentifier(row.cells[i].text)
	}

	if ref := get(colReference); ref != "" {
		reference = r.hashKey(ref)
	}

	amount := r.canonicalAmount(cols, row, get(colAmount))
	if amount == "" {
		return reference, 0
	}
	currency := strings.ToUpper(get(colCurrency))

	if id := get(colBeneficiaryID); id != "" || get(colInstrumentID) != "" {
		return reference, r.hashKey("id", id, get(colInstrumentID), amount, currency)
	}
	ext := get(colExternalRef)
	if ext == "" {
		return reference, 0
	}
	return reference, r.hashKey("ref", ext, normaliseIBAN(get(colIBAN)), get(colRoutingNumber),
		normaliseSortCode(get(colSortCode)), get(colAccountNumber), amount, currency)
}

// canonicalAmount returns the amount without trailing zeros ("12.5" for both
// "12.5" and "12.50"), or "" when it does not parse.
func (r *Reader) canonicalAmount(cols *columnMap, row sourceRow, text string) string {
	if text == "" {
		return ""
	}
	if row.cells[cols.index[colAmount]].kind == cellNumber {
		value, err := roundExcelNumber(text)
		if err != nil {
			return ""
		}
		return value.String()
	}
	value, _, f := parseAmount(text, r.rules.number)
	if f != nil {
		return ""
	}
	return value.String()
}

// checkDuplicates reports a reference used by several rows (an error on each
// of them) and the same payee and amount under several references (a warning).
func (c *rowCheck) checkDuplicates(in *payrun.Instruction) {
	ref, payee := c.r.keysOf(c.r.cols, c.row)
	row := c.row.row

	if pair := c.r.references[ref]; ref != 0 && pair.count > 1 {
		c.add(colReference, SeverityError, &finding{CodeDuplicateReference,
			fmt.Sprintf("reference is used by %d rows of this file, also by row %d", pair.count, pair.other(row)),
			"give each payout its own reference; remove the row if it is a duplicate"})
		return
	}
	if pair := c.r.payees[payee]; payee != 0 && pair.count > 1 {
		c.add(colReference, SeverityWarning, &finding{CodePossibleDuplicate,
			fmt.Sprintf("row %d pays the same beneficiary the same amount under another reference", pair.other(row)),
			"check that both payouts are intended; remove one row if it is a duplicate"})
	}
}
