package ingest

import (
	"math/big"
	"reflect"
	"unsafe"

	"github.com/shopspring/decimal"

	"github.com/payrun/payrun"
)

// instructionBlock is a valid row's Instruction together with the storage
// of its amount, so the row costs one allocation instead of three (the
// Instruction, and the big.Int and its word that decimal.New allocates).
type instructionBlock struct {
	in     payrun.Instruction
	amount amountStorage
}

// amountStorage is the memory of the big.Int that amountDecimal builds.
type amountStorage struct {
	value big.Int
	word  [1]big.Word
}

// decimalLayout mirrors decimal.Decimal, whose fields are unexported:
// decimal.NewFromBigInt copies its argument, which allocates again.
type decimalLayout struct {
	value *big.Int
	exp   int32
}

// decimalLayoutMatches reports whether decimal.Decimal still has exactly
// the fields of decimalLayout (shopspring/decimal v1.6.0 has). Where it
// does not, amountDecimal falls back to decimal.New.
var decimalLayoutMatches = func() bool {
	got, want := reflect.TypeFor[decimal.Decimal](), reflect.TypeFor[decimalLayout]()
	if got.Size() != want.Size() || got.NumField() != want.NumField() {
		return false
	}
	for i := 0; i < want.NumField(); i++ {
		g, w := got.Field(i), want.Field(i)
		if g.Name != w.Name || g.Type != w.Type || g.Offset != w.Offset {
			return false
		}
	}
	return true
}()

// amountDecimal returns minor·10^-scale as a decimal. With storage, the
// decimal's big.Int lives there, so storage must not be reused while the
// decimal is in use. Decimal methods never change the big.Int they hold.
func amountDecimal(minor int64, scale int, storage *amountStorage) decimal.Decimal {
	if storage == nil || minor <= 0 || !decimalLayoutMatches || unsafe.Sizeof(big.Word(0)) != 8 {
		return decimal.New(minor, -int32(scale))
	}

	storage.word[0] = big.Word(minor)
	storage.value.SetBits(storage.word[:])
	var d decimal.Decimal
	*(*decimalLayout)(unsafe.Pointer(&d)) = decimalLayout{value: &storage.value, exp: -int32(scale)}
	return d
}
