package submit

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/payrun/payrun"
)

func sampleInstruction(amount string) *payrun.Instruction {
	return &payrun.Instruction{
		Row: 2, Line: 2, Reference: "INV-1",
		Amount:         payrun.Amount{Value: decimal.RequireFromString(amount), Currency: "EUR"},
		SourceCurrency: "EUR", Method: "sepa", Purpose: "contractor_payment",
		BeneficiaryID: "ben_1", InstrumentID: "ins_1",
	}
}

func TestPayoutKey_CanonicalAmount(t *testing.T) {
	a := PayoutKey(KeyInputFor("test", sampleInstruction("12.5"), ""), 0)
	b := PayoutKey(KeyInputFor("test", sampleInstruction("12.50"), ""), 0)
	if a != b {
		t.Errorf("12.5 and 12.50 give different keys: %s, %s", a, b)
	}
}

func TestPayoutKey_Shape(t *testing.T) {
	k := PayoutKey(KeyInputFor("test", sampleInstruction("12.50"), ""), 0)
	if !strings.HasPrefix(k, "payrun-") {
		t.Errorf("key %q lacks the payrun- prefix", k)
	}
	// 20 bytes of base32 without padding are 32 characters.
	if len(k) != len("payrun-")+32 {
		t.Errorf("key %q has length %d, want %d", k, len(k), len("payrun-")+32)
	}
	if strings.ToLower(k) != k {
		t.Errorf("key %q is not lowercase", k)
	}
}

func TestPayoutKey_IgnoresRowAndChangesWithContent(t *testing.T) {
	base := KeyInputFor("test", sampleInstruction("12.50"), "")
	moved := sampleInstruction("12.50")
	moved.Row, moved.Line, moved.Description = 40, 41, "other text"
	if PayoutKey(base, 0) != PayoutKey(KeyInputFor("test", moved, ""), 0) {
		t.Error("row number or description changed the key")
	}

	changes := map[string]func(*KeyInput){
		"namespace":       func(k *KeyInput) { k.Namespace = "live" },
		"reference":       func(k *KeyInput) { k.Reference = "INV-2" },
		"beneficiary":     func(k *KeyInput) { k.BeneficiaryID = "ben_2" },
		"instrument":      func(k *KeyInput) { k.InstrumentID = "ins_2" },
		"external ref":    func(k *KeyInput) { k.ExternalRef = "EMP-1" },
		"bank details":    func(k *KeyInput) { k.BankFingerprint = "ff" },
		"method":          func(k *KeyInput) { k.Method = "swift" },
		"amount":          func(k *KeyInput) { k.Amount = "12.51" },
		"currency":        func(k *KeyInput) { k.Currency = "GBP" },
		"source currency": func(k *KeyInput) { k.SourceCurrency = "USD" },
	}
	for name, change := range changes {
		k := base
		change(&k)
		if PayoutKey(k, 0) == PayoutKey(base, 0) {
			t.Errorf("changing the %s kept the key", name)
		}
	}
	if PayoutKey(base, 1) == PayoutKey(base, 0) {
		t.Error("attempt 1 has the key of attempt 0")
	}
}

func TestPayoutKey_LengthPrefixed(t *testing.T) {
	a := KeyInput{Reference: "ab", BeneficiaryID: "c"}
	b := KeyInput{Reference: "a", BeneficiaryID: "bc"}
	if PayoutKey(a, 0) == PayoutKey(b, 0) {
		t.Error("fields that concatenate to the same text give the same key")
	}
}
