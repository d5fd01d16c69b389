package ingest

import (
	"fmt"
	"strings"
)

// column is a canonical payout column. Its String is the canonical name.
type column uint8

// Canonical payout columns.
const (
	colReference column = iota
	colAmount
	colCurrency
	colSourceCurrency
	colMethod
	colPurpose
	colDescription
	colBeneficiaryID
	colInstrumentID
	colExternalRef
	colBeneficiaryType
	colFirstName
	colLastName
	colBusinessName
	colEmail
	colPhone
	colDateOfBirth
	colNationality
	colCountry
	colAddressLine1
	colAddressLine2
	colCity
	colState
	colPostalCode
	colAccountHolderName
	colIBAN
	colBIC
	colRoutingNumber
	colAccountNumber
	colAccountType
	colSortCode

	numColumns = iota
)

// columnNames are the canonical names, indexed by column.
var columnNames = [numColumns]string{
	colReference:         "reference",
	colAmount:            "amount",
	colCurrency:          "currency",
	colSourceCurrency:    "source_currency",
	colMethod:            "method",
	colPurpose:           "purpose",
	colDescription:       "description",
	colBeneficiaryID:     "beneficiary_id",
	colInstrumentID:      "instrument_id",
	colExternalRef:       "external_ref",
	colBeneficiaryType:   "beneficiary_type",
	colFirstName:         "first_name",
	colLastName:          "last_name",
	colBusinessName:      "business_name",
	colEmail:             "email",
	colPhone:             "phone",
	colDateOfBirth:       "date_of_birth",
	colNationality:       "nationality",
	colCountry:           "country",
	colAddressLine1:      "address_line1",
	colAddressLine2:      "address_line2",
	colCity:              "city",
	colState:             "state",
	colPostalCode:        "postal_code",
	colAccountHolderName: "account_holder_name",
	colIBAN:              "iban",
	colBIC:               "bic",
	colRoutingNumber:     "routing_number",
	colAccountNumber:     "account_number",
	colAccountType:       "account_type",
	colSortCode:          "sort_code",
}

func (c column) String() string { return columnNames[c] }

// canonicalColumns lists every column a payout file may have, in the order
// messages list them.
var canonicalColumns = []column{
	colReference, colAmount, colCurrency, colSourceCurrency, colMethod, colPurpose,
	colDescription, colBeneficiaryID, colInstrumentID, colExternalRef, colBeneficiaryType,
	colFirstName, colLastName, colBusinessName, colEmail, colPhone, colDateOfBirth,
	colNationality, colCountry, colAddressLine1, colAddressLine2, colCity, colState,
	colPostalCode, colAccountHolderName, colIBAN, colBIC, colRoutingNumber,
	colAccountNumber, colAccountType, colSortCode,
}

// requiredColumns must be present in every payout file.
var requiredColumns = []column{colReference, colAmount, colCurrency}

// requiredNames lists the required columns for messages.
var requiredNames = "reference, amount, currency"

// identifierColumns hold identifiers that must stay text: a spreadsheet that
// stores them as numbers drops leading zeros and keeps only 15 significant
// digits.
var identifierColumns = [numColumns]bool{
	colReference: true, colBeneficiaryID: true, colInstrumentID: true, colExternalRef: true,
	colIBAN: true, colBIC: true, colRoutingNumber: true, colAccountNumber: true,
	colSortCode: true, colPhone: true, colPostalCode: true,
}

// personalColumns hold personal data, so their values are masked in problems.
var personalColumns = [numColumns]bool{
	colFirstName: true, colLastName: true, colBusinessName: true, colAccountHolderName: true,
	colEmail: true, colPhone: true, colDateOfBirth: true, colAddressLine1: true,
	colAddressLine2: true, colCity: true, colPostalCode: true, colIBAN: true,
	colAccountNumber: true,
}

// builtinAliases maps the column names of Anton's batch templates, and a few
// common spellings, to canonical columns. Keys are header keys (see headerKey).
var builtinAliases = map[string]column{
	"payeeid":          colBeneficiaryID,
	"destamount":       colAmount,
	"destcurrency":     colCurrency,
	"destcountry":      colCountry,
	"externalid":       colExternalRef,
	"legalname":        colBusinessName,
	"streetline1":      colAddressLine1,
	"streetline2":      colAddressLine2,
	"type":             colBeneficiaryType,
	"zip":              colPostalCode,
	"zipcode":          colPostalCode,
	"postcode":         colPostalCode,
	"swift":            colBIC,
	"swiftcode":        colBIC,
	"swiftbic":         colBIC,
	"abaroutingnumber": colRoutingNumber,
	"routing":          colRoutingNumber,
	"accountholder":    colAccountHolderName,
}

var canonicalByKey = func() map[string]column {
	m := make(map[string]column, len(canonicalColumns))
	for _, c := range canonicalColumns {
		m[headerKey(c.String())] = c
	}
	return m
}()

