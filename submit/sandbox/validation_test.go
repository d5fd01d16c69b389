package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/payrun/payrun/submit"
)

// fieldCase changes one field of a valid body and expects a status, a code
// and, for validation_error, the dotted field named in details.
type fieldCase struct {
	name   string
	path   string
	value  any
	status int
	code   string
	field  string
}

func runFieldCases(t *testing.T, e *env, url, fixtureName string, base func() map[string]any, cases []fieldCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body map[string]any
			if base != nil {
				body = base()
			} else {
				body = fixture(t, fixtureName)
			}
			setPath(body, tc.path, tc.value)
			res := e.post(url, body)
			res.expect(t, tc.status, tc.code)
			if tc.field == "" {
				return
			}
			var details []submit.FieldError
			if err := json.Unmarshal(res.apiError(t).Details, &details); err != nil {
				t.Fatalf("details are not a list of field errors: %s", res.body)
			}
			for _, d := range details {
				if d.Field == tc.field && d.Message != "" {
					return
				}
			}
			t.Fatalf("details %s do not name field %s", res.body, tc.field)
		})
	}
}

const unprocessable = http.StatusUnprocessableEntity

func TestValidation_Beneficiary(t *testing.T) {
	e := startSandbox(t, Options{})
	cases := []fieldCase{
		{"type missing", "type", deleteField, unprocessable, submit.CodeValidation, "type"},
		{"type unknown", "type", "person", unprocessable, submit.CodeValidation, "type"},
		{"country missing", "country", deleteField, unprocessable, submit.CodeValidation, "country"},
		{"country lowercase", "country", "de", unprocessable, submit.CodeValidation, "country"},
		{"country not ISO", "country", "XQ", unprocessable, submit.CodeValidation, "country"},
		{"individual missing", "individual", deleteField, unprocessable, submit.CodeValidation, "individual"},
		{"first name missing", "individual.first_name", deleteField, unprocessable, submit.CodeValidation, "individual.first_name"},
		{"last name empty", "individual.last_name", "", unprocessable, submit.CodeValidation, "individual.last_name"},
		{"email missing", "individual.email", deleteField, unprocessable, submit.CodeValidation, "individual.email"},
		{"email invalid", "individual.email", "jana at example", unprocessable, submit.CodeValidation, "individual.email"},
		{"phone missing", "individual.phone", deleteField, unprocessable, submit.CodeValidation, "individual.phone"},
		{"phone not E.164", "individual.phone", "015112345678", unprocessable, submit.CodeValidation, "individual.phone"},
		{"birth date missing", "individual.date_of_birth", deleteField, unprocessable, submit.CodeValidation, "individual.date_of_birth"},
		{"birth date format", "individual.date_of_birth", "12.04.1988", unprocessable, submit.CodeValidation, "individual.date_of_birth"},
		{"birth date impossible", "individual.date_of_birth", "1988-02-30", unprocessable, submit.CodeValidation, "individual.date_of_birth"},
		{"nationality missing", "individual.nationality", deleteField, unprocessable, submit.CodeValidation, "individual.nationality"},
		{"address missing", "individual.address", deleteField, unprocessable, submit.CodeValidation, "individual.address"},
		{"street missing", "individual.address.street_line_1", deleteField, unprocessable, submit.CodeValidation, "individual.address.street_line_1"},
		{"city missing", "individual.address.city", deleteField, unprocessable, submit.CodeValidation, "individual.address.city"},
		{"postal code missing", "individual.address.postal_code", deleteField, unprocessable, submit.CodeValidation, "individual.address.postal_code"},
		{"address country missing", "individual.address.country", deleteField, unprocessable, submit.CodeValidation, "individual.address.country"},
		{"US address without state", "individual.address.country", "US", unprocessable, submit.CodeValidation, "individual.address.state"},
		{"external ref too long", "external_ref", strings.Repeat("r", 256), unprocessable, submit.CodeValidation, "external_ref"},
		{"both individual and business", "business", map[string]any{"legal_name": "X"}, unprocessable, submit.CodeValidation, "business"},
		{"unknown field", "nickname", "JK", http.StatusBadRequest, "", ""},
		{"unknown nested field", "individual.shoe_size", "42", http.StatusBadRequest, "", ""},
		{"metadata not strings", "metadata", map[string]any{"n": 1}, http.StatusBadRequest, "", ""},
	}
	runFieldCases(t, e, "/v1/beneficiaries", "beneficiary_individual.json", nil, cases)

	business := []fieldCase{
		{"legal name missing", "business.legal_name", deleteField, unprocessable, submit.CodeValidation, "business.legal_name"},
		{"business address missing", "business.address", deleteField, unprocessable, submit.CodeValidation, "business.address"},
		{"entity type unknown", "business.entity_type", "guild", unprocessable, submit.CodeValidation, "business.entity_type"},
		{"business missing", "business", deleteField, unprocessable, submit.CodeValidation, "business"},
	}
	runFieldCases(t, e, "/v1/beneficiaries", "beneficiary_business.json", nil, business)
}

