package ingest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/payrun/payrun"
)

// Field limits of Anton's POST /v1/payouts and POST /v1/beneficiaries.
const (
	maxReferenceLength   = 100
	maxPurposeLength     = 255
	maxExternalRefLength = 255
	defaultPurpose       = "contractor_payment"
)

// rules are the checks of one Open, derived from its options.
type rules struct {
	delimiter rune
	number    numberFormat
	maximum   map[string]decimal.Decimal
	defaults  Defaults
}

func newRules(opts Options) (rules, error) {
	var ru rules
	var err error
	if ru.delimiter, err = parseDelimiter(opts.Profile.Delimiter); err != nil {
		return ru, profileError(err)
	}
	if ru.number, err = newNumberFormat(opts.Profile.Decimal, opts.Profile.Grouping); err != nil {
		return ru, profileError(err)
	}
	if ru.maximum, err = maxAmounts(opts.Profile.MaxAmount); err != nil {
		return ru, err
	}
	ru.defaults = opts.effectiveDefaults()
	return ru, nil
}

func profileError(err error) *FileError {
	return &FileError{Code: CodeInvalidProfile, Message: "invalid source profile: " + err.Error(),
		Hint: "fix the profile in the config file or the command-line flag"}
}

// rowCheck collects the problems of one row while its fields are validated.
// Each validator keeps one and resets it for each row.
type rowCheck struct {
	r        *validator
	row      sourceRow
	values   [numColumns]string // cleaned value per canonical column
	broken   [numColumns]bool   // columns whose cell already has an error
	problems []Problem
	failed   bool
	// minor is the amount in minor units of the currency, valid when amountOK.
	minor    int64
	amountOK bool
	// amountStorage is the storage for the amount's big.Int, or nil.
	amountStorage *amountStorage
}

// validate turns one data row into a Record, with every check but the
// duplicate checks, and returns the keys those need. in is where the row's
// Instruction goes when the row is valid, and amount, if not nil, where its
// amount's digits go (see amountDecimal).
func (v *validator) validate(row sourceRow, in *payrun.Instruction, amount *amountStorage) (Record, rowKeys) {
	rec := Record{Row: row.row, Line: row.line, Raw: Raw{header: v.cols.header, cells: row.cells}}
	c := &v.check
	*c = rowCheck{r: v, row: row, amountStorage: amount}
	if row.hidden {
		// The other checks still run, so the row shows all its problems.
		c.addNamed("", "", SeverityError, &finding{CodeRowHidden,
			"the row is hidden in the spreadsheet, so payrun does not know whether it is meant to be paid",
			"delete the row if it must not be paid, or unhide it, then save and re-export"})
	}
	if c.checkExtraCells() {
		// The columns are shifted, so every other check would mislead.
		rec.Problems = c.problems
		return rec, rowKeys{}
	}
	c.readCells()

	*in = payrun.Instruction{Row: row.row, Line: row.line}
	c.checkPayout(in)
	c.checkBeneficiary(in)

	rec.Reference = c.value(colReference)
	rec.Problems = c.problems
	if !c.failed {
		rec.Instruction = in
		rec.Minor = c.minor
	}
	return rec, c.keys(in)
}

// readCells cleans each mapped cell and reports cells that are damaged
// whatever their column's rule: uncalculated formulas, spreadsheet errors,
// numbers in identifier columns, decoding damage and a "?" that a legacy
// export wrote in place of a letter.
func (c *rowCheck) readCells() {
	cols := c.r.cols
	for _, i := range cols.mapped {
		if i >= len(c.row.cells) {
			break
		}
		c.readCell(cols.byCell[i], c.row.cells[i])
	}
}

