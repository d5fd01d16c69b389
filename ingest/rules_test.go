package ingest

import (
	"testing"
	"time"
)

func TestParseAmount(t *testing.T) {
	plain, _ := newNumberFormat("", "")
	european, _ := newNumberFormat(",", ".")
	swiss, _ := newNumberFormat(".", "'")
	spaced, _ := newNumberFormat(",", "space")

	tests := []struct {
		text   string
		format numberFormat
		want   string // canonical value; "" when a finding is expected
		places int
		code   string
	}{
		{"12.50", plain, "12.5", 2, ""},
		{"0.01", plain, "0.01", 2, ""},
		{"010", plain, "10", 0, ""},
		{"1234567", plain, "1234567", 0, ""},
		{"999999999999.99", plain, "999999999999.99", 2, ""},
		{"1000000000000", plain, "", 0, CodeAmountTooManyDigits},
		{"1,234.56", plain, "", 0, CodeAmountGrouping},
		{"1.234,56", plain, "", 0, CodeAmountGrouping},
		{"12,50", plain, "", 0, CodeAmountDecimalSep},
		{"12.5.0", plain, "", 0, CodeAmountInvalid},
		{"12.", plain, "", 0, CodeAmountInvalid},
		{"1e3", plain, "", 0, CodeAmountInvalid},
		{"2.5E-2", plain, "", 0, CodeAmountInvalid},
		{"0x10", plain, "", 0, CodeAmountInvalid},
		{"NaN", plain, "", 0, CodeAmountInvalid},
		{"Infinity", plain, "", 0, CodeAmountInvalid},
		{"12 USD", plain, "", 0, CodeAmountSymbol},
		{"1.5E+3", plain, "", 0, CodeAmountInvalid},
		{"$12", plain, "", 0, CodeAmountSymbol},
		{"12 EUR", plain, "", 0, CodeAmountSymbol},
		{"-1", plain, "", 0, CodeAmountNotPositive},
		{"(12.00)", plain, "", 0, CodeAmountNotPositive},
		{"+12", plain, "", 0, CodeAmountInvalid},
		{"0", plain, "", 0, CodeAmountNotPositive},
		{"1 234", plain, "", 0, CodeAmountGrouping},
		{"1.234,56", european, "1234.56", 2, ""},
		{"1234,56", european, "1234.56", 2, ""},
		{"12.50", european, "", 0, CodeAmountInvalid},
		{"1.23,4", european, "", 0, CodeAmountInvalid},
		{"1'234.50", swiss, "1234.5", 2, ""},
		{"1 234,50", spaced, "1234.5", 2, ""},
		{"1\u00a0234,50", spaced, "1234.5", 2, ""},
		{"12 34,50", spaced, "", 0, CodeAmountInvalid},
	}
	for _, tt := range tests {
		value, places, f := parseAmount(tt.text, tt.format)
		if tt.code != "" {
			if f == nil || f.code != tt.code {
				t.Errorf("parseAmount(%q) finding %+v, want %s", tt.text, f, tt.code)
			}
			continue
		}
		if f != nil {
			t.Errorf("parseAmount(%q) finding %+v, want %s", tt.text, f, tt.want)
			continue
		}
		if value.String() != tt.want || places != tt.places {
			t.Errorf("parseAmount(%q) = %s with %d places, want %s with %d", tt.text, value, places, tt.want, tt.places)
		}
	}
}

func TestNumberFormatRejectsUnknownSeparators(t *testing.T) {
	for _, tt := range []struct{ decimal, grouping string }{{"·", ""}, {".", "_"}, {",", ","}} {
		if _, err := newNumberFormat(tt.decimal, tt.grouping); err == nil {
			t.Errorf("newNumberFormat(%q, %q) accepted", tt.decimal, tt.grouping)
		}
	}
}

