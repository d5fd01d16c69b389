package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sort"

	"github.com/payrun/payrun/submit"
)

// instrumentBody is the documented schema of
// POST /v1/beneficiaries/{id}/instruments.
type instrumentBody struct {
	Method      string            `json:"method"`
	Currency    string            `json:"currency"`
	Country     string            `json:"country"`
	Label       string            `json:"label"`
	Credentials map[string]string `json:"credentials"`
	IsDefault   bool              `json:"is_default"`
	EndUserIP   string            `json:"end_user_ip"`
}

// instrumentMethods are all of Anton's instrument methods. The sandbox
// creates the first four and rejects the rest with method_not_supported.
var instrumentMethods = []string{
	"iban", "uk_bank", "us_bank", "swift",
	"ca_bank", "au_bank", "nz_bank", "jp_bank", "in_bank", "za_bank", "ng_bank", "ph_bank", "cl_bank",
	"co_bank", "clabe", "cbu", "cci", "pix", "upi", "interac", "paynow", "fps_hk", "promptpay", "card",
	"crypto", "mobile_money",
}

// credentialFields lists each supported method's credential fields.
var credentialFields = map[string][]string{
	"iban":    {"account_holder_name", "iban", "bic"},
	"uk_bank": {"account_holder_name", "account_number", "sort_code"},
	"us_bank": {"account_holder_name", "routing_number", "account_number", "account_type"},
	"swift":   {"account_holder_name", "bic", "iban", "account_number", "bank_name", "bank_address"},
}

func (s *Server) createInstrument(c *call) *reply {
	owner := c.params["id"]
	if !beneficiaryIDPattern.MatchString(owner) {
		return badRequest("invalid beneficiary id " + quoteID(owner) + ": ids look like ben_01HX8Z…")
	}
	var body instrumentBody
	if rep := decodeStrict(c.body, &body); rep != nil {
		return rep
	}
	m := c.merchant
	if m.beneficiary(owner) == nil {
		return notFound(submit.CodeBeneficiaryNotFound, "beneficiary "+owner+" not found: create it first")
	}
	if rep := validateInstrument(&body); rep != nil {
		return rep
	}

	fingerprint := instrumentFingerprint(owner, &body)
	if existing, ok := m.fingerprints[fingerprint]; ok {
		return errorReply(http.StatusUnprocessableEntity, "duplicate_instrument",
			"beneficiary "+owner+" already has an instrument with these credentials ("+existing+"): reuse it")
	}

	now := timestamp(c.now)
	siblings := m.instrumentsOf[owner]
	in := submit.Instrument{
		ID:            s.newID("ins"),
		BeneficiaryID: owner,
		MerchantID:    m.ID,
		Method:        body.Method,
		Status:        "active",
		IsDefault:     body.IsDefault || len(siblings) == 0,
		Currency:      body.Currency,
		Country:       body.Country,
		Label:         body.Label,
		CreatedAt:     now,
		UpdatedAt:     now,
	}
	describeAccount(&in, body.Credentials)
	if in.IsDefault {
		for _, other := range siblings {
			other.Instrument.IsDefault = false
		}
	}

	rec := &instrumentRecord{Instrument: in, Credentials: body.Credentials, Fingerprint: fingerprint}
	m.Instruments = append(m.Instruments, rec)
	m.addInstrumentIndex(rec)
	s.markDirty()

	s.emitEvent(m, "instrument.created", in.ID, in)
	return jsonReply(http.StatusCreated, in)
}

// validateInstrument checks the method, currency, country and the
// credentials of the method.
func validateInstrument(b *instrumentBody) *reply {
	var f fieldErrors
	if f.required("method", b.Method) {
		f.enum("method", b.Method, instrumentMethods...)
	}
	if f.required("currency", b.Currency) {
		f.currency("currency", b.Currency)
	}
	if f.required("country", b.Country) {
		f.country("country", b.Country)
	}
	f.maxLength("label", b.Label, 255)
	checkIP(&f, "end_user_ip", b.EndUserIP)
	if b.Credentials == nil {
		f.add("credentials", "is required")
	}
	if !f.empty() {
		return f.reply()
	}

	fields, supported := credentialFields[b.Method]
	if !supported {
		return errorReply(http.StatusUnprocessableEntity, "method_not_supported",
			"instrument method "+b.Method+" is not supported by the sandbox: use iban, uk_bank, us_bank or swift")
	}
	for name := range b.Credentials {
		if !contains(fields, name) {
			f.add("credentials."+name, "is not a credential of method %s; allowed: %v", b.Method, fields)
		}
	}
	validateCredentials(&f, b.Method, b.Credentials)
	if !f.empty() {
		return f.reply()
	}
	return nil
}

