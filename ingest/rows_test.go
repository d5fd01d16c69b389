package ingest

import (
	"strings"
	"testing"
	"time"

	"github.com/payrun/payrun"
)

func TestExistingBeneficiaryRows(t *testing.T) {
	records, _ := readFile(t, "existing.csv", Options{})
	rows := byReference(records)

	ex1 := rows["EX-1"]
	wantValid(t, ex1)
	if in := ex1.Instruction; in != nil {
		if in.BeneficiaryID != "ben_123abc" || in.InstrumentID != "ins_456def" || in.Beneficiary != nil {
			t.Errorf("ids %q %q beneficiary %v", in.BeneficiaryID, in.InstrumentID, in.Beneficiary)
		}
		if in.Method != payrun.MethodSEPA || in.Purpose != defaultPurpose || in.SourceCurrency != "EUR" {
			t.Errorf("method %q purpose %q source %q, want sepa, %s, EUR", in.Method, in.Purpose, in.SourceCurrency, defaultPurpose)
		}
	}
	wantError(t, rows["EX-2"], "method", CodeMethodMismatch)
	wantError(t, rows["EX-3"], "method", CodeMethodMissing)

	wantValid(t, rows["EX-4"])
	if in := rows["EX-4"].Instruction; in != nil && (in.Purpose != "salary" || in.Description != "June salary") {
		t.Errorf("purpose %q description %q", in.Purpose, in.Description)
	}
	wantError(t, rows["EX-5"], "beneficiary_id", CodeBeneficiaryID)
	wantError(t, rows["EX-6"], "instrument_id", CodeMissingValue)

	wantValid(t, rows["EX-7"])
	if p, ok := findProblem(rows["EX-7"], CodeDetailsIgnored); !ok || !strings.Contains(p.Message, "iban") {
		t.Errorf("problems %v, want %s naming iban", rows["EX-7"].Problems, CodeDetailsIgnored)
	}
	wantError(t, rows["EX-8"], "beneficiary_id", CodeBeneficiaryNone)
	wantError(t, rows["EX-9"], "method", CodeMethodInvalid)
}

func TestDefaultsFromProfile(t *testing.T) {
	opts := Options{
		Defaults: Defaults{Purpose: "services", Method: "swift", SourceCurrency: "USD"},
		Profile:  Profile{Defaults: Defaults{Purpose: "salary"}},
	}
	records, _ := readFile(t, "existing.csv", opts)
	rows := byReference(records)

	in := rows["EX-3"].Instruction
	if in == nil {
		t.Fatalf("EX-3 invalid with a default method: %v", rows["EX-3"].Problems)
	}
	if in.Method != "swift" || in.Purpose != "salary" || in.SourceCurrency != "USD" {
		t.Errorf("method %q purpose %q source %q, want swift, salary (profile wins), USD", in.Method, in.Purpose, in.SourceCurrency)
	}
	if in := rows["EX-1"].Instruction; in == nil || in.Method != "swift" {
		t.Errorf("EX-1 with default method swift: %+v", rows["EX-1"])
	}

	sepa, _ := readFile(t, "existing.csv", Options{Defaults: Defaults{Method: "sepa"}})
	wantError(t, byReference(sepa)["EX-3"], "method", CodeMethodMismatch)
}

func TestBeneficiaryFieldRules(t *testing.T) {
	now = func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
	t.Cleanup(func() { now = time.Now })
	records, _ := readFile(t, "beneficiary.csv", Options{})
	rows := byReference(records)

	p := wantError(t, rows["BEN-1"], "email", CodeEmailInvalid)
	if p.Value != "***" {
		t.Errorf("email value %q, want it masked", p.Value)
	}
	wantError(t, rows["BEN-2"], "phone", CodePhoneInvalid)
	wantError(t, rows["BEN-3"], "date_of_birth", CodeDateInvalid)
	wantError(t, rows["BEN-4"], "date_of_birth", CodeDateNotPast)
	wantError(t, rows["BEN-5"], "beneficiary_type", CodeBeneficiaryType)
	wantError(t, rows["BEN-6"], "country", CodeCountryInvalid)

	missing := rows["BEN-7"]
	wantValid(t, missing)
	var needed []string
	for _, p := range missing.Problems {
		if p.Code == CodeNeededIfNew && p.Severity == SeverityWarning {
			needed = append(needed, p.Column)
		}
	}
	if got := strings.Join(needed, ","); got != "phone,date_of_birth,nationality,address_line1,city,postal_code" {
		t.Errorf("needed_if_new warnings on %s", got)
	}

	wantError(t, rows["BEN-8"], "business_name", CodeMissingValue)
	wantError(t, rows["BEN-9"], "account_type", CodeAccountType)

	wantValid(t, rows["BEN-10"])
	if in := rows["BEN-10"].Instruction; in != nil && in.Beneficiary.Bank.AccountType != "checking" {
		t.Errorf("account type %q, want the checking default", in.Beneficiary.Bank.AccountType)
	}
	if _, ok := findProblem(rows["BEN-11"], CodeNeededIfNew); !ok {
		t.Errorf("US row without state has no needed_if_new warning: %v", rows["BEN-11"].Problems)
	}
	p = wantError(t, rows["BEN-12"], "first_name", CodeControlCharacter)
	if strings.Contains(p.Value, "rg") {
		t.Errorf("name value %q, want initials only", p.Value)
	}
	wantValid(t, rows["BEN-13"])
}

