package stats

import "math"

// dd is a double-double number hi+lo with |lo| <= ulp(hi)/2: about 106 bits
// of significand, for the few kernels (Smirnov's sum) that need them.
type dd struct{ hi, lo float64 }

// twoSum returns s = fl(a+b) and the rounding error e: a+b = s+e exactly.
func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	e = (a - (s - bb)) + (b - bb)
	return s, e
}

// ddAdd returns a+b.
func ddAdd(a, b dd) dd {
	s, e := twoSum(a.hi, b.hi)
	t, f := twoSum(a.lo, b.lo)
	e += t
	s, e = twoSum(s, e)
	e += f
	s, e = twoSum(s, e)
	return dd{s, e}
}

// ddMul returns a*b.
func ddMul(a, b dd) dd {
	p := a.hi * b.hi
	e := math.FMA(a.hi, b.hi, -p)
	e += a.hi*b.lo + a.lo*b.hi
	p, e = twoSum(p, e)
	return dd{p, e}
}

// ddDivInt returns a/b for integers of magnitude below 2^53.
func ddDivInt(a, b int) dd {
	fa, fb := float64(a), float64(b)
	q := fa / fb
	r := math.FMA(-q, fb, fa) // exact remainder
	q2 := r / fb
	q, q2 = twoSum(q, q2)
	return dd{q, q2}
}

// scaled is m * 2^e with a double-double mantissa, for values beyond the
// float64 exponent range.
type scaled struct {
	m dd
	e int
}

// norm rescales the mantissa into [0.5, 1) in magnitude.
func (s scaled) norm() scaled {
	if s.m.hi == 0 || math.IsInf(s.m.hi, 0) || math.IsNaN(s.m.hi) {
		return s
	}
	f, e := math.Frexp(s.m.hi)
	return scaled{dd{f, math.Ldexp(s.m.lo, -e)}, s.e + e}
}

func (s scaled) mul(b dd) scaled { return scaled{ddMul(s.m, b), s.e} }

func (s scaled) mulScaled(b scaled) scaled {
	return scaled{ddMul(s.m, b.m), s.e + b.e}.norm()
}

// float returns the value rounded to float64 (0 or ±Inf outside its range).
func (s scaled) float() float64 {
	if s.e > 2000 {
		return math.Copysign(math.Inf(1), s.m.hi)
	}
	if s.e < -2000 {
		return 0
	}
	return math.Ldexp(s.m.hi+s.m.lo, s.e)
}

// dd returns the value as a double-double (its low part may underflow).
func (s scaled) dd() dd {
	return dd{math.Ldexp(s.m.hi, s.e), math.Ldexp(s.m.lo, s.e)}
}

// powScaled returns a^m for an integer m (negative m inverts), by repeated
// squaring in double-double arithmetic: relative error O(log m * 2^-104).
func powScaled(a dd, m int) scaled {
	if m < 0 {
		p := powScaled(a, -m)
		// 1/p in double-double: q = 1/hi, one Newton correction.
		q := 1 / p.m.hi
		r := ddMul(dd{q, 0}, p.m)
		corr := (1 - r.hi - r.lo) * q
		return scaled{dd{q + corr, (q - (q + corr)) + corr}, -p.e}.norm()
	}
	res := scaled{dd{1, 0}, 0}
	if m == 0 {
		return res
	}
	if a.hi == 0 {
		return scaled{}
	}
	b := scaled{a, 0}.norm()
	for {
		if m&1 == 1 {
			res = res.mulScaled(b)
		}
		m >>= 1
		if m == 0 {
			return res
		}
		b = b.mulScaled(b)
	}
}