func TestValidation_BeneficiaryBodyErrors(t *testing.T) {
	e := startSandbox(t, Options{})
	for name, body := range map[string]string{
		"malformed":    `{"type": "individual",`,
		"empty":        ``,
		"array":        `[]`,
		"trailing":     `{"type":"individual"} {}`,
		"number money": `{"type": 5}`,
	} {
		t.Run(name, func(t *testing.T) {
			res := e.post("/v1/beneficiaries", []byte(body))
			res.expect(t, http.StatusBadRequest, "")
		})
	}

	big := `{"type":"individual","external_ref":"` + strings.Repeat("a", maxBodyBytes) + `"}`
	e.post("/v1/beneficiaries", []byte(big)).expect(t, http.StatusRequestEntityTooLarge, "")
}

func TestValidation_DuplicateBeneficiary(t *testing.T) {
	e := startSandbox(t, Options{})
	e.createBeneficiary("beneficiary_individual.json")
	body := fixture(t, "beneficiary_individual.json")
	body["external_ref"] = "another-ref"
	e.post("/v1/beneficiaries", body).expect(t, unprocessable, "duplicate_beneficiary")
}

func TestValidation_Instrument(t *testing.T) {
	e := startSandbox(t, Options{})
	ben := e.createBeneficiary("beneficiary_individual.json")
	url := "/v1/beneficiaries/" + ben + "/instruments"

	iban := []fieldCase{
		{"method missing", "method", deleteField, unprocessable, submit.CodeValidation, "method"},
		{"method unknown", "method", "cheque", unprocessable, submit.CodeValidation, "method"},
		{"method unsupported", "method", "pix", unprocessable, "method_not_supported", ""},
		{"currency missing", "currency", deleteField, unprocessable, submit.CodeValidation, "currency"},
		{"currency lowercase", "currency", "eur", unprocessable, submit.CodeValidation, "currency"},
		{"currency not ISO", "currency", "EUX", unprocessable, submit.CodeValidation, "currency"},
		{"country missing", "country", deleteField, unprocessable, submit.CodeValidation, "country"},
		{"credentials missing", "credentials", deleteField, unprocessable, submit.CodeValidation, "credentials"},
		{"holder missing", "credentials.account_holder_name", deleteField, unprocessable, submit.CodeValidation, "credentials.account_holder_name"},
		{"iban missing", "credentials.iban", deleteField, unprocessable, submit.CodeValidation, "credentials.iban"},
		{"iban bad check digits", "credentials.iban", "DE88370400440532013000", unprocessable, submit.CodeValidation, "credentials.iban"},
		{"iban wrong length", "credentials.iban", "DE8937040044053201300", unprocessable, submit.CodeValidation, "credentials.iban"},
		{"iban with spaces", "credentials.iban", "DE89 3704 0044 0532 0130 00", unprocessable, submit.CodeValidation, "credentials.iban"},
		{"bic malformed", "credentials.bic", "COBA", unprocessable, submit.CodeValidation, "credentials.bic"},
		{"unknown credential", "credentials.sort_code", "601613", unprocessable, submit.CodeValidation, "credentials.sort_code"},
		{"credential not string", "credentials.iban", 12, http.StatusBadRequest, "", ""},
	}
	runFieldCases(t, e, url, "instrument_iban.json", nil, iban)

	uk := []fieldCase{
		{"uk account 7 digits", "credentials.account_number", "3192681", unprocessable, submit.CodeValidation, "credentials.account_number"},
		{"uk account missing", "credentials.account_number", deleteField, unprocessable, submit.CodeValidation, "credentials.account_number"},
		{"sort code dashes", "credentials.sort_code", "60-16-13", unprocessable, submit.CodeValidation, "credentials.sort_code"},
		{"sort code missing", "credentials.sort_code", deleteField, unprocessable, submit.CodeValidation, "credentials.sort_code"},
	}
	runFieldCases(t, e, url, "instrument_uk_bank.json", nil, uk)

	us := []fieldCase{
		{"routing checksum", "credentials.routing_number", "021000022", unprocessable, submit.CodeValidation, "credentials.routing_number"},
		{"routing leading zero dropped", "credentials.routing_number", "21000021", unprocessable, submit.CodeValidation, "credentials.routing_number"},
		{"routing missing", "credentials.routing_number", deleteField, unprocessable, submit.CodeValidation, "credentials.routing_number"},
		{"us account missing", "credentials.account_number", deleteField, unprocessable, submit.CodeValidation, "credentials.account_number"},
		{"us account letters", "credentials.account_number", "12AB34", unprocessable, submit.CodeValidation, "credentials.account_number"},
		{"account type missing", "credentials.account_type", deleteField, unprocessable, submit.CodeValidation, "credentials.account_type"},
		{"account type unknown", "credentials.account_type", "brokerage", unprocessable, submit.CodeValidation, "credentials.account_type"},
	}
	runFieldCases(t, e, url, "instrument_us_bank.json", nil, us)

	swift := []fieldCase{
		{"swift bic missing", "credentials.bic", deleteField, unprocessable, submit.CodeValidation, "credentials.bic"},
		{"swift no account", "credentials.account_number", deleteField, unprocessable, submit.CodeValidation, "credentials.iban"},
		{"swift bad iban", "credentials.iban", "CH9300762011623852958", unprocessable, submit.CodeValidation, "credentials.iban"},
	}
	runFieldCases(t, e, url, "instrument_swift.json", nil, swift)

	t.Run("beneficiary not found", func(t *testing.T) {
		e.post("/v1/beneficiaries/ben_01NOPE/instruments", fixture(t, "instrument_iban.json")).
			expect(t, http.StatusNotFound, submit.CodeBeneficiaryNotFound)
	})
	t.Run("valid fixtures", func(t *testing.T) {
		for _, name := range []string{"instrument_iban.json", "instrument_uk_bank.json", "instrument_us_bank.json", "instrument_swift.json"} {
			e.createInstrument(ben, name)
		}
		e.post(url, fixture(t, "instrument_iban.json")).expect(t, unprocessable, "duplicate_instrument")
	})
}

