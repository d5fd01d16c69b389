package ingest

import (
	"fmt"
	"net/mail"
	"strings"

	"github.com/payrun/payrun"
)

// isAntonID reports whether s is prefix followed by one or more ASCII
// letters and digits, the shape of Anton's ids ("ben_…", "ins_…").
func isAntonID(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || rest == "" {
		return false
	}
	i := 0
	for ; i+8 <= len(rest); i += 8 {
		if !alphanumeric8(load64(rest, i)) {
			return false
		}
	}
	for ; i < len(rest); i++ {
		if b := rest[i]; !('0' <= b && b <= '9' || 'a' <= b|0x20 && b|0x20 <= 'z') {
			return false
		}
	}
	return true
}

// alphanumeric8 reports whether all eight bytes of x are ASCII letters or
// digits. For an ASCII byte b, b + (0x80 - c) sets the byte's high bit
// exactly when b >= c, and no byte carries into the next.
func alphanumeric8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	if x&highs != 0 {
		return false
	}
	atLeast := func(v uint64, c byte) uint64 { return v + (0x80-uint64(c))*ones }
	digits := atLeast(x, '0') &^ atLeast(x, '9'+1)
	lower := x | 0x20*ones
	letters := atLeast(lower, 'a') &^ atLeast(lower, 'z'+1)
	return (digits|letters)&highs == highs
}

// identityColumns describe a beneficiary keyed by external_ref; a row that
// names an existing beneficiary by id needs none of them.
var identityColumns = []column{
	colExternalRef, colBeneficiaryType, colFirstName, colLastName, colBusinessName, colEmail,
	colPhone, colDateOfBirth, colNationality, colAddressLine1, colAddressLine2, colCity,
	colState, colPostalCode, colAccountHolderName, colIBAN, colBIC, colRoutingNumber,
	colAccountNumber, colAccountType, colSortCode,
}

// checkBeneficiary validates either the ids of an existing Anton beneficiary
// or the identity and bank details of one keyed by external_ref.
func (c *rowCheck) checkBeneficiary(in *payrun.Instruction) {
	byID := c.value(colBeneficiaryID) != "" || c.value(colInstrumentID) != "" ||
		c.broken[colBeneficiaryID] || c.broken[colInstrumentID]
	byRef := c.value(colExternalRef) != "" || c.broken[colExternalRef]

	switch {
	case byID:
		c.checkExistingBeneficiary(in)
	case byRef:
		c.checkNewBeneficiary(in)
	default:
		col := colExternalRef
		if !c.r.cols.has(colExternalRef) {
			col = colBeneficiaryID
		}
		c.add(col, SeverityError, &finding{CodeBeneficiaryNone,
			"the row names no beneficiary: it needs beneficiary_id and instrument_id, or external_ref with the beneficiary's details",
			"fill in the Anton ids of an existing beneficiary, or external_ref and the bank details"})
	}
}

func (c *rowCheck) checkExistingBeneficiary(in *payrun.Instruction) {
	if c.require(colBeneficiaryID, "(an existing beneficiary needs beneficiary_id and instrument_id)") {
		if isAntonID(c.value(colBeneficiaryID), "ben_") {
			in.BeneficiaryID = c.value(colBeneficiaryID)
		} else {
			c.add(colBeneficiaryID, SeverityError, &finding{CodeBeneficiaryID,
				"beneficiary_id is not an Anton beneficiary id", "copy the id from Anton; it looks like ben_ followed by letters and digits"})
		}
	}
	if c.require(colInstrumentID, "(an existing beneficiary needs beneficiary_id and instrument_id)") {
		if isAntonID(c.value(colInstrumentID), "ins_") {
			in.InstrumentID = c.value(colInstrumentID)
		} else {
			c.add(colInstrumentID, SeverityError, &finding{CodeInstrumentID,
				"instrument_id is not an Anton instrument id", "copy the id from Anton; it looks like ins_ followed by letters and digits"})
		}
	}

	var ignored []string
	for _, col := range c.r.cols.details {
		if c.value(col) != "" {
			ignored = append(ignored, c.r.cols.name(col))
		}
	}
	if len(ignored) > 0 {
		c.add(colBeneficiaryID, SeverityWarning, &finding{CodeDetailsIgnored,
			"the row names an existing beneficiary by id, so these columns are ignored: " + strings.Join(ignored, ", "),
			"leave these columns empty for rows with beneficiary_id, or remove the ids to use the details"})
	}
	in.Method = c.resolveMethod(in.Amount.Currency, false)
}

// checkNewBeneficiary validates a beneficiary keyed by external_ref.
func (c *rowCheck) checkNewBeneficiary(in *payrun.Instruction) {
	b := &payrun.Beneficiary{}
	if c.require(colExternalRef, "") && c.checkText(colExternalRef, maxExternalRefLength) {
		b.ExternalRef = c.value(colExternalRef)
	}

	c.checkIdentity(b)
	c.checkContact(b)
	c.checkAddress(b)

	in.Method = c.resolveMethod(in.Amount.Currency, true)
	c.checkBank(in.Method, in.Amount.Currency, b)
	in.Beneficiary = b
}

