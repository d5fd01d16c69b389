package payrun

import "testing"

func TestCurrencyScaleTenderOnly(t *testing.T) {
	tender := map[string]int{"XOF": 0, "XAF": 0, "XCD": 2, "XPF": 0, "VES": 2, "MRU": 2, "SLE": 2, "ZWG": 2, "TND": 3}
	for code, want := range tender {
		got, ok := CurrencyScale(code)
		if !ok {
			t.Errorf("CurrencyScale(%s) rejected a current currency", code)
		}
		if got != want {
			t.Errorf("CurrencyScale(%s) = %d, want %d", code, got, want)
		}
	}

	withdrawn := []string{"DEM", "FRF", "HRK", "BGN", "VEF", "MRO", "SLL", "ZWL", "ANG", "CHE", "USN", "CLF", "XDR", "XXX"}
	for _, code := range withdrawn {
		if _, ok := CurrencyScale(code); ok {
			t.Errorf("CurrencyScale(%s) accepted a code that is not tender", code)
		}
	}
}
