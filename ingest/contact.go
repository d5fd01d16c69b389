package ingest

import (
	"fmt"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// now is the clock that date-of-birth checks use; tests replace it.
var now = time.Now

// checkPhone validates a phone number in E.164 form ("+" and the country code)
// and returns it without spaces or punctuation, as Anton stores it.
func checkPhone(s string) (string, *finding) {
	hint := "enter the number in international E.164 form, for example +4915123456789"
	if !strings.HasPrefix(s, "+") {
		return "", &finding{CodePhoneInvalid, "phone number does not start with + and the country code", hint}
	}
	number, err := phonenumbers.Parse(s, "ZZ")
	if err != nil || !phonenumbers.IsValidNumber(number) {
		return "", &finding{CodePhoneInvalid, "phone number is not a valid international number", hint}
	}
	return phonenumbers.Format(number, phonenumbers.E164), nil
}

// checkDateOfBirth validates a YYYY-MM-DD date that is a real calendar date in
// the past and after 1900.
func checkDateOfBirth(s string) *finding {
	hint := "enter the date as YYYY-MM-DD, for example 1984-03-21"
	date, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return &finding{CodeDateInvalid, "date_of_birth is not a real date in the form YYYY-MM-DD", hint}
	}
	if !date.Before(now()) {
		return &finding{CodeDateNotPast, "date_of_birth is not in the past", hint}
	}
	if date.Year() < 1900 {
		return &finding{CodeDateInvalid, fmt.Sprintf("date_of_birth year %d is before 1900", date.Year()), hint}
	}
	return nil
}
