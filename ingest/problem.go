package ingest

import (
	"fmt"
	"strings"
)

// Problem severities.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Problem is one finding about a row, a cell or the whole file.
type Problem struct {
	// Row is the spreadsheet row, counted from the top of the sheet even when
	// title rows precede the header. It is 0 for a finding about the whole file.
	Row int `json:"row"`
	// Line is the first physical line of the record in a CSV file. For XLSX it
	// equals Row.
	Line int `json:"line"`
	// Column is the header of the column as the file spells it, or the canonical
	// column name when the file lacks the column.
	Column string `json:"column"`
	// Value is the cell value, masked when it is personal data.
	Value    string `json:"value"`
	Severity string `json:"severity"`
	// Code is a stable snake_case identifier, listed in docs/problem-codes.md.
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

// IsError reports whether the problem makes its row (or file) invalid.
func (p Problem) IsError() bool { return p.Severity == SeverityError }

// String formats the problem on one line for logs and terminals.
func (p Problem) String() string {
	where := "file"
	if p.Row > 0 {
		where = fmt.Sprintf("row %d", p.Row)
		if p.Line != 0 && p.Line != p.Row {
			where += fmt.Sprintf(" (line %d)", p.Line)
		}
	}
	switch {
	case strings.HasPrefix(p.Column, "column "):
		// A cell beyond the header has no name, only its position.
		where += ", " + p.Column
	case p.Column != "":
		where += ", column " + p.Column
	}
	return fmt.Sprintf("%s %s: %s [%s]", where, p.Severity, p.Message, p.Code)
}

// FileError is a problem that makes the whole file unusable: a missing required
// column, an undecodable encoding, a broken CSV structure and the like.
type FileError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// Error returns the message and, when there is one, the hint.
func (e *FileError) Error() string {
	if e.Hint == "" {
		return e.Message
	}
	return e.Message + ": " + e.Hint
}

func fileErrorf(code, hint, format string, args ...any) *FileError {
	return &FileError{Code: code, Message: fmt.Sprintf(format, args...), Hint: hint}
}

// File-level error codes (FileError.Code).
const (
	CodeInvalidEncoding   = "invalid_encoding"
	CodeUnknownEncoding   = "unknown_encoding"
	CodeUTF16WithoutBOM   = "utf16_without_bom"
	CodeDelimiterMismatch = "delimiter_mismatch"
	CodeCSVSyntax         = "csv_syntax"
	CodeMissingColumns    = "missing_columns"
	CodeDuplicateColumns  = "duplicate_columns"
	CodeNoHeader          = "no_header"
	CodeSheetNotFound     = "sheet_not_found"
	CodeXLSXInvalid       = "xlsx_invalid"
	CodeUnsupportedFormat = "unsupported_format"
	CodeInvalidProfile    = "invalid_profile"
	CodeUnreadable        = "file_unreadable"
	// CodeTotalOutOfRange is a currency whose total of valid rows does not
	// fit in an int64 of minor units.
	CodeTotalOutOfRange = "total_out_of_range"
)

// File-level warning codes (Reader.FileProblems).
const (
	CodeUnknownColumn = "unknown_column"
	// CodeNoDataRows is a warning: the file has a header and no rows.
	CodeNoDataRows     = "no_data_rows"
	CodeUnnamedColumn  = "unnamed_column"
	CodeSheetSelected  = "sheet_selected"
	CodeControlRows    = "control_rows_mismatch"
	CodeControlTotal   = "control_total_mismatch"
	CodeControlInvalid = "control_invalid"
)

// Row-level codes (Problem.Code).
const (
	CodeMissingValue         = "missing_value"
	CodeTooManyCells         = "too_many_cells"
	CodeControlCharacter     = "control_character"
	CodeReplacementCharacter = "replacement_character"
	CodeTooLong              = "too_long"
	CodeDuplicateReference   = "duplicate_reference"
	CodePossibleDuplicate    = "possible_duplicate_payout"

	// CodeQuestionMark is a "?" in a name or address column, usually a
	// letter that an export in a legacy encoding could not store.
	CodeQuestionMark = "question_mark_substitution"
	// CodeRowHidden is a worksheet row that the spreadsheet does not show.
	CodeRowHidden = "row_hidden"
	// CodeCellOutsideHeader is a warning about a worksheet cell right of
	// the header, whose value is ignored.
	CodeCellOutsideHeader = "cell_outside_header"

	CodeAmountInvalid        = "amount_invalid"
	CodeAmountSymbol         = "amount_currency_symbol"
	CodeAmountGrouping       = "amount_grouping_separator"
	CodeAmountDecimalSep     = "amount_decimal_separator"
	CodeAmountNotPositive    = "amount_not_positive"
	CodeAmountTooManyDigits  = "amount_too_many_digits"
	CodeAmountTooManyDecimal = "amount_too_many_decimals"
	CodeAmountAboveMaximum   = "amount_above_maximum"
	// CodeAmountPercentCell is an XLSX amount cell formatted as a
	// percentage, which shows a hundred times the value it stores.
	CodeAmountPercentCell = "amount_percent_cell"

	CodeCurrencyInvalid = "currency_invalid"
	CodeCountryInvalid  = "country_invalid"

	CodeIBANInvalid     = "iban_invalid"
	CodeIBANCountry     = "iban_country_unknown"
	CodeIBANLength      = "iban_length"
	CodeIBANChecksum    = "iban_checksum"
	CodeBICInvalid      = "bic_invalid"
	CodeBICCountry      = "bic_country_mismatch"
	CodeRoutingInvalid  = "routing_number_invalid"
	CodeRoutingChecksum = "routing_number_checksum"
	CodeLeadingZero     = "leading_zero_dropped"
	CodeSortCodeInvalid = "sort_code_invalid"
	CodeAccountInvalid  = "account_number_invalid"
	CodeScientific      = "scientific_notation"
	CodeNumericCell     = "numeric_identifier_cell"
	CodeFormulaNoValue  = "formula_not_calculated"
	CodeCellError       = "cell_error"
	CodeMethodInvalid   = "method_invalid"
	CodeMethodMissing   = "method_missing"
	CodeMethodMismatch  = "method_currency_mismatch"
	CodeBankDetails     = "bank_details_missing"
	CodeAccountType     = "account_type_invalid"
	CodeBeneficiaryType = "beneficiary_type_invalid"
	CodeBeneficiaryID   = "beneficiary_id_invalid"
	CodeInstrumentID    = "instrument_id_invalid"
	CodeBeneficiaryNone = "beneficiary_missing"
	CodeDetailsIgnored  = "details_ignored"
	CodeEmailInvalid    = "email_invalid"
	CodePhoneInvalid    = "phone_invalid"
	CodeDateInvalid     = "date_invalid"
	CodeDateNotPast     = "date_not_in_past"
	CodeNeededIfNew     = "needed_if_new"
	CodeNameMissing     = "name_missing"
	CodeStateInvalid    = "state_invalid"
)