func (c *rowCheck) readCell(col column, cl cell) {
	if cl.kind == cellText && (cl.ascii || isASCII(cl.text)) {
		// ASCII text is NFC and holds no zero-width or replacement
		// character, so trimming is all the cleaning it needs.
		text := trimASCII(cl.text)
		if identifierColumns[col] && looksScientific(text) {
			c.cellError(col, text, CodeScientific,
				"the value is in scientific notation, so its digits are lost",
				"format the column as Text and re-export; never convert it back to digits")
			return
		}
		if letterColumns[col] && strings.IndexByte(text, '?') >= 0 {
			c.questionMarkError(col, text)
			return
		}
		c.values[col] = text
		return
	}

	text := cleanText(cl.text)
	if identifierColumns[col] {
		text = cleanIdentifier(cl.text)
	}

	switch {
	case cl.kind == cellFormulaNoValue:
		c.cellError(col, text, CodeFormulaNoValue, "the cell is a formula without a calculated value",
			"open the file in the spreadsheet program, let it recalculate, save and re-export")
	case cl.kind == cellError:
		c.cellError(col, text, CodeCellError, fmt.Sprintf("the cell shows the spreadsheet error %s", cl.text),
			"fix the formula or enter the value, then re-export")
	case identifierColumns[col] && cl.kind == cellNumber:
		c.cellError(col, text, CodeNumericCell,
			"the cell is stored as a number, so leading zeros and digits beyond the 15th may be lost",
			"format the column as Text and re-export")
	case identifierColumns[col] && cl.kind == cellDate:
		c.cellError(col, text, CodeNumericCell,
			"the cell is stored as a date, so the spreadsheet probably converted the identifier typed into it",
			"format the column as Text, enter the value again and re-export")
	case identifierColumns[col] && looksScientific(text):
		c.cellError(col, text, CodeScientific,
			"the value is in scientific notation, so its digits are lost",
			"format the column as Text and re-export; never convert it back to digits")
	case strings.ContainsRune(text, utf8.RuneError):
		c.cellError(col, text, CodeReplacementCharacter,
			"the value contains the replacement character U+FFFD, so the file was decoded with the wrong encoding",
			"re-export the file as CSV UTF-8 or set the source's encoding in its profile")
	case letterColumns[col] && strings.IndexByte(text, '?') >= 0:
		c.questionMarkError(col, text)
	default:
		c.values[col] = text
	}
}

// letterColumns contain names and address lines, in which a "?" is most
// likely a letter that an export in a legacy encoding could not store.
var letterColumns = [numColumns]bool{
	colFirstName: true, colLastName: true, colBusinessName: true, colAccountHolderName: true,
	colAddressLine1: true, colAddressLine2: true, colCity: true,
}

// questionMarkError reports a "?" in a name or address line. On a Western
// European Windows, Excel's plain "CSV" type writes Windows-1252, which has
// no Ł or ą, and writes "?" for them, so "Łukasz" arrives as "?ukasz".
func (c *rowCheck) questionMarkError(col column, text string) {
	hint := `export the file again as "CSV UTF-8" or as XLSX, and if the ? remains, type the missing letter in the spreadsheet`
	if c.row.worksheet {
		hint = "type the missing letter in place of the ? in the spreadsheet (the value was probably copied from such an export), then re-export"
	}
	c.cellError(col, text, CodeQuestionMark,
		col.String()+` contains "?", probably in place of a letter that a legacy encoding such as Windows-1252 cannot store`, hint)
}

func (c *rowCheck) cellError(col column, text, code, message, hint string) {
	c.broken[col] = true
	c.addValue(col, text, SeverityError, &finding{code, message, hint})
}

// checkExtraCells reports non-empty cells beyond the header. In a CSV file
// they usually mean that a value contained an unquoted delimiter and shifted
// the columns after it, so it returns true and the row is invalid. A
// worksheet cell cannot shift, so there such a cell gets a warning.
func (c *rowCheck) checkExtraCells() bool {
	width := len(c.r.cols.header)
	first, others := -1, 0
	for i := width; i < len(c.row.cells); i++ {
		if cleanText(c.row.cells[i].text) == "" {
			continue
		}
		if c.row.worksheet {
			// One warning per row, so a sheet full of notes cannot
			// make millions of problems.
			if first < 0 {
				first = i
			} else {
				others++
			}
			continue
		}
		c.problems = append(c.problems, Problem{
			Row: c.row.row, Line: c.row.line, Column: fmt.Sprintf("column %d", i+1),
			Severity: SeverityError, Code: CodeTooManyCells,
			Message: fmt.Sprintf("the row has %d cells but the header has %d, so values may be in the wrong columns",
				len(c.row.cells), width),
			Hint: "enclose values that contain the delimiter in double quotes and re-export",
		})
		c.failed = true
		return true
	}
	if first >= 0 {
		c.warnCellOutsideHeader(first, others)
	}
	return false
}

