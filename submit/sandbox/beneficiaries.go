package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/payrun/payrun/submit"
)

// beneficiaryBody is the full documented schema of POST /v1/beneficiaries, so
// documented optional fields pass and anything else is an unknown field.
type beneficiaryBody struct {
	Type        string            `json:"type"`
	Country     string            `json:"country"`
	ExternalRef string            `json:"external_ref"`
	Metadata    map[string]string `json:"metadata"`
	Individual  *individualBody   `json:"individual"`
	Business    *businessBody     `json:"business"`
	EndUserIP   string            `json:"end_user_ip"`
}

type individualBody struct {
	FirstName   string       `json:"first_name"`
	MiddleName  string       `json:"middle_name"`
	LastName    string       `json:"last_name"`
	Email       string       `json:"email"`
	Phone       string       `json:"phone"`
	DateOfBirth string       `json:"date_of_birth"`
	Nationality string       `json:"nationality"`
	Address     *addressBody `json:"address"`
}

type businessBody struct {
	LegalName            string       `json:"legal_name"`
	TradingName          string       `json:"trading_name"`
	RegistrationNumber   string       `json:"registration_number"`
	TaxID                string       `json:"tax_id"`
	EntityType           string       `json:"entity_type"`
	IncorporationCountry string       `json:"incorporation_country"`
	IncorporationDate    string       `json:"incorporation_date"`
	Email                string       `json:"email"`
	Phone                string       `json:"phone"`
	Website              string       `json:"website"`
	Address              *addressBody `json:"address"`
}

type addressBody struct {
	StreetLine1 string `json:"street_line_1"`
	StreetLine2 string `json:"street_line_2"`
	City        string `json:"city"`
	State       string `json:"state"`
	PostalCode  string `json:"postal_code"`
	Country     string `json:"country"`
}

// statesRequired are the countries whose addresses need a state or province
// in the sandbox. Anton requires state "where the country needs it" without
// a published list; this is the sandbox's choice.
var statesRequired = map[string]bool{"US": true, "CA": true, "AU": true}

