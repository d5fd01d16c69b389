package ingest

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"

	"github.com/payrun/payrun"
)

// LateDuplicate is a row that Next returned before a later row repeated its
// reference. Both rows are invalid: the later one carries its own
// duplicate_reference error, and the earlier one gets Problem, which the
// caller adds after the fact.
type LateDuplicate struct {
	// Row and Line locate the earlier row, as in Record.
	Row, Line int
	// Reference is the repeated reference, cleaned.
	Reference string
	// WasValid reports whether Next returned the earlier row as valid. Amount
	// is its amount then, so a caller can take it out of its totals; Amount is
	// the zero value when WasValid is false.
	WasValid bool
	Amount   payrun.Amount
	// Minor is Amount in minor units of its currency.
	Minor int64
	// Problem is the duplicate_reference error of the earlier row.
	Problem Problem
}

// referenceEntry is what the reference index keeps per row: 16 bytes.
type referenceEntry struct {
	row, line uint32
	// amount packs the minor units of a valid row (bits 8 and up), the
	// 1-based index of its currency in duplicateIndex.currencies (bits 0-6; 0
	// for an invalid row), and whether the row was already reported as a late
	// duplicate (bit 7).
	amount uint64
}

const (
	currencyBits = 0x7f
	reportedBit  = 0x80
)

// duplicateIndex finds repeated references and payees in one pass: hashes
// of every reference and every payee seen so far, with the row that had each
// first. That is about 50 bytes per row, never the row's data.
type duplicateIndex struct {
	seed       maphash.Seed
	hash       maphash.Hash
	references hashIndex[referenceEntry]
	payees     hashIndex[uint32]
	currencies []string
	late       []LateDuplicate
}

func newDuplicateIndex() *duplicateIndex {
	d := &duplicateIndex{seed: maphash.MakeSeed()}
	d.hash.SetSeed(d.seed)
	return d
}

// packAmount returns the amount field of a referenceEntry, or 0 when the row
// is invalid or too many currencies appeared for the packing.
func (d *duplicateIndex) packAmount(currency string, minor int64) uint64 {
	for i, code := range d.currencies {
		if code == currency {
			return uint64(minor)<<8 | uint64(i+1)
		}
	}
	if len(d.currencies) == currencyBits {
		return 0
	}
	d.currencies = append(d.currencies, currency)
	return uint64(minor)<<8 | uint64(len(d.currencies))
}

// writePart adds a length-prefixed string to the payee hash.
func (d *duplicateIndex) writePart(s string) {
	var n [binary.MaxVarintLen64]byte
	d.hash.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
	d.hash.WriteString(s)
}

// payeeKey hashes the beneficiary, the amount in minor units and the
// currency of a row, or returns 0 when the row names no beneficiary.
func (c *rowCheck) payeeKey(in *payrun.Instruction) uint64 {
	d := c.r.dups
	d.hash.Reset()
	if id := c.value(colBeneficiaryID); id != "" || c.value(colInstrumentID) != "" {
		d.writePart("id")
		d.writePart(id)
		d.writePart(c.value(colInstrumentID))
	} else if ext := c.value(colExternalRef); ext != "" {
		d.writePart("ref")
		d.writePart(ext)
		d.writePart(normaliseIBAN(c.value(colIBAN)))
		d.writePart(c.value(colRoutingNumber))
		d.writePart(normaliseSortCode(c.value(colSortCode)))
		d.writePart(c.value(colAccountNumber))
	} else {
		return 0
	}

	var minor [8]byte
	binary.LittleEndian.PutUint64(minor[:], uint64(c.minor))
	d.hash.Write(minor[:])
	d.writePart(in.Amount.Currency)
	return d.hash.Sum64()
}

// checkDuplicates is the last check of a row. A reference that an earlier row
// used makes this row invalid, and the earlier row too, which it reports as a
// late duplicate. A payee and amount that an earlier row paid under another
// reference earn this row a warning.
func (c *rowCheck) checkDuplicates(in *payrun.Instruction) []LateDuplicate {
	ref := c.value(colReference)
	if ref == "" {
		return nil
	}
	d := c.r.dups
	entry, seen := d.references.slot(maphash.String(d.seed, ref))
	if seen {
		return c.duplicateReference(ref, entry)
	}
	*entry = referenceEntry{row: uint32(c.row.row), line: uint32(c.row.line)}
	if !c.failed {
		entry.amount = d.packAmount(in.Amount.Currency, c.minor)
	}

	if !c.amountOK {
		return nil
	}
	key := c.payeeKey(in)
	if key == 0 {
		return nil
	}
	first, paid := d.payees.slot(key)
	if !paid {
		*first = uint32(c.row.row)
		return nil
	}
	c.add(colReference, SeverityWarning, &finding{CodePossibleDuplicate,
		fmt.Sprintf("row %d pays the same beneficiary the same amount under another reference", *first),
		"check that both payouts are intended; remove one row if it is a duplicate"})
	return nil
}

const duplicateHint = "give each payout its own reference; remove the row if it is a duplicate"

// duplicateReference marks the row invalid and, the first time a reference
// repeats, returns the earlier row as a late duplicate.
func (c *rowCheck) duplicateReference(ref string, entry *referenceEntry) []LateDuplicate {
	c.add(colReference, SeverityError, &finding{CodeDuplicateReference,
		fmt.Sprintf("reference is already used by row %d of this file", entry.row), duplicateHint})
	if entry.amount&reportedBit != 0 {
		return nil
	}

	late := LateDuplicate{Row: int(entry.row), Line: int(entry.line), Reference: ref}
	if index := entry.amount & currencyBits; index != 0 {
		d := c.r.dups
		late.WasValid = true
		late.Minor = int64(entry.amount >> 8)
		late.Amount = payrun.FromMinor(late.Minor, d.currencies[index-1])
	}
	late.Problem = Problem{
		Row: late.Row, Line: late.Line, Column: c.r.cols.name(colReference),
		Value: maskValue(colReference, ref), Severity: SeverityError, Code: CodeDuplicateReference,
		Message: fmt.Sprintf("reference is also used by row %d of this file", c.row.row),
		Hint:    duplicateHint,
	}
	entry.amount |= reportedBit

	d := c.r.dups
	d.late = append(d.late, late)
	n := len(d.late)
	return d.late[n-1 : n : n]
}