// warnCellOutsideHeader reports the worksheet cell at index i of the row,
// which lies right of the header, and others more such cells, as ignored.
func (c *rowCheck) warnCellOutsideHeader(i, others int) {
	letters := columnLetters(i + 1)
	ref := letters + strconv.Itoa(c.row.row)
	message := "cell " + ref + " is right of the header, so its column has no name and payrun ignores its value"
	if others > 0 {
		message = fmt.Sprintf("cell %s and %d more cells of the row are right of the header, so their columns have no name and payrun ignores their values",
			ref, others)
	}
	c.problems = append(c.problems, Problem{
		Row: c.row.row, Line: c.row.line, Column: letters,
		Severity: SeverityWarning, Code: CodeCellOutsideHeader,
		Message: message,
		Hint:    "leave a note as it is, but move a value that belongs to the payout into its column and re-export",
	})
}

// value returns the cleaned value of a column, "" when absent or broken.
func (c *rowCheck) value(col column) string { return c.values[col] }

// add records a finding about a column, with the column's masked value.
func (c *rowCheck) add(col column, severity string, f *finding) {
	c.addValue(col, c.values[col], severity, f)
}

func (c *rowCheck) addValue(col column, value, severity string, f *finding) {
	c.addNamed(c.r.cols.name(col), maskValue(col, value), severity, f)
}

// addNamed records a finding under a column name that may name several
// columns, with an already masked value.
func (c *rowCheck) addNamed(name, masked, severity string, f *finding) {
	if severity == SeverityError {
		c.failed = true
	}
	c.problems = append(c.problems, Problem{
		Row: c.row.row, Line: c.row.line, Column: name, Value: masked,
		Severity: severity, Code: f.code, Message: f.message, Hint: f.hint,
	})
}

// require reports a missing value and returns false; it stays quiet for a
// broken cell, which already has its error.
func (c *rowCheck) require(col column, why string) bool {
	if c.values[col] != "" {
		return true
	}
	if !c.broken[col] {
		msg := col.String() + " is missing"
		if why != "" {
			msg += " " + why
		}
		c.add(col, SeverityError, &finding{CodeMissingValue, msg, "fill in " + col.String() + " and re-export"})
	}
	return false
}

// maskValue masks a personal value with the payrun masked types, and shortens
// long ones.
func maskValue(col column, value string) string {
	switch col {
	case colIBAN:
		return payrun.NewIBAN(value).String()
	case colAccountNumber:
		return payrun.NewAccountNumber(value).String()
	case colEmail:
		return payrun.NewEmail(value).String()
	case colFirstName, colLastName, colBusinessName, colAccountHolderName:
		return payrun.NewName(value).String()
	}
	if personalColumns[col] {
		return payrun.NewSecret(value).String()
	}
	if len(value) <= 60 || utf8.RuneCountInString(value) <= 60 {
		return value
	}
	return string([]rune(value)[:57]) + "..."
}

// checkText rejects control characters and values over a length limit.
func (c *rowCheck) checkText(col column, limit int) bool {
	v := c.values[col]
	if hasControl(v) {
		c.add(col, SeverityError, &finding{CodeControlCharacter,
			col.String() + " contains a control character such as a tab or line break",
			"remove the control character and re-export"})
		return false
	}
	if limit > 0 && len(v) > limit && utf8.RuneCountInString(v) > limit {
		c.add(col, SeverityError, &finding{CodeTooLong,
			fmt.Sprintf("%s has %d characters; at most %d are allowed", col, utf8.RuneCountInString(v), limit),
			"shorten it and re-export"})
		return false
	}
	return true
}

// checkPayout validates the payout fields: reference, amount, currencies,
// purpose and description.
func (c *rowCheck) checkPayout(in *payrun.Instruction) {
	if c.require(colReference, "") && c.checkText(colReference, maxReferenceLength) {
		in.Reference = c.value(colReference)
	}

	currencyOK := false
	if c.require(colCurrency, "") {
		c.values[colCurrency] = strings.ToUpper(c.value(colCurrency))
		if f := c.checkCurrency(c.value(colCurrency)); f != nil {
			c.add(colCurrency, SeverityError, f)
		} else {
			currencyOK = true
			in.Amount.Currency = c.value(colCurrency)
		}
	}
	c.checkAmount(in, currencyOK)
	c.checkSourceCurrency(in)

	in.Purpose = c.r.rules.defaults.Purpose
	if in.Purpose == "" {
		in.Purpose = defaultPurpose
	}
	if v := c.value(colPurpose); v != "" && c.checkText(colPurpose, maxPurposeLength) {
		in.Purpose = v
	}
	if v := c.value(colDescription); v != "" && c.checkText(colDescription, 0) {
		in.Description = v
	}
}

