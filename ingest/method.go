package ingest

import (
	"fmt"
	"strings"

	"github.com/payrun/payrun"
)

// railCurrency is the only currency each domestic rail pays out.
var railCurrency = map[string]string{
	payrun.MethodSEPA:          "EUR",
	payrun.MethodACH:           "USD",
	payrun.MethodFasterPayment: "GBP",
}

// domesticCurrency is railCurrency[method] without the map lookup, which
// every row makes.
func domesticCurrency(method string) string {
	switch method {
	case payrun.MethodSEPA:
		return "EUR"
	case payrun.MethodACH:
		return "USD"
	case payrun.MethodFasterPayment:
		return "GBP"
	}
	return ""
}

// methodByCurrency is the rail used when a row names no method.
var methodByCurrency = map[string]string{
	"EUR": payrun.MethodSEPA,
	"USD": payrun.MethodACH,
	"GBP": payrun.MethodFasterPayment,
}

// resolveMethod returns the row's payout method: the method column, else the
// profile's or global default, else the rail of the currency. With bank details,
// the rail is chosen only when the details fit it (EUR with an IBAN is sepa,
// USD with a routing number ach, GBP with a sort code faster_payment). It
// returns "" after recording an error.
func (c *rowCheck) resolveMethod(currency string, withDetails bool) string {
	method := strings.ToLower(c.value(colMethod))
	fromColumn := method != ""
	if method == "" && !c.broken[colMethod] {
		method = strings.ToLower(c.r.rules.defaults.Method)
	}
	if method != "" {
		return c.checkMethod(method, currency, fromColumn)
	}
	if c.broken[colMethod] || currency == "" {
		return ""
	}

	inferred := methodByCurrency[currency]
	if withDetails && inferred != "" && !c.fitsRail(inferred) {
		inferred = ""
	}
	if inferred == "" {
		c.add(colMethod, SeverityError, &finding{CodeMethodMissing,
			fmt.Sprintf("method is missing and cannot be derived for %s with these bank details", currency),
			"fill in method (sepa, ach, faster_payment, swift or wire), or set a default method in the source profile"})
	}
	return inferred
}

// foreignCredentials lists, per rail, the credential columns of other methods.
// A row with one of them is meant for another method.
var foreignCredentials = map[string][]column{
	payrun.MethodSEPA:          {colRoutingNumber, colAccountNumber, colSortCode},
	payrun.MethodACH:           {colIBAN, colSortCode, colBIC},
	payrun.MethodFasterPayment: {colIBAN, colRoutingNumber, colBIC},
}

// fitsRail reports whether the row's bank details suit the rail: they contain
// no credential of another method. Missing credentials of the rail itself are
// reported by the rail's check.
func (c *rowCheck) fitsRail(method string) bool {
	for _, col := range foreignCredentials[method] {
		if c.value(col) != "" || c.broken[col] {
			return false
		}
	}
	return true
}

func (c *rowCheck) checkMethod(method, currency string, fromColumn bool) string {
	switch method {
	case payrun.MethodSEPA, payrun.MethodACH, payrun.MethodFasterPayment, payrun.MethodSWIFT, payrun.MethodWire:
	default:
		f := &finding{CodeMethodInvalid, fmt.Sprintf("method %q is not a payout method payrun supports", method),
			"use sepa, ach, faster_payment, swift or wire"}
		if fromColumn {
			c.add(colMethod, SeverityError, f)
		} else {
			f.message = fmt.Sprintf("the row has no method and the default method %q of the config file is not a payout method payrun supports", method)
			f.hint = "set method in the config file's [defaults] or the profile's defaults to sepa, ach, faster_payment, swift or wire, or fill in method"
			c.addValue(colMethod, method, SeverityError, f)
		}
		return ""
	}

	if want := domesticCurrency(method); want != "" && currency != "" && currency != want {
		c.addValue(colMethod, method, SeverityError, &finding{CodeMethodMismatch,
			fmt.Sprintf("method %s pays out %s only, but the currency is %s", method, want, currency),
			"use swift or wire for this currency, or correct the currency"})
		return ""
	}
	return method
}

// checkBank validates the bank details the method needs and fills b.Bank.
func (c *rowCheck) checkBank(method, currency string, b *payrun.Beneficiary) {
	bank := &b.Bank
	bank.Currency = currency
	switch method {
	case payrun.MethodSEPA:
		bank.Method = payrun.InstrumentIBAN
		c.checkIBANColumn(method, bank, true)
		c.checkBICColumn(method, bank, false)
	case payrun.MethodACH:
		bank.Method, bank.Country = payrun.InstrumentUSBank, "US"
		c.checkUSBank(bank)
	case payrun.MethodFasterPayment:
		bank.Method, bank.Country = payrun.InstrumentUKBank, "GB"
		c.checkUKBank(bank)
	case payrun.MethodSWIFT, payrun.MethodWire:
		c.checkSWIFTBank(method, bank)
	default:
		return
	}

	holder := c.value(colAccountHolderName)
	if holder != "" && c.checkName(colAccountHolderName) {
		bank.HolderName = payrun.NewName(holder)
	} else if holder == "" {
		bank.HolderName = b.DisplayName()
	}
}