// headerKey folds a header so that case, spaces, underscores and hyphens do
// not matter: "Address Line-1" and "address_line1" have the same key.
func headerKey(header string) string {
	header = strings.ToLower(cleanText(header))
	var b strings.Builder
	for _, r := range header {
		switch r {
		case ' ', '_', '-', '\t':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// columnMap is the result of mapping a header row.
type columnMap struct {
	header  []string        // the header cells as the file spells them, cleaned
	index   [numColumns]int // canonical column -> cell index, -1 when absent
	byCell  []column        // cell index -> canonical column, for mapped cells
	mapped  []int           // indexes of the cells that map to a column, in file order
	unknown []int           // indexes of cells that map to no column
	unnamed []int           // indexes of empty header cells
	details []column        // identity columns the header has, in canonical order
}

// has reports whether the file has the canonical column.
func (m *columnMap) has(col column) bool { return m.index[col] >= 0 }

// name returns the header of a canonical column as the file spells it.
func (m *columnMap) name(col column) string {
	if i := m.index[col]; i >= 0 {
		return m.header[i]
	}
	return col.String()
}

// mapHeader maps header cells to canonical columns, using the profile's aliases
// first, then the canonical names, then the built-in aliases.
func mapHeader(cells []string, aliases map[string]string) (*columnMap, *FileError) {
	profileAliases := make(map[string]string, len(aliases))
	for from, to := range aliases {
		profileAliases[headerKey(from)] = to
	}

	m := &columnMap{byCell: make([]column, len(cells))}
	for i := range m.index {
		m.index[i] = -1
	}
	seen := make(map[string]int)
	for i, raw := range cells {
		header := cleanText(raw)
		m.header = append(m.header, header)
		if header == "" {
			m.unnamed = append(m.unnamed, i)
			continue
		}

		key := headerKey(header)
		if first, dup := seen[key]; dup {
			return nil, fileErrorf(CodeDuplicateColumns,
				"rename or remove one of them and re-export",
				"duplicate column %q: it appears as columns %d and %d", header, first+1, i+1)
		}
		seen[key] = i

		col, known, err := resolveColumn(key, profileAliases)
		if err != nil {
			return nil, err
		}
		if !known {
			m.unknown = append(m.unknown, i)
			continue
		}
		if first := m.index[col]; first >= 0 {
			return nil, fileErrorf(CodeDuplicateColumns,
				"keep one of them and re-export",
				"columns %q and %q both map to %s", m.header[first], header, col)
		}
		m.index[col] = i
		m.byCell[i] = col
		m.mapped = append(m.mapped, i)
	}
	for _, col := range identityColumns {
		if m.has(col) {
			m.details = append(m.details, col)
		}
	}
	return m, nil
}

func resolveColumn(key string, profileAliases map[string]string) (column, bool, *FileError) {
	if to, ok := profileAliases[key]; ok {
		col, known := canonicalByKey[headerKey(to)]
		if !known {
			return 0, false, fileErrorf(CodeInvalidProfile,
				"an alias must name a column listed in docs/problem-codes.md",
				"profile alias for %q names %q, which is not a payout column", key, to)
		}
		return col, true, nil
	}
	if col, ok := canonicalByKey[key]; ok {
		return col, true, nil
	}
	col, ok := builtinAliases[key]
	return col, ok, nil
}

// missingColumns returns the required columns the header lacks, including the
// columns that identify the beneficiary.
func (m *columnMap) missingColumns() []string {
	var missing []string
	for _, col := range requiredColumns {
		if !m.has(col) {
			missing = append(missing, col.String())
		}
	}

	byID := m.has(colBeneficiaryID) || m.has(colInstrumentID)
	switch {
	case byID && !m.has(colBeneficiaryID):
		missing = append(missing, colBeneficiaryID.String())
	case byID && !m.has(colInstrumentID):
		missing = append(missing, colInstrumentID.String())
	case !byID && !m.has(colExternalRef):
		missing = append(missing, "beneficiary_id + instrument_id or external_ref")
	}
	return missing
}

// missingColumnsError builds the file error that lists expected and found columns.
func (m *columnMap) missingColumnsError(missing []string) *FileError {
	found := make([]string, 0, len(m.header))
	for _, h := range m.header {
		if h != "" {
			found = append(found, fmt.Sprintf("%q", h))
		}
	}
	return fileErrorf(CodeMissingColumns,
		"rename the column in the file (headers ignore case, spaces, underscores and hyphens) or add an alias to the source profile",
		"missing required column %s; expected %s; found %s",
		strings.Join(missing, ", "),
		requiredNames+" and beneficiary_id + instrument_id or external_ref",
		strings.Join(found, ", "))
}

// unknownColumnProblems reports header cells that map to no payout column.
func (m *columnMap) unknownColumnProblems() []Problem {
	var out []Problem
	for _, i := range m.unknown {
		out = append(out, Problem{
			Column:   m.header[i],
			Severity: SeverityWarning,
			Code:     CodeUnknownColumn,
			Message:  fmt.Sprintf("column %q is not a payout column and is ignored", m.header[i]),
			Hint:     "check its spelling, or add an alias to the source profile if it holds a payout field",
		})
	}
	return out
}

// unnamedColumnProblems reports header cells that are empty.
func (m *columnMap) unnamedColumnProblems() []Problem {
	var out []Problem
	for _, i := range m.unnamed {
		out = append(out, Problem{
			Column:   fmt.Sprintf("column %d", i+1),
			Severity: SeverityWarning,
			Code:     CodeUnnamedColumn,
			Message:  fmt.Sprintf("column %d has no header and is ignored", i+1),
			Hint:     "give the column a header, or delete it if it holds nothing",
		})
	}
	return out
}