func (c *rowCheck) checkIdentity(b *payrun.Beneficiary) {
	if c.require(colBeneficiaryType, "(individual or business)") {
		t := strings.ToLower(c.value(colBeneficiaryType))
		switch t {
		case "individual", "business":
			b.Type = t
		default:
			c.add(colBeneficiaryType, SeverityError, &finding{CodeBeneficiaryType,
				fmt.Sprintf("beneficiary_type %q is neither individual nor business", c.value(colBeneficiaryType)),
				"enter individual or business"})
		}
	}

	switch b.Type {
	case "individual":
		if c.require(colFirstName, "(an individual needs first_name and last_name)") && c.checkName(colFirstName) {
			b.FirstName = payrun.NewName(c.value(colFirstName))
		}
		if c.require(colLastName, "(an individual needs first_name and last_name)") && c.checkName(colLastName) {
			b.LastName = payrun.NewName(c.value(colLastName))
		}
	case "business":
		if c.require(colBusinessName, "(a business needs business_name)") && c.checkName(colBusinessName) {
			b.BusinessName = payrun.NewName(c.value(colBusinessName))
		}
	}

	if c.require(colCountry, "(the beneficiary's country)") {
		c.values[colCountry] = strings.ToUpper(c.value(colCountry))
		if f := checkCountry(c.value(colCountry)); f != nil {
			c.add(colCountry, SeverityError, f)
		} else {
			b.Country = c.value(colCountry)
		}
	}
}

func (c *rowCheck) checkName(col column) bool {
	if hasControl(c.value(col)) {
		c.add(col, SeverityError, &finding{CodeControlCharacter,
			col.String() + " contains a control character such as a tab or line break",
			"remove the control character and re-export"})
		return false
	}
	return true
}

// checkContact validates email, phone, date of birth and nationality. Only the
// email is needed for every new beneficiary; the others only when Anton has to
// create an individual, so their absence is a warning.
func (c *rowCheck) checkContact(b *payrun.Beneficiary) {
	if c.require(colEmail, "") {
		if f := checkEmail(c.value(colEmail)); f != nil {
			c.add(colEmail, SeverityError, f)
		} else {
			b.Email = payrun.NewEmail(c.value(colEmail))
		}
	}

	if v := c.value(colPhone); v != "" {
		if e164, f := checkPhone(v); f != nil {
			c.add(colPhone, SeverityError, f)
		} else {
			b.Phone = payrun.NewSecret(e164)
		}
	} else if b.Type == "individual" {
		c.neededIfNew(colPhone)
	}

	if b.Type != "individual" {
		return
	}
	if v := c.value(colDateOfBirth); v != "" {
		if f := checkDateOfBirth(v); f != nil {
			c.add(colDateOfBirth, SeverityError, f)
		} else {
			b.DateOfBirth = payrun.NewSecret(v)
		}
	} else {
		c.neededIfNew(colDateOfBirth)
	}

	if v := strings.ToUpper(c.value(colNationality)); v != "" {
		c.values[colNationality] = v
		if f := checkCountry(v); f != nil {
			c.add(colNationality, SeverityError, f)
		} else {
			b.Nationality = v
		}
	} else {
		c.neededIfNew(colNationality)
	}
}

func (c *rowCheck) checkAddress(b *payrun.Beneficiary) {
	b.Address.Country = b.Country
	for _, col := range []column{colAddressLine1, colAddressLine2, colCity, colPostalCode, colState} {
		if c.value(col) != "" {
			c.checkText(col, 0)
		}
	}

	b.Address.Line1 = payrun.NewSecret(c.value(colAddressLine1))
	b.Address.Line2 = payrun.NewSecret(c.value(colAddressLine2))
	b.Address.City = payrun.NewSecret(c.value(colCity))
	b.Address.PostalCode = payrun.NewSecret(c.value(colPostalCode))
	b.Address.State = strings.ToUpper(c.value(colState))

	for _, col := range []column{colAddressLine1, colCity, colPostalCode} {
		if c.value(col) == "" {
			c.neededIfNew(col)
		}
	}
	if b.Country == "US" {
		c.checkUSState(b.Address.State)
	}
}

func (c *rowCheck) checkUSState(state string) {
	if state == "" {
		c.neededIfNew(colState)
		return
	}
	if len(state) != 2 || !isUpperLetters(state) {
		c.add(colState, SeverityError, &finding{CodeStateInvalid,
			"state of a US address must be the two-letter USPS code", "enter the state code, for example NY or CA"})
	}
}

// neededIfNew warns about a field that Anton needs only to create a new
// beneficiary; payrun validate cannot know whether Anton has it already.
func (c *rowCheck) neededIfNew(col column) {
	if c.broken[col] {
		return
	}
	c.add(col, SeverityWarning, &finding{CodeNeededIfNew,
		col.String() + " is empty: it is needed if this beneficiary is new to Anton",
		"fill in " + col.String() + " unless Anton already has this beneficiary (by external_ref)"})
}

func checkEmail(s string) *finding {
	addr, err := mail.ParseAddress(s)
	bad := err != nil || addr.Address != s || addr.Name != ""
	if !bad {
		_, domain, _ := strings.Cut(s, "@")
		bad = !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".")
	}
	if bad {
		return &finding{CodeEmailInvalid, "email is not a valid email address",
			"enter a single address such as name@example.com"}
	}
	return nil
}