func (c *rowCheck) missingDetail(col column, method string) {
	if c.broken[col] {
		return
	}
	c.add(col, SeverityError, &finding{CodeBankDetails,
		fmt.Sprintf("%s is missing: method %s needs it", col, method),
		"fill in " + col.String() + ", or correct the method"})
}

func (c *rowCheck) checkIBANColumn(method string, bank *payrun.BankDetails, required bool) bool {
	raw := c.value(colIBAN)
	if raw == "" {
		if required {
			c.missingDetail(colIBAN, method)
		}
		return false
	}
	iban := normaliseIBAN(raw)
	c.values[colIBAN] = iban
	if f := checkIBAN(iban); f != nil {
		c.add(colIBAN, SeverityError, f)
		return false
	}
	bank.IBAN = payrun.NewIBAN(iban)
	bank.Country = iban[:2]
	return true
}

func (c *rowCheck) checkBICColumn(method string, bank *payrun.BankDetails, required bool) bool {
	bic := toUpperASCII(removeSpaces(c.value(colBIC)))
	if bic == "" {
		if required {
			c.missingDetail(colBIC, method)
		}
		return false
	}
	c.values[colBIC] = bic
	if f := checkBIC(bic); f != nil {
		c.add(colBIC, SeverityError, f)
		return false
	}
	bank.BIC = bic
	if bank.Country != "" && bank.Country != bic[4:6] {
		c.add(colBIC, SeverityWarning, &finding{CodeBICCountry,
			fmt.Sprintf("BIC country %s differs from IBAN country %s", bic[4:6], bank.Country),
			"check that the BIC belongs to the IBAN's bank; leave bic empty for SEPA payouts if unsure"})
	}
	return true
}

func (c *rowCheck) checkUSBank(bank *payrun.BankDetails) {
	if v := c.value(colRoutingNumber); v == "" {
		c.missingDetail(colRoutingNumber, payrun.MethodACH)
	} else if f := checkRoutingNumber(v); f != nil {
		c.add(colRoutingNumber, SeverityError, f)
	} else {
		bank.RoutingNumber = v
	}

	if v := c.value(colAccountNumber); v == "" {
		c.missingDetail(colAccountNumber, payrun.MethodACH)
	} else if f := checkUSAccount(v); f != nil {
		c.add(colAccountNumber, SeverityError, f)
	} else {
		bank.AccountNumber = payrun.NewAccountNumber(v)
	}

	accountType := strings.ToLower(c.value(colAccountType))
	switch accountType {
	case "":
		bank.AccountType = "checking"
	case "checking", "savings":
		bank.AccountType = accountType
	default:
		c.add(colAccountType, SeverityError, &finding{CodeAccountType,
			fmt.Sprintf("account_type %q is neither checking nor savings", c.value(colAccountType)),
			"enter checking or savings, or leave it empty for checking"})
	}
}

func (c *rowCheck) checkUKBank(bank *payrun.BankDetails) {
	if v := normaliseSortCode(c.value(colSortCode)); v == "" {
		c.missingDetail(colSortCode, payrun.MethodFasterPayment)
	} else if f := checkSortCode(v); f != nil {
		c.add(colSortCode, SeverityError, f)
	} else {
		bank.SortCode = v
	}

	if v := c.value(colAccountNumber); v == "" {
		c.missingDetail(colAccountNumber, payrun.MethodFasterPayment)
	} else if f := checkUKAccount(v); f != nil {
		c.add(colAccountNumber, SeverityError, f)
	} else {
		bank.AccountNumber = payrun.NewAccountNumber(v)
	}
}

// checkSWIFTBank validates a swift or wire payout: a BIC plus an IBAN or an
// account number. The instrument is an IBAN when there is one.
func (c *rowCheck) checkSWIFTBank(method string, bank *payrun.BankDetails) {
	hasIBAN := c.value(colIBAN) != "" || c.broken[colIBAN]
	if hasIBAN {
		bank.Method = payrun.InstrumentIBAN
		c.checkIBANColumn(method, bank, true)
	} else {
		bank.Method = payrun.InstrumentSWIFT
		if v := c.value(colAccountNumber); v == "" {
			name := colAccountNumber.String() + " or " + colIBAN.String()
			c.addNamed(name, "", SeverityError, &finding{CodeBankDetails,
				fmt.Sprintf("%s is missing: method %s needs it", name, method),
				"fill in " + name + ", or correct the method"})
		} else if f := checkSWIFTAccount(v); f != nil {
			c.add(colAccountNumber, SeverityError, f)
		} else {
			bank.AccountNumber = payrun.NewAccountNumber(toUpperASCII(v))
		}
	}

	if c.checkBICColumn(method, bank, true) && bank.Country == "" {
		bank.Country = bank.BIC[4:6]
	}
}
