package ingest

import (
	"reflect"
	"testing"

	"github.com/shopspring/decimal"
)

func TestDecimalLayoutMatches(t *testing.T) {
	if !decimalLayoutMatches {
		t.Fatal("decimal.Decimal no longer has the fields of decimalLayout, so amountDecimal allocates; update decimalLayout")
	}
}

func TestAmountDecimalEqualsNew(t *testing.T) {
	for _, minor := range []int64{1, 9, 10, 100, 8019, 99999999, 1 << 40, 1<<63 - 1} {
		for _, scale := range []int{0, 2, 3} {
			want := decimal.New(minor, -int32(scale))
			got := amountDecimal(minor, scale, &amountStorage{})
			if !reflect.DeepEqual(got, want) {
				t.Errorf("amountDecimal(%d, %d) = %#v, want %#v", minor, scale, got, want)
			}
			if got.String() != want.String() {
				t.Errorf("amountDecimal(%d, %d).String() = %s, want %s", minor, scale, got, want)
			}
			if sum := got.Add(got); !sum.Equal(want.Add(want)) || !got.Equal(want) {
				t.Errorf("amountDecimal(%d, %d) changed by Add: %s, want %s", minor, scale, got, want)
			}
		}
	}
}