func (c *rowCheck) checkSourceCurrency(in *payrun.Instruction) {
	code := strings.ToUpper(c.value(colSourceCurrency))
	fromDefault := false
	if code == "" && !c.broken[colSourceCurrency] {
		code = strings.ToUpper(c.r.rules.defaults.SourceCurrency)
		fromDefault = code != ""
	}
	if code == "" {
		in.SourceCurrency = in.Amount.Currency
		return
	}
	c.values[colSourceCurrency] = code
	if f := c.checkCurrency(code); f != nil {
		if fromDefault {
			f.message = "the row has no source_currency and the default of the config file is invalid: " + f.message
			f.hint = "fix source_currency in the config file's [defaults] or the profile's defaults, or fill in source_currency"
		}
		c.add(colSourceCurrency, SeverityError, f)
		return
	}
	in.SourceCurrency = code
}

// checkCurrency checks an ISO 4217 code with the Reader's cache of the
// file's codes.
func (c *rowCheck) checkCurrency(code string) *finding {
	if _, ok := c.r.scaleOf(code); ok {
		return nil
	}
	return checkCurrency(code)
}

// checkAmount parses the amount and checks it against the currency's minor
// units and the profile's maximum.
func (c *rowCheck) checkAmount(in *payrun.Instruction, currencyOK bool) {
	if !c.require(colAmount, "") {
		return
	}

	code := in.Amount.Currency
	scale, _ := c.r.scaleOf(code)
	text, nf := c.value(colAmount), c.r.rules.number
	if currencyOK && c.amountCell().kind == cellText {
		if ambiguousThousands(text, nf, scale) {
			c.add(colAmount, SeverityError, ambiguousThousandsFinding(text, code))
			return
		}
		if minor, ok := plainAmountMinor(text, nf.decimal, scale); ok {
			c.acceptAmount(in, minor, scale)
			return
		}
	}

	value, places, f := c.parseAmountCell()
	if f != nil {
		c.add(colAmount, SeverityError, f)
		return
	}
	if !currencyOK {
		return
	}
	if places > scale {
		c.add(colAmount, SeverityError, c.tooManyDecimals(value, places, code, scale))
		return
	}
	c.acceptAmount(in, value.Shift(int32(scale)).IntPart(), scale)
}

// tooManyDecimals returns the finding for an amount with more decimals than
// its currency allows. A numeric cell may show fewer decimals than it stores,
// such as 33,33 € for =100/3, so the message gives the stored value.
func (c *rowCheck) tooManyDecimals(value decimal.Decimal, places int, code string, scale int) *finding {
	if c.amountCell().kind != cellNumber {
		hint := decimalsHint(scale)
		if !c.r.rules.number.declared && places == 3 && strings.Count(c.value(colAmount), ".") == 1 {
			// "10.000" is ten thousand where "." separates thousands.
			hint += "; " + ambiguousThousandsHint
		}
		return &finding{CodeAmountTooManyDecimal,
			fmt.Sprintf("amount has %s but %s has %s; payrun never rounds",
				plural(places, "decimal"), code, plural(scale, "decimal")), hint}
	}
	allowed := "no decimals"
	if scale > 0 {
		allowed = plural(scale, "decimal")
	}
	return &finding{CodeAmountTooManyDecimal,
		fmt.Sprintf("the cell stores %s and may show fewer decimals, but %s allows %s and payrun never rounds",
			value.String(), code, allowed),
		fmt.Sprintf("round the amount in the spreadsheet, for example with =ROUND(...;%d), and re-export", scale)}
}