func TestValidation_Payout(t *testing.T) {
	e := startSandbox(t, Options{})
	ben, ins := e.sepaPayee()
	base := func() map[string]any { return sepaPayout(ben, ins, "10.00", "VAL-1") }

	cases := []fieldCase{
		{"beneficiary missing", "beneficiary_id", deleteField, unprocessable, submit.CodeValidation, "beneficiary_id"},
		{"beneficiary bad prefix", "beneficiary_id", "pye_123", unprocessable, submit.CodeValidation, "beneficiary_id"},
		{"instrument missing", "instrument_id", deleteField, unprocessable, submit.CodeValidation, "instrument_id"},
		{"instrument bad chars", "instrument_id", "ins_12-3", unprocessable, submit.CodeValidation, "instrument_id"},
		{"source amount missing", "source_amount", deleteField, unprocessable, submit.CodeValidation, "source_amount"},
		{"dest amount missing", "dest_amount", deleteField, unprocessable, submit.CodeValidation, "dest_amount"},
		{"amount zero", "dest_amount", "0.00", unprocessable, submit.CodeValidation, "dest_amount"},
		{"amount negative", "dest_amount", "-5.00", unprocessable, submit.CodeValidation, "dest_amount"},
		{"amount too many decimals", "dest_amount", "10.001", unprocessable, submit.CodeValidation, "dest_amount"},
		{"amount 13 digits", "dest_amount", "1234567890123", unprocessable, submit.CodeValidation, "dest_amount"},
		{"amount with comma", "dest_amount", "10,00", unprocessable, submit.CodeValidation, "dest_amount"},
		{"amount exponent", "dest_amount", "1e3", unprocessable, submit.CodeValidation, "dest_amount"},
		{"amount as number", "dest_amount", 10, http.StatusBadRequest, "", ""},
		{"dest currency missing", "dest_currency", deleteField, unprocessable, submit.CodeValidation, "dest_currency"},
		{"dest currency lowercase", "dest_currency", "eur", unprocessable, submit.CodeValidation, "dest_currency"},
		{"source currency bad", "source_currency", "EURO", unprocessable, submit.CodeValidation, "source_currency"},
		{"method missing", "method", deleteField, unprocessable, submit.CodeValidation, "method"},
		{"method unknown", "method", "carrier_pigeon", unprocessable, submit.CodeValidation, "method"},
		{"purpose missing", "purpose", deleteField, unprocessable, submit.CodeValidation, "purpose"},
		{"purpose too long", "purpose", strings.Repeat("p", 256), unprocessable, submit.CodeValidation, "purpose"},
		{"reference missing", "reference", deleteField, unprocessable, submit.CodeValidation, "reference"},
		{"reference too long", "reference", strings.Repeat("r", 101), unprocessable, submit.CodeValidation, "reference"},
		{"fixed side unknown", "fixed_side", "both", unprocessable, submit.CodeValidation, "fixed_side"},
		{"fee bearer unknown", "fee_bearer", "payee", unprocessable, submit.CodeValidation, "fee_bearer"},
		{"quote id malformed", "quote_id", "quote-1", unprocessable, submit.CodeValidation, "quote_id"},
		{"quote id unknown", "quote_id", "pq_123", http.StatusNotFound, "quote_not_found", ""},
		{"unknown field", "amount", "10.00", http.StatusBadRequest, "", ""},
		{"beneficiary not found", "beneficiary_id", "ben_01NOPE", http.StatusNotFound, submit.CodeBeneficiaryNotFound, ""},
		{"instrument not found", "instrument_id", "ins_01NOPE", http.StatusNotFound, submit.CodeInstrumentNotFound, ""},
		{"method does not fit instrument", "method", "ach", unprocessable, submit.CodeValidation, "method"},
		{"sepa in USD", "dest_currency", "USD", http.StatusForbidden, submit.CodeCorridorNotEnabled, ""},
		{"method not served", "method", "mobile_money", http.StatusForbidden, submit.CodeCorridorNotEnabled, ""},
	}
	runFieldCases(t, e, "/v1/payouts", "", base, cases)

	t.Run("reference exactly 100", func(t *testing.T) {
		body := base()
		body["reference"] = strings.Repeat("r", 100)
		e.post("/v1/payouts", body).expect(t, http.StatusCreated, "-")
	})
	t.Run("instrument of another beneficiary", func(t *testing.T) {
		otherBen := e.uniqueBusiness("Other Co")
		body := base()
		body["beneficiary_id"] = otherBen
		e.post("/v1/payouts", body).expect(t, unprocessable, submit.CodeInvalidInstrument)
	})
	t.Run("disabled instrument", func(t *testing.T) {
		otherBen := e.uniqueBusiness("Disabled Co")
		usIns := e.createInstrument(otherBen, "instrument_us_bank.json")
		e.call(http.MethodDelete, "/v1/instruments/"+usIns, nil).expect(t, http.StatusNoContent, "-")
		body := base()
		body["beneficiary_id"], body["instrument_id"], body["method"], body["dest_currency"] = otherBen, usIns, "ach", "USD"
		e.post("/v1/payouts", body).expect(t, unprocessable, submit.CodeInvalidInstrument)
	})
	t.Run("dest currency differs from instrument", func(t *testing.T) {
		body := base()
		body["method"], body["dest_currency"] = "swift", "GBP"
		res := e.post("/v1/payouts", body)
		res.expect(t, unprocessable, submit.CodeValidation)
	})
	t.Run("JPY has no decimals", func(t *testing.T) {
		swiftBen := e.uniqueBusiness("Yen Co")
		in := fixture(t, "instrument_swift.json")
		in["currency"] = "JPY"
		res := e.post("/v1/beneficiaries/"+swiftBen+"/instruments", in)
		res.expect(t, http.StatusCreated, "-")
		var instrument submit.Instrument
		res.decode(t, &instrument)
		body := map[string]any{"beneficiary_id": swiftBen, "instrument_id": instrument.ID, "source_amount": "1500.5",
			"dest_amount": "1500.5", "dest_currency": "JPY", "method": "swift", "purpose": "services", "reference": "JPY-1",
			"source_currency": "JPY"}
		e.post("/v1/payouts", body).expect(t, unprocessable, submit.CodeValidation)
	})
}
