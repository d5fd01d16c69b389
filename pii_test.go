package payrun

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"unicode"
)

// maskedOutputs returns every way a value can reach a log, a message or a
// report: fmt verbs, JSON, and slog's text and JSON handlers, both as a bare
// value and inside a struct.
func maskedOutputs(t *testing.T, v any) []string {
	t.Helper()
	holder := struct {
		Field any
		Bank  BankDetails
	}{Field: v}
	if a, ok := v.(AccountNumber); ok {
		holder.Bank.AccountNumber = a
	}
	if i, ok := v.(IBAN); ok {
		holder.Bank.IBAN = i
	}

	out := []string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%10s", "%d"} {
		out = append(out, fmt.Sprintf(verb, v), fmt.Sprintf(verb, holder), fmt.Sprintf(verb, &holder))
	}
	out = append(out, fmt.Sprint(v), fmt.Sprintln(v))
	if s, ok := v.(fmt.Stringer); ok {
		out = append(out, s.String())
	}

	for _, x := range []any{v, holder} {
		data, err := json.Marshal(x)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		out = append(out, string(data))
	}

	// The time is dropped because its digits could match the original by chance.
	opts := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, opts)).Info("payout", "value", v, "holder", holder)
	slog.New(slog.NewJSONHandler(&js, opts)).Info("payout", "value", v, "holder", holder)
	return append(out, text.String(), js.String())
}

// digitRuns returns every run of five consecutive ASCII digits in s.
func digitRuns(s string) []string {
	var runs []string
	for i := 0; i+5 <= len(s); i++ {
		if allASCIIDigits(s[i : i+5]) {
			runs = append(runs, s[i:i+5])
		}
	}
	return runs
}

func allASCIIDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkNoDigitRun fails when an output shows five consecutive digits of raw.
func checkNoDigitRun(t *testing.T, raw string, v any) {
	t.Helper()
	runs := digitRuns(raw)
	if len(runs) == 0 {
		return
	}
	for _, output := range maskedOutputs(t, v) {
		for _, run := range runs {
			if strings.Contains(output, run) {
				t.Fatalf("masked output %q of %T shows %q from the original", output, v, run)
			}
		}
	}
}

var accountSamples = []string{
	"123456789", "000123456789012345", "12345678", "1234567", "12345", "DE89370400440532013000",
	"GB29NWBK60161331926819", "ACC-1234567-890", " 12345 67890 ", "１２３４５６７８９",
}

func TestAccountNumberMasked(t *testing.T) {
	for _, raw := range accountSamples {
		checkNoDigitRun(t, raw, NewAccountNumber(raw))
	}
	if got := NewAccountNumber("123456789").String(); got != "****6789" {
		t.Errorf("String() = %q, want ****6789", got)
	}
	if got := NewAccountNumber("12345").String(); got != "****45" {
		t.Errorf("String() = %q, want ****45", got)
	}
	if got := NewAccountNumber("").String(); got != "" {
		t.Errorf("empty String() = %q", got)
	}
}

func TestIBANMasked(t *testing.T) {
	for _, raw := range accountSamples {
		checkNoDigitRun(t, raw, NewIBAN(raw))
	}
	if got := NewIBAN("DE89370400440532013000").String(); got != "DE**3000" {
		t.Errorf("String() = %q, want DE**3000", got)
	}
	if got := fmt.Sprintf("%q", NewIBAN("DE89370400440532013000")); got != `"DE**3000"` {
		t.Errorf("%%q = %s", got)
	}
}

func TestRevealReturnsRaw(t *testing.T) {
	if NewAccountNumber("123456789").Reveal() != "123456789" || NewIBAN("DE89").Reveal() != "DE89" {
		t.Errorf("Reveal does not return the raw value")
	}
}

func TestEmailMasked(t *testing.T) {
	for raw, want := range map[string]string{
		"jane.doe@example.com": "j***@example.com",
		"Ångström@example.se":  "Å***@example.se",
		"+tag@example.com":     "****@example.com",
		"no-at-sign":           "***",
		"@example.com":         "***",
		"":                     "",
	} {
		e := NewEmail(raw)
		if got := e.String(); got != want {
			t.Errorf("Email(%q).String() = %q, want %q", raw, got, want)
		}
		local, _, _ := strings.Cut(raw, "@")
		for _, output := range maskedOutputs(t, e) {
			if len(local) > 2 && strings.Contains(output, local) {
				t.Errorf("output %q shows the local part %q", output, local)
			}
		}
	}
}

func TestNameMasked(t *testing.T) {
	for raw, want := range map[string]string{
		"Jane Doe":          "J. D.",
		"jörg müller":       "J. M.",
		"Acme Trading Ltd.": "A. T. L.",
		"  ":                "",
		"(Bob)":             "",
	} {
		n := NewName(raw)
		if got := n.String(); got != want {
			t.Errorf("Name(%q).String() = %q, want %q", raw, got, want)
		}
		for _, output := range maskedOutputs(t, n) {
			for _, word := range strings.Fields(raw) {
				if len([]rune(word)) > 2 && strings.Contains(output, word) {
					t.Errorf("output %q shows the name part %q", output, word)
				}
			}
		}
	}
}

func TestSecretMasked(t *testing.T) {
	s := NewSecret("1980-01-02")
	for _, output := range maskedOutputs(t, s) {
		if strings.Contains(output, "1980") {
			t.Errorf("output %q shows the secret", output)
		}
	}
	if NewSecret("").String() != "" || s.String() != "***" {
		t.Errorf("Secret masks %q and %q", NewSecret("").String(), s.String())
	}
}

func FuzzMaskAccountNumber(f *testing.F) {
	for _, s := range accountSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		checkNoDigitRun(t, raw, NewAccountNumber(raw))
	})
}

func FuzzMaskIBAN(f *testing.F) {
	for _, s := range accountSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		checkNoDigitRun(t, raw, NewIBAN(raw))
	})
}

func FuzzMaskEmail(f *testing.F) {
	for _, s := range []string{"jane.doe@example.com", "a@b", "@", "x@@y", "Ünïcode@exämple.de"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		masked := NewEmail(raw).String()
		at := strings.LastIndexByte(raw, '@')
		if at <= 0 {
			if masked != "" && masked != "***" {
				t.Fatalf("Email(%q) = %q, want *** or empty", raw, masked)
			}
			return
		}
		if !strings.HasSuffix(masked, "***"+raw[at:]) {
			t.Fatalf("Email(%q) = %q, want first letter, *** and the domain", raw, masked)
		}
	})
}

func FuzzMaskName(f *testing.F) {
	for _, s := range []string{"Jane Doe", "Ó Briain", "李 小龍", "a b c d", "=HYPERLINK(\"x\")"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, part := range strings.Fields(NewName(raw).String()) {
			r := []rune(part)
			if len(r) != 2 || r[1] != '.' || !(unicode.IsLetter(r[0]) || unicode.IsDigit(r[0])) {
				t.Fatalf("Name(%q) = %q, want initials only", raw, NewName(raw).String())
			}
		}
	})
}
