package lifecycle

import (
	"encoding/json"
	"math/big"
	"strings"
)

// normaliseNumbers returns v with every json.Number rewritten by normaliseNumber. Maps and
// slices are changed in place; v is always a fresh tree from parse.
func normaliseNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = normaliseNumbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = normaliseNumbers(e)
		}
	case json.Number:
		return normaliseNumber(v)
	}
	return v
}

// normaliseNumber rewrites a JSON number so that equal values have equal text: "10", "10.0",
// "1e1" and "100e-1" all become "10"; -0 becomes "0". It works on the decimal digits rather than
// float64, so it is exact for any size of integer and an exponent like 1e999999999 costs
// nothing. Ordinary magnitudes are written plainly ("10", "0.5"), extreme ones in scientific
// notation ("1.5e30"), which keeps the three output shapes (no dot, dot, e) from ever
// colliding. n must be valid JSON number syntax, which the decoder guarantees.
func normaliseNumber(n json.Number) json.Number {
	s := string(n)
	sign := ""
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = "-", rest
	}
	mantissa, expText, _ := strings.Cut(strings.ToLower(s), "e")
	whole, frac, _ := strings.Cut(mantissa, ".")

	// value = digits × 10^exp, with no leading or trailing zeros in digits.
	digits := strings.TrimLeft(whole+frac, "0")
	if digits == "" {
		return "0"
	}
	exp := new(big.Int)
	if expText != "" {
		exp.SetString(expText, 10) // accepts the optional + or - sign JSON allows
	}
	trimmed := strings.TrimRight(digits, "0")
	exp.Add(exp, big.NewInt(int64(len(digits)-len(trimmed)-len(frac))))
	digits = trimmed

	if exp.IsInt64() {
		e, d := exp.Int64(), int64(len(digits))
		switch {
		case e >= 0 && d+e <= 21: // integers up to 21 digits, like JavaScript
			return json.Number(sign + digits + strings.Repeat("0", int(e)))
		case e < 0 && -e < d: // 12.5
			point := d + e
			return json.Number(sign + digits[:point] + "." + digits[point:])
		case e < 0 && -e-d < 6: // 0.125, 0.000001 (at most five zeros after the point, like JavaScript)
			return json.Number(sign + "0." + strings.Repeat("0", int(-e-d)) + digits)
		}
	}
	// d.ddd × 10^(exp + len(digits) - 1)
	point := exp.Add(exp, big.NewInt(int64(len(digits)-1)))
	m := digits[:1]
	if len(digits) > 1 {
		m += "." + digits[1:]
	}
	return json.Number(sign + m + "e" + point.String())
}
