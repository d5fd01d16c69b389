package ingest

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"runtime"
	"strings"

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
	// WasValid reports whether Next returned the earlier row as valid, so a
	// caller that counted it as valid must now count it as invalid.
	WasValid bool
	// Problem is the duplicate_reference error of the earlier row.
	Problem Problem
}

// referenceEntry is the value the reference index stores per row.
type referenceEntry struct {
	row uint32
	// line is the row's first line (bits 0-29), whether the row was valid
	// (validBit) and whether it was reported as a late duplicate (reportedBit).
	line uint32
}

const (
	lineBits    = 1<<30 - 1
	validBit    = 1 << 30
	reportedBit = 1 << 31
)

// duplicateIndex finds repeated references and payees in one pass: hashes
// of every reference and every payee seen so far, with the row that had each
// first. That is about 40 bytes per row at the index's usual fill, never the
// row's data.
type duplicateIndex struct {
	seed maphash.Seed
	// The tables are allocations of their own, so the cleanup that frees
	// them (see newDuplicateIndex) does not keep the index reachable.
	references *hashIndex[referenceEntry]
	payees     *hashIndex[uint32]
	late       []LateDuplicate
	touched    []uint64
	sink       uint64 // keeps the loads of touchBatch
}

func newDuplicateIndex() *duplicateIndex {
	d := &duplicateIndex{seed: maphash.MakeSeed(),
		references: &hashIndex[referenceEntry]{}, payees: &hashIndex[uint32]{}}
	// Reader.Close frees the tables; this frees them when a Reader is
	// dropped without Close.
	runtime.AddCleanup(d, func(t indexTables) { t.free() }, indexTables{d.references, d.payees})
	return d
}

// indexTables are the tables of a duplicateIndex.
type indexTables struct {
	references *hashIndex[referenceEntry]
	payees     *hashIndex[uint32]
}

func (t indexTables) free() {
	t.references.free()
	t.payees.free()
}

// free releases the tables; the index is empty afterwards.
func (d *duplicateIndex) free() { indexTables{d.references, d.payees}.free() }

// appendPart appends a length-prefixed string to the payee key material.
func appendPart(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// rowKeys are the hashes and validity of a validated row, the input of the
// duplicate checks.
type rowKeys struct {
	reference uint64 // 0 when the row has no reference
	payee     uint64 // 0 when the row takes no part in the payee check
	valid     bool
}

// keys returns the duplicate-check keys of the row just validated.
func (c *rowCheck) keys(in *payrun.Instruction) rowKeys {
	ref := c.value(colReference)
	if ref == "" {
		return rowKeys{}
	}
	k := rowKeys{reference: indexKey(maphash.String(c.r.seed, ref)), valid: !c.failed}
	if c.amountOK {
		k.payee = c.payeeKey(in)
	}
	return k
}

// payeeKey hashes the beneficiary, the amount in minor units and the
// currency of a row, or returns 0 when the row names no beneficiary.
func (c *rowCheck) payeeKey(in *payrun.Instruction) uint64 {
	b := c.r.keyBuf[:0]
	if id := c.value(colBeneficiaryID); id != "" || c.value(colInstrumentID) != "" {
		b = appendPart(b, "id")
		b = appendPart(b, id)
		b = appendPart(b, c.value(colInstrumentID))
	} else if ext := c.value(colExternalRef); ext != "" {
		b = appendPart(b, "ref")
		b = appendPart(b, ext)
		b = appendPart(b, normaliseIBAN(c.value(colIBAN)))
		b = appendPart(b, c.value(colRoutingNumber))
		b = appendPart(b, normaliseSortCode(c.value(colSortCode)))
		b = appendPart(b, c.value(colAccountNumber))
	} else {
		return 0
	}

	b = binary.LittleEndian.AppendUint64(b, uint64(c.minor))
	b = appendPart(b, in.Amount.Currency)
	c.r.keyBuf = b
	return indexKey(maphash.Bytes(c.r.seed, b))
}

// checkDuplicates runs the duplicate checks over a batch of validated
// records, in row order, as their last check. A reference that an earlier
// row used makes the record invalid, and the earlier row too, which it
// reports as a late duplicate. A payee and amount that an earlier row paid
// under another reference earn the record a warning.
func (r *Reader) checkDuplicates(records []Record, keys []rowKeys) {
	d := r.dups
	d.touchBatch(keys)
	for i := range records {
		k := keys[i]
		if k.reference == 0 {
			continue
		}
		rec := &records[i]
		entry, seen := d.references.slot(k.reference)
		if seen {
			r.duplicateReference(rec, entry)
			continue
		}
		*entry = referenceEntry{row: uint32(rec.Row), line: uint32(rec.Line) & lineBits}
		if k.valid {
			entry.line |= validBit
		}
		if k.payee != 0 {
			r.checkPayee(rec, k.payee)
		}
	}
}

// touchBatch loads the home slots of a batch's keys before the lookups.
func (d *duplicateIndex) touchBatch(keys []rowKeys) {
	d.touched = d.touched[:0]
	for _, k := range keys {
		d.touched = append(d.touched, k.reference)
	}
	sum := d.references.touch(d.touched)
	d.touched = d.touched[:0]
	for _, k := range keys {
		if k.payee != 0 {
			d.touched = append(d.touched, k.payee)
		}
	}
	d.sink = sum ^ d.payees.touch(d.touched)
}

func (r *Reader) checkPayee(rec *Record, key uint64) {
	first, paid := r.dups.payees.slot(key)
	if !paid {
		*first = uint32(rec.Row)
		return
	}
	rec.Problems = append(rec.Problems, r.referenceProblem(rec.Row, rec.Line, rec.Reference, SeverityWarning,
		CodePossibleDuplicate,
		fmt.Sprintf("row %d pays the same beneficiary the same amount under another reference", *first),
		"check that both payouts are intended; remove one row if it is a duplicate"))
}

// referenceProblem builds a problem about the reference cell of a row.
func (r *Reader) referenceProblem(row, line int, ref, severity, code, message, hint string) Problem {
	return Problem{Row: row, Line: line, Column: r.cols.name(colReference), Value: maskValue(colReference, ref),
		Severity: severity, Code: code, Message: message, Hint: hint}
}

const duplicateHint = "give each payout its own reference; remove the row if it is a duplicate"

// duplicateReference marks the record invalid and, the first time a
// reference repeats, reports the earlier row as a late duplicate.
func (r *Reader) duplicateReference(rec *Record, entry *referenceEntry) {
	rec.Problems = append(rec.Problems, r.referenceProblem(rec.Row, rec.Line, rec.Reference, SeverityError,
		CodeDuplicateReference, fmt.Sprintf("reference is already used by row %d of this file", entry.row),
		duplicateHint))
	rec.Instruction, rec.Minor = nil, 0
	if entry.line&reportedBit != 0 {
		return
	}

	// The late duplicate outlives the record, whose text the pipeline may
	// reuse, so it keeps a copy of the reference.
	d := r.dups
	ref := strings.Clone(rec.Reference)
	late := LateDuplicate{Row: int(entry.row), Line: int(entry.line & lineBits), Reference: ref,
		WasValid: entry.line&validBit != 0}
	late.Problem = r.referenceProblem(late.Row, late.Line, ref, SeverityError, CodeDuplicateReference,
		fmt.Sprintf("reference is also used by row %d of this file", rec.Row), duplicateHint)
	entry.line |= reportedBit

	d.late = append(d.late, late)
	n := len(d.late)
	rec.LateDuplicates = d.late[n-1 : n : n]
}