func TestNewBeneficiaryInstruction(t *testing.T) {
	records, _ := readFile(t, "same_a.csv", Options{})
	in := records[0].Instruction
	if in == nil {
		t.Fatalf("row invalid: %v", records[0].Problems)
	}
	b := in.Beneficiary
	if b.ExternalRef != "cust-SAME-1" || b.Type != "individual" || b.Country != "DE" || b.Nationality != "DE" {
		t.Errorf("beneficiary %+v", b)
	}
	if b.Phone.Reveal() != "+4915123456789" || b.DateOfBirth.Reveal() != "1980-01-02" {
		t.Errorf("phone %q dob %q", b.Phone.Reveal(), b.DateOfBirth.Reveal())
	}
	if b.Address.Line1.Reveal() != "Hauptstraße 1" || b.Address.City.Reveal() != "Berlin" || b.Address.PostalCode.Reveal() != "10115" {
		t.Errorf("address %v", b.Address)
	}
	bank := b.Bank
	if bank.Method != payrun.InstrumentIBAN || bank.Country != "DE" || bank.Currency != "EUR" || bank.HolderName.Reveal() != "Jörg Müller" {
		t.Errorf("bank %+v (holder %q)", bank, bank.HolderName.Reveal())
	}

	gbp := records[2].Instruction
	if gbp == nil {
		t.Fatalf("GBP row invalid: %v", records[2].Problems)
	}
	if gbp.Method != payrun.MethodFasterPayment || gbp.Beneficiary.Bank.SortCode != "200000" ||
		gbp.Beneficiary.Bank.Method != payrun.InstrumentUKBank || gbp.Beneficiary.Bank.HolderName.Reveal() != "Acme Trading Ltd" {
		t.Errorf("GBP instruction %+v bank %+v", gbp, gbp.Beneficiary.Bank)
	}
	usd := records[1].Instruction
	if usd == nil || usd.Method != payrun.MethodACH || usd.Beneficiary.Bank.Method != payrun.InstrumentUSBank ||
		usd.Beneficiary.Address.State != "NY" {
		t.Errorf("USD instruction %+v", usd)
	}
}

func TestMethodsAndBankDetails(t *testing.T) {
	records, _ := readFile(t, "methods.csv", Options{})
	rows := byReference(records)

	wantValid(t, rows["M-1"])
	wantError(t, rows["M-2"], "method", CodeMethodMissing)
	wantError(t, rows["M-3"], "bic", CodeBankDetails)

	wantValid(t, rows["M-4"])
	if in := rows["M-4"].Instruction; in != nil && (in.Method != "swift" || in.Beneficiary.Bank.Method != payrun.InstrumentIBAN) {
		t.Errorf("swift with IBAN: method %q instrument %q", in.Method, in.Beneficiary.Bank.Method)
	}
	if p, ok := findProblem(rows["M-5"], CodeBICCountry); !ok || p.Severity != SeverityWarning {
		t.Errorf("M-5 problems %v, want a %s warning", rows["M-5"].Problems, CodeBICCountry)
	}
	wantError(t, rows["M-6"], "bic", CodeBICInvalid)
	wantValid(t, rows["M-7"])
	wantValid(t, rows["M-8"])
	wantError(t, rows["M-9"], "method", CodeMethodMismatch)
	wantError(t, rows["M-10"], "routing_number", CodeBankDetails)

	wantValid(t, rows["M-11"])
	if in := rows["M-11"].Instruction; in != nil {
		bank := in.Beneficiary.Bank
		if in.Method != "wire" || bank.Method != payrun.InstrumentSWIFT || bank.Country != "CH" || bank.AccountNumber.Reveal() != "ACC12345" {
			t.Errorf("wire instruction method %q bank %+v", in.Method, bank)
		}
	}
	wantValid(t, rows["M-12"])
	p := wantError(t, rows["M-13"], "account_number or iban", CodeBankDetails)
	if !strings.Contains(p.Message, "wire") {
		t.Errorf("message %q does not name the wire method", p.Message)
	}
}

func TestMaxAmountPerCurrency(t *testing.T) {
	opts := Options{Profile: Profile{MaxAmount: map[string]string{"eur": "99.99"}}}
	records, _ := readFile(t, "control.csv", opts)
	rows := byReference(records)

	wantError(t, rows["CTL-1"], "amount", CodeAmountAboveMaximum)
	wantValid(t, rows["CTL-2"])
	wantValid(t, rows["CTL-3"])

	if _, err := Open("testdata/control.csv", Options{Profile: Profile{MaxAmount: map[string]string{"EUR": "lots"}}}); err == nil {
		t.Errorf("Open accepted max_amount \"lots\"")
	}
}