func TestRoundExcelNumber(t *testing.T) {
	for raw, want := range map[string]string{
		"12.339999999999999":    "12.34",
		"10.005":                "10.005",
		"0.30000000000000004":   "0.3",
		"1234567.8899999999":    "1234567.89",
		"100":                   "100",
		"1.0000000000000001E-3": "0.001",
	} {
		got, err := roundExcelNumber(raw)
		if err != nil {
			t.Errorf("roundExcelNumber(%q) error %v", raw, err)
			continue
		}
		if got.String() != want {
			t.Errorf("roundExcelNumber(%q) = %s, want %s", raw, got, want)
		}
	}
}

func TestCheckIBAN(t *testing.T) {
	valid := []string{
		"DE89370400440532013000", "FR1420041010050500013M02606", "NL91ABNA0417164300",
		"BE68539007547034", "ES9121000418450200051332", "IT60X0542811101000000123456",
		"AT611904300234573201", "GB29NWBK60161331926819", "CH9300762011623852957", "NO9386011117947",
	}
	for _, iban := range valid {
		if f := checkIBAN(iban); f != nil {
			t.Errorf("checkIBAN(%s) = %+v, want valid", iban, f)
		}
	}
	invalid := map[string]string{
		"DE89370400440532013001":  CodeIBANChecksum,
		"DE8937040044053201300":   CodeIBANLength,
		"DE893704004405320130000": CodeIBANLength,
		"US89370400440532013000":  CodeIBANCountry,
		"DE89-370400440532013000": CodeIBANInvalid,
		"D":                       CodeIBANInvalid,
		"DEXX370400440532013000":  CodeIBANInvalid,
	}
	for iban, code := range invalid {
		if f := checkIBAN(iban); f == nil || f.code != code {
			t.Errorf("checkIBAN(%s) = %+v, want %s", iban, f, code)
		}
	}
	if got := normaliseIBAN(" de89 3704\u00a00044 0532 0130 00 "); got != "DE89370400440532013000" {
		t.Errorf("normaliseIBAN = %q", got)
	}
}

func TestCheckRoutingNumber(t *testing.T) {
	for _, n := range []string{"021000021", "011000015", "026009593", "121000248", "322271627"} {
		if f := checkRoutingNumber(n); f != nil {
			t.Errorf("checkRoutingNumber(%s) = %+v, want valid", n, f)
		}
	}
	for n, code := range map[string]string{
		"021000022": CodeRoutingChecksum, "21000021": CodeLeadingZero, "0210000211": CodeRoutingInvalid,
		"02100002A": CodeRoutingInvalid, "1234567": CodeRoutingInvalid,
	} {
		if f := checkRoutingNumber(n); f == nil || f.code != code {
			t.Errorf("checkRoutingNumber(%s) = %+v, want %s", n, f, code)
		}
	}
}

func TestCheckBIC(t *testing.T) {
	for _, bic := range []string{"DEUTDEFF", "DEUTDEFF500", "BNPAFRPPXXX", "UBSWCHZH80A"} {
		if f := checkBIC(bic); f != nil {
			t.Errorf("checkBIC(%s) = %+v, want valid", bic, f)
		}
	}
	for _, bic := range []string{"DEUT", "DEUTDEFF5", "DEUTZZFF", "DEU1DEFF", "DEUTDEF!", "DEUTUKFF"} {
		if f := checkBIC(bic); f == nil || f.code != CodeBICInvalid {
			t.Errorf("checkBIC(%s) = %+v, want %s", bic, f, CodeBICInvalid)
		}
	}
}

func TestCheckSortCodeAndUKAccount(t *testing.T) {
	if f := checkSortCode(normaliseSortCode("20-00-00")); f != nil {
		t.Errorf("sort code 20-00-00: %+v", f)
	}
	if f := checkSortCode("20000"); f == nil || f.code != CodeLeadingZero {
		t.Errorf("sort code 20000: %+v, want %s", f, CodeLeadingZero)
	}
	if f := checkSortCode("2000000"); f == nil || f.code != CodeSortCodeInvalid {
		t.Errorf("sort code 2000000: %+v, want %s", f, CodeSortCodeInvalid)
	}
	if f := checkUKAccount("1234567"); f == nil || f.code != CodeLeadingZero {
		t.Errorf("account 1234567: %+v, want %s", f, CodeLeadingZero)
	}
	if f := checkUKAccount("12345678"); f != nil {
		t.Errorf("account 12345678: %+v", f)
	}
}