// acceptAmount checks the profile's maximum and sets the row's amount.
func (c *rowCheck) acceptAmount(in *payrun.Instruction, minor int64, scale int) {
	code := in.Amount.Currency
	value := amountDecimal(minor, scale, c.amountStorage)
	if limit, ok := c.r.rules.maximum[code]; ok && value.GreaterThan(limit) {
		shown := limit.String()
		if limit.Exponent() >= -int32(scale) {
			shown = limit.StringFixed(int32(scale))
		}
		c.add(colAmount, SeverityError, &finding{CodeAmountAboveMaximum,
			fmt.Sprintf("amount is above the source's per-row maximum of %s %s", shown, code),
			"check the amount; split the payout or raise max_amount in the source profile if it is right"})
		return
	}
	in.Amount.Value = value
	c.minor, c.amountOK = minor, true
}

func (c *rowCheck) amountCell() cell { return c.row.cells[c.r.cols.index[colAmount]] }

// parseAmountCell parses a text amount with the declared number format, and a
// numeric XLSX cell by its stored value rounded to 15 significant digits.
// An XLSX cell of another type is no amount.
func (c *rowCheck) parseAmountCell() (decimal.Decimal, int, *finding) {
	text := c.value(colAmount)
	switch c.amountCell().kind {
	case cellNumber:
		if c.amountCell().percent {
			return decimal.Zero, 0, &finding{CodeAmountPercentCell,
				"the cell is formatted as a percentage, so it shows the value times 100 with a % sign (" + text +
					" shows as " + percentText(text) + ")",
				"format the amount column as a number, enter the amounts again and re-export"}
		}
		return parseNumberCell(text)
	case cellBool:
		return decimal.Zero, 0, &finding{CodeAmountInvalid, "the cell holds the logical value " + text + ", not an amount",
			"enter the amount, or fix the formula that gives TRUE or FALSE, then re-export"}
	case cellDate:
		return decimal.Zero, 0, &finding{CodeAmountInvalid, "the cell holds the date " + text + ", not an amount",
			"format the cell as a number, enter the amount again and re-export"}
	}
	if f := nonASCIIDigitFinding(text); f != nil {
		return decimal.Zero, 0, f
	}
	return parseAmount(text, c.r.rules.number)
}

// nonASCIIDigitFinding returns the finding for an amount written with digits
// other than ASCII 0-9, such as the full-width digits that a Japanese or
// Chinese input method types, or nil. payrun never converts such digits,
// because it never guesses an amount.
func nonASCIIDigitFinding(text string) *finding {
	for _, r := range text {
		switch {
		case r < utf8.RuneSelf:
		case r >= '\uFF10' && r <= '\uFF19':
			return &finding{CodeAmountInvalid,
				"amount uses full-width digits such as " + string(r) + ", not the half-width (ASCII) digits 0-9",
				"enter the amount with half-width digits, for example with the input method switched to half-width, then re-export"}
		case unicode.IsDigit(r):
			return &finding{CodeAmountInvalid,
				"amount uses the digit " + string(r) + " of another script, not the ASCII digits 0-9",
				"enter the amount with the ASCII digits 0-9 and re-export"}
		}
	}
	return nil
}

// parseNumberCell parses the stored value of a numeric XLSX cell.
func parseNumberCell(text string) (decimal.Decimal, int, *finding) {
	value, err := roundExcelNumber(text)
	if err != nil {
		return decimal.Zero, 0, &finding{CodeAmountInvalid, "the numeric cell holds no valid number",
			"enter the amount again and re-export"}
	}
	if !value.IsPositive() {
		return decimal.Zero, 0, &finding{CodeAmountNotPositive, "amount is not positive; a payout amount must be positive",
			"remove the row, or enter the amount to pay"}
	}
	return amountValue(value.Truncate(0).String(), fractionDigits(value))
}

// percentText returns the text a percentage format displays for a stored
// number, such as "50%" for 0.5.
func percentText(stored string) string {
	value, err := decimal.NewFromString(stored)
	if err != nil {
		return stored + " × 100%"
	}
	return value.Shift(2).String() + "%"
}

func fractionDigits(d decimal.Decimal) string {
	_, frac, _ := strings.Cut(d.String(), ".")
	return frac
}

// plural formats a count with its noun, such as "1 decimal" or "3 decimals".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func decimalsHint(scale int) string {
	if scale == 0 {
		return "enter the amount as a whole number"
	}
	return fmt.Sprintf("enter the amount with at most %s", plural(scale, "decimal"))
}
