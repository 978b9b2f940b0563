package adapter

import (
	"math"
	"strconv"
)

// Number maps the drivers' fixed-size Go numbers to the shared result
// types, so both engines return the same value for the same number: int64,
// float64, or decimal text for a uint64 beyond int64. ok is false for any
// other value.
func Number(v any) (n any, ok bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
		return strconv.FormatUint(x, 10), true
	case float32:
		// Through its shortest decimal form, so a REAL 0.1 reads 0.1, not
		// 0.10000000149011612.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return f, true
	}
	return nil, false
}
