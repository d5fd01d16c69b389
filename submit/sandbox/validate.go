package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/text/language"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/submit"
)

var (
	moneyPattern    = regexp.MustCompile(`^-?\d{1,12}(\.\d+)?$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
	countryPattern  = regexp.MustCompile(`^[A-Z]{2}$`)
	e164Pattern     = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)
	datePattern     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// idPattern returns the pattern of ids with prefix: ^prefix_[a-zA-Z0-9]+$.
func idPattern(prefix string) *regexp.Regexp {
	return regexp.MustCompile(`^` + prefix + `_[a-zA-Z0-9]+$`)
}

var (
	beneficiaryIDPattern = idPattern("ben")
	instrumentIDPattern  = idPattern("ins")
	payoutIDPattern      = idPattern("pay")
	batchIDPattern       = idPattern("bat")
	quoteIDPattern       = idPattern("pq")
	webhookIDPattern     = idPattern("whk")
)

// decodeStrict decodes a JSON object and rejects unknown fields, trailing
// data and an empty body, with a 400 that has no code, as Anton responds.
func decodeStrict(body []byte, v any) *reply {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("request body is empty: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("invalid JSON body: " + describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("invalid JSON body: unexpected data after the JSON object")
	}
	return nil
}

func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			return fmt.Sprintf("expected a JSON %s, got a %s", typeErr.Type, typeErr.Value)
		}
		return fmt.Sprintf("field %s must be a JSON %s, not a %s (money amounts are strings such as \"12.50\")",
			field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	}
	return err.Error()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "map", "struct", "ptr":
		return "object"
	case "slice":
		return "array"
	}
	return goKind
}

// fieldErrors collects the details of a 422 validation_error.
type fieldErrors struct {
	list []submit.FieldError
}

func (f *fieldErrors) add(field, format string, args ...any) {
	f.list = append(f.list, submit.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (f *fieldErrors) empty() bool { return len(f.list) == 0 }

// reply returns the 422 response, or nil when no rule failed.
func (f *fieldErrors) reply() *reply {
	if f.empty() {
		return nil
	}
	return validationReply(f.list)
}

// required reports whether value is set and records a detail when not.
func (f *fieldErrors) required(field, value string) bool {
	if value == "" {
		f.add(field, "is required")
		return false
	}
	return true
}

func (f *fieldErrors) maxLength(field, value string, limit int) {
	if n := len([]rune(value)); n > limit {
		f.add(field, "is %d characters long; the maximum is %d", n, limit)
	}
}

func (f *fieldErrors) match(field, value string, pattern *regexp.Regexp, hint string) bool {
	if value != "" && !pattern.MatchString(value) {
		f.add(field, "must match %s (%s)", pattern.String(), hint)
		return false
	}
	return true
}

func (f *fieldErrors) enum(field, value string, allowed ...string) {
	if value == "" {
		return
	}
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	f.add(field, "must be one of %v", allowed)
}

// currency checks an ISO 4217 code and returns its scale.
func (f *fieldErrors) currency(field, value string) (int, bool) {
	if value == "" || !f.match(field, value, currencyPattern, "three uppercase letters") {
		return 0, false
	}
	scale, ok := payrun.CurrencyScale(value)
	if !ok {
		f.add(field, "%q is not an ISO 4217 currency code", value)
	}
	return scale, ok
}

// country checks an ISO 3166-1 alpha-2 code.
func (f *fieldErrors) country(field, value string) {
	if value == "" || !f.match(field, value, countryPattern, "two uppercase letters") {
		return
	}
	region, err := language.ParseRegion(value)
	if err != nil || !region.IsCountry() || region.String() != value {
		f.add(field, "%q is not an ISO 3166-1 alpha-2 country code", value)
	}
}

// money checks an amount against Anton's pattern, positivity and the
// currency's scale, and returns it in minor units. With scaleKnown false (the
// currency itself is invalid) only the pattern and sign are checked.
func (f *fieldErrors) money(field, value, currency string, scale int, scaleKnown bool) (int64, bool) {
	if value == "" {
		return 0, false
	}
	if !moneyPattern.MatchString(value) {
		f.add(field, "must be a decimal string matching ^-?\\d{1,12}(\\.\\d+)?$, such as \"12.50\"")
		return 0, false
	}
	amount, err := decimal.NewFromString(value)
	if err != nil {
		f.add(field, "must be a decimal string such as \"12.50\"")
		return 0, false
	}
	if !amount.IsPositive() {
		f.add(field, "must be greater than zero")
		return 0, false
	}
	if !scaleKnown {
		return 0, false
	}
	if places := -amount.Exponent(); places > int32(scale) {
		f.add(field, "has %d decimals, but %s allows %d", places, currency, scale)
		return 0, false
	}
	return amount.Shift(int32(scale)).IntPart(), true
}

func (f *fieldErrors) email(field, value string) {
	if value == "" {
		return
	}
	addr, err := mail.ParseAddress(value)
	if err != nil || addr.Address != value {
		f.add(field, "must be a plain email address such as name@example.com")
	}
}

func (f *fieldErrors) phone(field, value string) {
	f.match(field, value, e164Pattern, "E.164, such as +14155550100")
}

// date checks YYYY-MM-DD and, with past set, that the date is not in the
// future of now.
func (f *fieldErrors) date(field, value string, now time.Time, past bool) {
	if value == "" || !f.match(field, value, datePattern, "YYYY-MM-DD") {
		return
	}
	day, err := time.Parse(time.DateOnly, value)
	if err != nil {
		f.add(field, "%q is not a calendar date", value)
		return
	}
	if past && day.After(now) {
		f.add(field, "must not be in the future")
	}
}
