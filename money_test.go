package payrun

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestCurrencyScale(t *testing.T) {
	for code, want := range map[string]int{"EUR": 2, "USD": 2, "GBP": 2, "JPY": 0, "KWD": 3, "BHD": 3, "CHF": 2} {
		got, ok := CurrencyScale(code)
		if !ok || got != want {
			t.Errorf("CurrencyScale(%s) = %d, %v; want %d", code, got, ok, want)
		}
	}
	for _, code := range []string{"eur", "XAU", "XTS", "ABC", "EU", "EURO", ""} {
		if _, ok := CurrencyScale(code); ok {
			t.Errorf("CurrencyScale(%q) accepted", code)
		}
	}
}

func TestAmountCanonical(t *testing.T) {
	for _, tt := range []struct{ value, code, want string }{
		{"12.5", "EUR", "12.50"}, {"12.50", "EUR", "12.50"}, {"1200", "JPY", "1200"}, {"1.5", "KWD", "1.500"},
	} {
		a := Amount{Value: decimal.RequireFromString(tt.value), Currency: tt.code}
		if got := a.Canonical(); got != tt.want {
			t.Errorf("Canonical(%s %s) = %s, want %s", tt.value, tt.code, got, tt.want)
		}
	}
}

func TestAmountMinor(t *testing.T) {
	minor, err := Amount{Value: decimal.RequireFromString("6975.25"), Currency: "EUR"}.Minor()
	if err != nil || minor != 697525 {
		t.Errorf("Minor = %d, %v; want 697525", minor, err)
	}
	if _, err := (Amount{Value: decimal.RequireFromString("10.005"), Currency: "USD"}).Minor(); err == nil {
		t.Errorf("Minor accepted 10.005 USD")
	}
	if _, err := (Amount{Value: decimal.RequireFromString("1"), Currency: "XXX"}).Minor(); err == nil {
		t.Errorf("Minor accepted currency XXX")
	}
	if _, err := (Amount{Value: decimal.RequireFromString("1e30"), Currency: "EUR"}).Minor(); err == nil {
		t.Errorf("Minor accepted an amount beyond int64")
	}
}

func TestTotalsSumMinorUnits(t *testing.T) {
	totals := Totals{}
	for i := 0; i < 10; i++ {
		totals.Add("EUR", 10) // ten times 0.10, which float64 sums to 0.9999999999999999
	}
	totals.Add("JPY", 1200)
	got := totals.Strings()
	if got["EUR"] != "1.00" || got["JPY"] != "1200" {
		t.Errorf("Strings() = %v", got)
	}
}

func FuzzMinorRoundTrip(f *testing.F) {
	for _, seed := range []int64{0, 1, 99, 697525, -5, 1 << 40} {
		f.Add(seed, uint8(0))
	}
	codes := []string{"EUR", "JPY", "KWD", "USD", "BHD"}
	f.Fuzz(func(t *testing.T, minor int64, pick uint8) {
		code := codes[int(pick)%len(codes)]
		a := FromMinor(minor, code)
		back, err := a.Minor()
		if err != nil || back != minor {
			t.Fatalf("FromMinor(%d, %s).Minor() = %d, %v", minor, code, back, err)
		}
		parsed, err := decimal.NewFromString(a.Canonical())
		if err != nil || !parsed.Equal(a.Value) {
			t.Fatalf("Canonical %q does not parse back to %s", a.Canonical(), a.Value)
		}
		if FormatMinor(minor, code) != a.Canonical() {
			t.Fatalf("FormatMinor(%d, %s) = %q, Canonical %q", minor, code, FormatMinor(minor, code), a.Canonical())
		}
	})
}