func validateCredentials(f *fieldErrors, method string, cred map[string]string) {
	f.required("credentials.account_holder_name", cred["account_holder_name"])
	f.maxLength("credentials.account_holder_name", cred["account_holder_name"], 140)
	checkBIC := func(required bool) {
		bic := cred["bic"]
		if required && !f.required("credentials.bic", bic) {
			return
		}
		f.match("credentials.bic", bic, bicPattern, "8 or 11 characters, such as DEUTDEFF")
	}
	checkIBANField := func() {
		if err := checkIBAN(cred["iban"]); err != nil {
			f.add("credentials.iban", "%s", err.Error())
		}
	}

	switch method {
	case "iban":
		if f.required("credentials.iban", cred["iban"]) {
			checkIBANField()
		}
		checkBIC(false)
	case "uk_bank":
		if f.required("credentials.account_number", cred["account_number"]) {
			f.match("credentials.account_number", cred["account_number"], ukAccountPattern, "8 digits")
		}
		if f.required("credentials.sort_code", cred["sort_code"]) {
			f.match("credentials.sort_code", cred["sort_code"], sortCodePattern, "6 digits without dashes")
		}
	case "us_bank":
		if f.required("credentials.routing_number", cred["routing_number"]) {
			if err := checkABA(cred["routing_number"]); err != nil {
				f.add("credentials.routing_number", "%s", err.Error())
			}
		}
		if f.required("credentials.account_number", cred["account_number"]) {
			f.match("credentials.account_number", cred["account_number"], usAccountPattern, "4 to 17 digits")
		}
		if f.required("credentials.account_type", cred["account_type"]) {
			f.enum("credentials.account_type", cred["account_type"], "checking", "savings")
		}
	case "swift":
		checkBIC(true)
		switch {
		case cred["iban"] != "":
			checkIBANField()
		case cred["account_number"] != "":
			f.match("credentials.account_number", cred["account_number"], swiftAccountFormat,
				"1 to 34 uppercase letters and digits")
		default:
			f.add("credentials.iban", "is required unless credentials.account_number is sent")
		}
	}
}

// describeAccount fills the display fields from the credentials, never with
// more than the last four characters of an account identifier.
func describeAccount(in *submit.Instrument, cred map[string]string) {
	account := cred["iban"]
	if account == "" {
		account = cred["account_number"]
	}
	if len(account) >= 4 {
		in.DisplayLast4 = account[len(account)-4:]
		in.MaskedAccount = "****" + in.DisplayLast4
	}
	switch {
	case cred["bic"] != "":
		in.DisplayBank = cred["bic"]
	case cred["sort_code"] != "":
		in.DisplayBank = cred["sort_code"]
	case cred["routing_number"] != "":
		in.DisplayBank = cred["routing_number"]
	}
	switch in.Method {
	case "iban":
		in.DisplayNetwork = "sepa"
	case "uk_bank":
		in.DisplayNetwork = "fps"
	case "us_bank":
		in.DisplayNetwork = "ach"
	case "swift":
		in.DisplayNetwork = "swift"
	}
}

// instrumentFingerprint hashes what decides where money goes, so the same
// credentials twice on one beneficiary are a duplicate.
func instrumentFingerprint(owner string, b *instrumentBody) string {
	keys := make([]string, 0, len(b.Credentials))
	for k := range b.Credentials {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{owner, b.Method, b.Currency, b.Country}
	for _, k := range keys {
		parts = append(parts, k, b.Credentials[k])
	}
	content, _ := json.Marshal(parts)
	sum := sha256.Sum256(content)
	return "ins:" + hex.EncodeToString(sum[:])
}

func (s *Server) getInstrument(c *call) *reply {
	id := c.params["id"]
	if !instrumentIDPattern.MatchString(id) {
		return badRequest("invalid instrument id " + quoteID(id) + ": ids look like ins_01HX8Z…")
	}
	in := c.merchant.instrument(id)
	if in == nil {
		return notFound(submit.CodeInstrumentNotFound, "instrument "+id+" not found")
	}
	return jsonReply(http.StatusOK, in.Instrument)
}

// deleteInstrument disables an instrument; payouts to it then fail with
// invalid_instrument.
func (s *Server) deleteInstrument(c *call) *reply {
	id := c.params["id"]
	if !instrumentIDPattern.MatchString(id) {
		return badRequest("invalid instrument id " + quoteID(id) + ": ids look like ins_01HX8Z…")
	}
	in := c.merchant.instrument(id)
	if in == nil {
		return notFound(submit.CodeInstrumentNotFound, "instrument "+id+" not found")
	}
	if in.Instrument.Status != "disabled" {
		in.Instrument.Status = "disabled"
		in.Instrument.UpdatedAt = timestamp(c.now)
		delete(c.merchant.fingerprints, in.Fingerprint)
		s.markDirty()
		s.emitEvent(c.merchant, "instrument.deleted", id, map[string]string{"id": id})
	}
	return &reply{status: http.StatusNoContent}
}

func (s *Server) listInstruments(c *call) *reply {
	owner := c.params["id"]
	if !beneficiaryIDPattern.MatchString(owner) {
		return badRequest("invalid beneficiary id " + quoteID(owner) + ": ids look like ben_01HX8Z…")
	}
	if c.merchant.beneficiary(owner) == nil {
		return notFound(submit.CodeBeneficiaryNotFound, "beneficiary "+owner+" not found")
	}
	limit, rep := parseLimit(c.query)
	if rep != nil {
		return rep
	}
	after, rep := parseCursor(c.query, instrumentIDPattern)
	if rep != nil {
		return rep
	}

	page := newestFirst(c.merchant.instrumentsOf[owner],
		func(in *instrumentRecord) string { return in.Instrument.ID },
		func(*instrumentRecord) bool { return true }, after, limit)
	out := submit.List[submit.Instrument]{Data: make([]submit.Instrument, 0, len(page.Data)),
		HasMore: page.HasMore, NextCursor: page.NextCursor}
	for _, in := range page.Data {
		out.Data = append(out.Data, in.Instrument)
	}
	return jsonReply(http.StatusOK, out)
}

// flatInstrumentsGone responds to the removed POST /v1/instruments with 410, as
// Anton does.
func (s *Server) flatInstrumentsGone(c *call) *reply {
	return errorReply(http.StatusGone, "",
		"POST /v1/instruments was removed: use POST /v1/beneficiaries/{id}/instruments")
}

func contains(list []string, value string) bool {
	for _, v := range list {
		if v == value {
			return true
		}
	}
	return false
}