func TestCheckCountry(t *testing.T) {
	for _, code := range []string{"DE", "US", "GB", "XK", "FR"} {
		if f := checkCountry(code); f != nil {
			t.Errorf("checkCountry(%s) = %+v", code, f)
		}
	}
	for _, code := range []string{"UK", "EU", "ZZ", "DEU", "de", "", "QO"} {
		if f := checkCountry(code); f == nil {
			t.Errorf("checkCountry(%q) accepted", code)
		}
	}
}

func TestCheckPhone(t *testing.T) {
	got, f := checkPhone("+44 20 7946 0958")
	if f != nil || got != "+442079460958" {
		t.Errorf("checkPhone formatted = %q, %+v; want +442079460958", got, f)
	}
	for _, bad := range []string{"02079460958", "+1 555", "+999123456789", "call me"} {
		if _, f := checkPhone(bad); f == nil {
			t.Errorf("checkPhone(%q) accepted", bad)
		}
	}
}

func TestCheckDateOfBirth(t *testing.T) {
	now = func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
	t.Cleanup(func() { now = time.Now })

	if f := checkDateOfBirth("1984-02-29"); f != nil {
		t.Errorf("leap day: %+v", f)
	}
	for text, code := range map[string]string{
		"1983-02-29": CodeDateInvalid, "02/03/1984": CodeDateInvalid, "1899-12-31": CodeDateInvalid,
		"2026-06-01": CodeDateNotPast, "2030-01-01": CodeDateNotPast,
	} {
		if f := checkDateOfBirth(text); f == nil || f.code != code {
			t.Errorf("checkDateOfBirth(%s) = %+v, want %s", text, f, code)
		}
	}
}

func TestCheckEmail(t *testing.T) {
	if f := checkEmail("ann.lee+pay@example.co.uk"); f != nil {
		t.Errorf("valid email: %+v", f)
	}
	for _, bad := range []string{"ann", "ann@", "Ann <ann@example.com>", "ann@localhost", "a@b@example.com", "ann@example."} {
		if f := checkEmail(bad); f == nil {
			t.Errorf("checkEmail(%q) accepted", bad)
		}
	}
}

func TestHeaderKey(t *testing.T) {
	for header, want := range map[string]string{
		"Address Line-1": "addressline1", " REFERENCE ": "reference", "date_of_birth": "dateofbirth",
		"\ufeffreference": "reference",
	} {
		if got := headerKey(header); got != want {
			t.Errorf("headerKey(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestLooksScientific(t *testing.T) {
	for s, want := range map[string]bool{
		"1.23457E+11": true, "1E+11": true, "1,5e-3": true, "2024E10": false, "E+11": false, "12345": false,
	} {
		if got := looksScientific(s); got != want {
			t.Errorf("looksScientific(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestIsAntonIDEveryByte puts each byte value at each position of an id
// long enough for both the 8-byte steps and the tail, and compares with a
// check byte by byte.
func TestIsAntonIDEveryByte(t *testing.T) {
	for pos := 0; pos < 19; pos++ {
		for b := 0; b < 256; b++ {
			rest := []byte("01HZX3K9Q2M4N5P6000")
			rest[pos] = byte(b)
			want := b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
			if got := isAntonID("ben_"+string(rest), "ben_"); got != want {
				t.Fatalf("isAntonID with byte 0x%02X at %d = %v, want %v", b, pos, got, want)
			}
		}
	}
	for _, s := range []string{"", "ben_", "ins_01H", "ben-01H"} {
		if isAntonID(s, "ben_") {
			t.Errorf("isAntonID(%q) = true", s)
		}
	}
}
