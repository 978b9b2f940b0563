package adapter

import (
	"math"
	"testing"
)

func TestNumber(t *testing.T) {
	tests := []struct {
		in   any
		want any
		ok   bool
	}{
		{int8(-3), int64(-3), true},
		{int32(7), int64(7), true},
		{uint16(9), int64(9), true},
		{uint64(math.MaxInt64), int64(math.MaxInt64), true},
		{uint64(math.MaxUint64), "18446744073709551615", true},
		{float32(0.1), 0.1, true},
		{int64(5), nil, false},
		{"x", nil, false},
	}
	for _, tt := range tests {
		got, ok := Number(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("Number(%#v) = %#v, %v; want %#v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