func (s *Server) createBeneficiary(c *call) *reply {
	var body beneficiaryBody
	if rep := decodeStrict(c.body, &body); rep != nil {
		return rep
	}
	if rep := validateBeneficiary(&body, c.now); rep != nil {
		return rep
	}

	m := c.merchant
	fingerprint := beneficiaryFingerprint(&body)
	if existing, ok := m.fingerprints[fingerprint]; ok {
		return errorReply(http.StatusUnprocessableEntity, "duplicate_beneficiary",
			"a beneficiary with exactly these details already exists ("+existing+"): reuse it instead of creating another")
	}

	now := timestamp(c.now)
	b := submit.Beneficiary{
		ID:          s.newID("ben"),
		MerchantID:  m.ID,
		Type:        body.Type,
		Status:      "active",
		DisplayName: displayName(&body),
		Country:     body.Country,
		ExternalRef: body.ExternalRef,
		Metadata:    body.Metadata,
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	rec := &beneficiaryRecord{Beneficiary: b, Request: json.RawMessage(c.body), Fingerprint: fingerprint}
	m.Beneficiaries = append(m.Beneficiaries, rec)
	m.byID[b.ID] = rec
	m.fingerprints[fingerprint] = b.ID
	s.markDirty()

	s.emitEvent(m, "beneficiary.created", b.ID, b)
	return jsonReply(http.StatusCreated, b)
}

// validateBeneficiary checks the required fields of the v1 contract.
func validateBeneficiary(b *beneficiaryBody, now time.Time) *reply {
	var f fieldErrors
	if f.required("type", b.Type) {
		f.enum("type", b.Type, "individual", "business")
	}
	if f.required("country", b.Country) {
		f.country("country", b.Country)
	}
	f.maxLength("external_ref", b.ExternalRef, 255)
	checkIP(&f, "end_user_ip", b.EndUserIP)

	switch {
	case b.Individual != nil && b.Business != nil:
		f.add("business", "must not be sent together with individual: send the one that matches type")
	case b.Type == "individual" && b.Individual == nil:
		f.add("individual", "is required when type is individual")
	case b.Type == "business" && b.Business == nil:
		f.add("business", "is required when type is business")
	case b.Type == "individual" && b.Business != nil:
		f.add("business", "must not be sent when type is individual")
	case b.Type == "business" && b.Individual != nil:
		f.add("individual", "must not be sent when type is business")
	}
	if b.Individual != nil {
		validateIndividual(&f, b.Individual, now)
	}
	if b.Business != nil {
		validateBusiness(&f, b.Business, now)
	}
	return f.reply()
}

func validateIndividual(f *fieldErrors, p *individualBody, now time.Time) {
	f.required("individual.first_name", p.FirstName)
	f.required("individual.last_name", p.LastName)
	if f.required("individual.email", p.Email) {
		f.email("individual.email", p.Email)
	}
	if f.required("individual.phone", p.Phone) {
		f.phone("individual.phone", p.Phone)
	}
	if f.required("individual.date_of_birth", p.DateOfBirth) {
		f.date("individual.date_of_birth", p.DateOfBirth, now, true)
	}
	if f.required("individual.nationality", p.Nationality) {
		f.country("individual.nationality", p.Nationality)
	}
	validateAddress(f, "individual.address", p.Address)
}

func validateBusiness(f *fieldErrors, b *businessBody, now time.Time) {
	f.required("business.legal_name", b.LegalName)
	f.enum("business.entity_type", b.EntityType,
		"llc", "corporation", "partnership", "sole_proprietorship", "trust", "other")
	f.country("business.incorporation_country", b.IncorporationCountry)
	f.date("business.incorporation_date", b.IncorporationDate, now, true)
	f.email("business.email", b.Email)
	f.phone("business.phone", b.Phone)
	validateAddress(f, "business.address", b.Address)
}

func validateAddress(f *fieldErrors, field string, a *addressBody) {
	if a == nil {
		f.add(field, "is required")
		return
	}
	f.required(field+".street_line_1", a.StreetLine1)
	f.required(field+".city", a.City)
	f.required(field+".postal_code", a.PostalCode)
	if f.required(field+".country", a.Country) {
		f.country(field+".country", a.Country)
	}
	if statesRequired[a.Country] && a.State == "" {
		f.add(field+".state", "is required for addresses in %s", a.Country)
	}
}

func checkIP(f *fieldErrors, field, value string) {
	if value != "" && net.ParseIP(value) == nil {
		f.add(field, "must be an IPv4 or IPv6 address")
	}
}

// beneficiaryFingerprint hashes the personal details, so an exact duplicate
// is found whatever its external_ref or metadata.
func beneficiaryFingerprint(b *beneficiaryBody) string {
	content, _ := json.Marshal(struct {
		Type       string          `json:"type"`
		Country    string          `json:"country"`
		Individual *individualBody `json:"individual"`
		Business   *businessBody   `json:"business"`
	}{b.Type, b.Country, b.Individual, b.Business})
	sum := sha256.Sum256(content)
	return "ben:" + hex.EncodeToString(sum[:])
}

func displayName(b *beneficiaryBody) string {
	if b.Business != nil {
		if b.Business.TradingName != "" {
			return b.Business.TradingName
		}
		return b.Business.LegalName
	}
	if b.Individual == nil {
		return ""
	}
	return strings.TrimSpace(b.Individual.FirstName + " " + b.Individual.LastName)
}

func (s *Server) getBeneficiary(c *call) *reply {
	id := c.params["id"]
	if !beneficiaryIDPattern.MatchString(id) {
		return badRequest("invalid beneficiary id " + quoteID(id) + ": ids look like ben_01HX8Z…")
	}
	b := c.merchant.beneficiary(id)
	if b == nil {
		return notFound(submit.CodeBeneficiaryNotFound, "beneficiary "+id+" not found")
	}
	return jsonReply(http.StatusOK, b.Beneficiary)
}

func (s *Server) listBeneficiaries(c *call) *reply {
	limit, rep := parseLimit(c.query)
	if rep != nil {
		return rep
	}
	after, rep := parseCursor(c.query, beneficiaryIDPattern)
	if rep != nil {
		return rep
	}
	status, typ, country := c.query.Get("status"), c.query.Get("type"), c.query.Get("country")

	page := newestFirst(c.merchant.Beneficiaries,
		func(b *beneficiaryRecord) string { return b.Beneficiary.ID },
		func(b *beneficiaryRecord) bool {
			return (status == "" || b.Beneficiary.Status == status) &&
				(typ == "" || b.Beneficiary.Type == typ) &&
				(country == "" || b.Beneficiary.Country == country)
		}, after, limit)

	out := submit.List[submit.Beneficiary]{Data: make([]submit.Beneficiary, 0, len(page.Data)),
		HasMore: page.HasMore, NextCursor: page.NextCursor}
	for _, b := range page.Data {
		out.Data = append(out.Data, b.Beneficiary)
	}
	return jsonReply(http.StatusOK, out)
}

// quoteID shortens and quotes an id for a message.
func quoteID(id string) string {
	if len(id) > 64 {
		id = id[:64] + "…"
	}
	return `"` + id + `"`
}
