package stats

import (
	"math"
)

// The two-sided one-sample Kolmogorov–Smirnov distribution P(D_n <= x), as
// scipy.stats._ksstats computes it (SciPy 1.10), following Simard & L'Ecuyer
// (2011): Ruben–Gambino closed forms at the ends, the Durbin matrix algorithm
// (Marsaglia, Tsang & Wang 2003) and Pomeranz's recursion (1974) for small n*x^2,
// Pelz & Good's (1976) expansion for large n, and 2*smirnov(n, x) (the exact
// one-sided tail, Birnbaum & Tingey 1951) in the upper tail.

const (
	e128  = 128
	ep128 = 0x1p128
	em128 = 0x1p-128
	// minLog is cephes MINLOG = log(2^-1022).
	minLog = -7.08396418532264106224e2
)

// kolmogn returns P(D_n <= x) if cdf, else P(D_n > x) (SciPy's _kolmogn).
func kolmogn(n int, x float64, cdf bool) float64 {
	pick := func(c, s float64) float64 {
		if cdf {
			return clip01(c)
		}
		return clip01(s)
	}
	if n <= 0 {
		return math.NaN()
	}
	if x >= 1 {
		return pick(1, 0)
	}
	if x <= 0 {
		return pick(0, 1)
	}
	fn := float64(n)
	t := fn * x
	if t <= 1 { // Ruben–Gambino: 1/2n <= x <= 1/n
		if t <= 0.5 {
			return pick(0, 1)
		}
		var prob float64
		if n <= 140 {
			prob = 1
			for i := 1; i <= n; i++ {
				prob *= float64(i) * (1 / fn) * (2*t - 1)
			}
		} else {
			prob = math.Exp(logNFactorialDivNPowN(fn) + fn*math.Log(2*t-1))
		}
		return pick(prob, 1-prob)
	}
	if t >= fn-1 { // Ruben–Gambino
		prob := 2 * powInt(1-x, n)
		return pick(1-prob, prob)
	}
	if x >= 0.5 { // exact: 2 * smirnov
		prob := 2 * smirnovSF(n, x)
		return pick(1-prob, prob)
	}
	nxsq := t * x
	if n <= 140 {
		if nxsq <= 0.754693 {
			prob := kolmognDMTW(n, x)
			return pick(prob, 1-prob)
		}
		if nxsq <= 4 {
			prob := kolmognPomeranz(n, x)
			return pick(prob, 1-prob)
		}
		prob := 2 * smirnovSF(n, x) // Miller's approximation
		return pick(1-prob, prob)
	}
	if !cdf {
		if nxsq >= 370 {
			return 0
		}
		if nxsq >= 2.2 {
			return clip01(2 * smirnovSF(n, x))
		}
	}
	var cdfprob float64
	switch {
	case nxsq >= 18:
		cdfprob = 1
	case n <= 100000 && fn*math.Pow(x, 1.5) <= 1.4:
		cdfprob = kolmognDMTW(n, x)
	default:
		cdfprob = kolmognPelzGood(n, x)
	}
	return pick(cdfprob, 1-cdfprob)
}

func clip01(p float64) float64 {
	return min(max(p, 0), 1)
}

// stirlingCoeffs are B_{2j}/(2j)/(2j-1) for j = 8..1 (B: Bernoulli numbers).
var stirlingCoeffs = [...]float64{
	-2.955065359477124183e-2, 6.4102564102564102564e-3,
	-1.9175269175269175269e-3, 8.4175084175084175084e-4,
	-5.952380952380952381e-4, 7.9365079365079365079e-4,
	-2.7777777777777777778e-3, 8.3333333333333333333e-2,
}

// logNFactorialDivNPowN returns log(n!/n^n) by Stirling's series with the
// n*log(n) term removed up front.
func logNFactorialDivNPowN(n float64) float64 {
	rn := 1 / n
	u := rn / n
	poly := 0.0
	for _, c := range stirlingCoeffs {
		poly = poly*u + c
	}
	return math.Log(n)/2 - n + math.Log(2*math.Pi)/2 + rn*poly
}

// kolmognDMTW returns P(D_n <= d) by Durbin's matrix algorithm in the form of
// Marsaglia, Tsang & Wang (2003): with d = (k-h)/n, 0 <= h < 1, m = 2k-1,
// P = n!/n^n * (H^n)_{kk} for an m×m matrix H, by repeated squaring with
// power-of-two rescaling. O(m^3 log n).
func kolmognDMTW(n int, d float64) float64 {
	if d >= 1 {
		return 1
	}
	nd := float64(n) * d
	if nd <= 0.5 {
		return 0
	}
	k := int(math.Ceil(nd))
	h := float64(k) - nd
	m := 2*k - 1

	H := make([]float64, m*m)
	v := make([]float64, m)
	w := make([]float64, m)
	fac := 1.0
	for j := 1; j <= m; j++ {
		w[j-1] = fac
		fac /= float64(j)
		v[j-1] = (1 - math.Pow(h, float64(j))) * fac
	}
	tt := math.Pow(max(2*h-1, 0), float64(m)) - 2*math.Pow(h, float64(m))
	v[m-1] = (1 + tt) * fac
	for i := 1; i < m; i++ {
		for r := i - 1; r < m; r++ {
			H[r*m+i] = w[r-(i-1)]
		}
	}
	for r := range m {
		H[r*m] = v[r]
	}
	for c := range m {
		H[(m-1)*m+c] = v[m-1-c]
	}

	P := make([]float64, m*m) // H's accumulated power
	for i := range m {
		P[i*m+i] = 1
	}
	tmp := make([]float64, m*m)
	expnt, hexpnt := 0, 0
	for nn := n; nn > 0; nn /= 2 {
		if nn%2 == 1 {
			matMul(tmp, P, H, m)
			P, tmp = tmp, P
			expnt += hexpnt
		}
		matMul(tmp, H, H, m)
		H, tmp = tmp, H
		hexpnt *= 2
		if math.Abs(H[(k-1)*m+k-1]) > ep128 {
			for i := range H {
				H[i] /= ep128
			}
			hexpnt += e128
		}
	}
	p := P[(k-1)*m+k-1]
	fn := float64(n)
	for i := 1; i <= n; i++ {
		p = float64(i) * p / fn
		if math.Abs(p) < em128 {
			p *= ep128
			expnt -= e128
		}
	}
	if expnt != 0 {
		p = math.Ldexp(p, expnt)
	}
	return clip01(p)
}

// matMul sets c = a*b for m×m row-major matrices.
func matMul(c, a, b []float64, m int) {
	clear(c)
	for i := range m {
		ci := c[i*m : i*m+m]
		for l := range m {
			ail := a[i*m+l]
			if ail == 0 {
				continue
			}
			bl := b[l*m : l*m+m]
			for j := range ci {
				ci[j] += ail * bl[j]
			}
		}
	}
}

// pomeranzJ1J2 returns the index interval of row i in Pomeranz's recursion.
func pomeranzJ1J2(i, n, ll, ceilf, roundf int) (int, int) {
	var j1, j2 int
	if i == 0 {
		j1, j2 = -ll-ceilf-1, ll+ceilf-1
	} else {
		ip1div2, ip1mod2 := (i+1)/2, (i+1)%2
		if ip1mod2 == 0 {
			if ip1div2 == n+1 {
				j1, j2 = n-ll-ceilf-1, n+ll+ceilf-1
			} else {
				j1, j2 = ip1div2-1-ll-roundf-1, ip1div2+ll-1+ceilf-1
			}
		} else {
			j1, j2 = ip1div2-1-ll-1, ip1div2+ll+roundf-1
		}
	}
	return max(j1+2, 0), min(j2, n)
}

// kolmognPomeranz returns P(D_n <= x) by Pomeranz's (1974) recursion: 2n+1
// rows, each a convolution of the previous row with one of three truncated
// Poisson weight vectors, P = n! * V[2n+1][n], with power-of-two rescaling.
func kolmognPomeranz(n int, x float64) float64 {
	fn := float64(n)
	t := fn * x
	ll := int(math.Floor(t))
	f := t - float64(ll)
	g := min(f, 1-f)
	ceilf, roundf := 0, 0
	if f > 0 {
		ceilf = 1
	}
	if f > 0.5 {
		roundf = 1
	}
	npwrs := 2 * (ll + 1)
	gpower := make([]float64, npwrs)
	twogpower := make([]float64, npwrs)
	onem2gpower := make([]float64, npwrs)
	gpower[0], twogpower[0], onem2gpower[0] = 1, 1, 1
	gn, twogn, onem2gn := g/fn, 2*g/fn, (1-2*g)/fn
	for m := 1; m < npwrs; m++ {
		fm := float64(m)
		gpower[m] = gpower[m-1] * gn / fm
		twogpower[m] = twogpower[m-1] * twogn / fm
		onem2gpower[m] = onem2gpower[m-1] * onem2gn / fm
	}

	V0 := make([]float64, npwrs)
	V1 := make([]float64, npwrs)
	V1[0] = 1
	V0s, V1s := 0, 0
	expnt := 0
	j1, j2 := pomeranzJ1J2(0, n, ll, ceilf, roundf)
	for i := 1; i < 2*n+2; i++ {
		k1 := j1
		V0, V1 = V1, V0
		V0s, V1s = V1s, V0s
		clear(V1)
		j1, j2 = pomeranzJ1J2(i, n, ll, ceilf, roundf)
		var pwrs []float64
		switch {
		case i == 1 || i == 2*n+1:
			pwrs = gpower
		case i%2 == 1:
			pwrs = twogpower
		default:
			pwrs = onem2gpower
		}
		ln2 := j2 - k1 + 1
		if ln2 > 0 {
			// a = V0[k1-V0s : k1-V0s+ln2] (clipped as a numpy slice), b = pwrs[:ln2];
			// V1[r] = (a*b)[j1-k1+r] for r < j2-j1+1 (full convolution).
			lo := k1 - V0s
			a := V0[lo:min(lo+ln2, len(V0))]
			b := pwrs[:min(ln2, len(pwrs))]
			convStart, convLen := j1-k1, j2-j1+1
			convN := len(a) + len(b) - 1
			maxV := 0.0
			for r := 0; r < convLen && convStart+r < convN; r++ {
				s := convStart + r
				sum := 0.0
				for ia := max(0, s-len(b)+1); ia <= min(s, len(a)-1); ia++ {
					sum += a[ia] * b[s-ia]
				}
				V1[r] = sum
				maxV = max(maxV, sum)
			}
			if 0 < maxV && maxV < em128 {
				for r := range V1 {
					V1[r] *= ep128
				}
				expnt -= e128
			}
			V1s = V0s + j1 - k1
		}
	}
	ans := V1[n-V1s]
	for m := 1; m <= n; m++ {
		if math.Abs(ans) > ep128 {
			ans *= em128
			expnt += e128
		}
		ans *= float64(m)
	}
	if expnt != 0 {
		ans = math.Ldexp(ans, expnt)
	}
	return clip01(ans)
}

// kolmognPelzGood returns the Pelz–Good (1976) approximation of P(D_n <= x):
// the Li-Chien/Korolyuk expansion K0(z) + K1(z)/sqrt(n) + K2(z)/n + K3(z)/n^1.5,
// z = x*sqrt(n), with each K_i rewritten by Jacobi's theta transformation into
// sums over exp(-(2k-1)^2 pi^2 / (8 z^2)) that converge fast for small z.
func kolmognPelzGood(n int, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	pi := math.Pi
	pi2 := pi * pi
	pi4, pi6 := math.Pow(pi, 4), math.Pow(pi, 6)
	sqrt2pi := math.Sqrt(2 * math.Pi)
	fn := float64(n)
	z := math.Sqrt(fn) * x
	z2, z3, z4, z6 := z*z, z*z*z, z*z*z*z, math.Pow(z, 6)

	qlog := -pi2 / 8 / z2
	if qlog < -708 {
		return 0
	}
	q := math.Exp(qlog)

	k1a, k1b := -z2, pi2/4
	k2a := 6*z6 + 2*z4
	k2b := (2*z4 - 5*z2) * pi2 / 4
	k2c := pi4 * (1 - 2*z2) / 16
	k3d := pi6 * (5 - 30*z2) / 64
	k3c := pi4 * (-60*z2 + 212*z4) / 16
	k3b := pi2 * (135*z4 - 96*z6) / 4
	k3a := -30*z6 - 90*math.Pow(z, 8)

	var K [4]float64
	maxk := int(math.Ceil(16 * z / math.Pi))
	for k := maxk; k > 0; k-- {
		m := float64(2*k - 1)
		m2 := m * m
		m4, m6 := m2*m2, m2*m2*m2
		qp := math.Pow(q, float64(8*k))
		c := [4]float64{
			1,
			k1a + k1b*m2,
			k2a + k2b*m2 + k2c*m4,
			k3a + k3b*m2 + k3c*m4 + k3d*m6,
		}
		for i := range K {
			K[i] = K[i]*qp + c[i]
		}
	}
	div := [4]float64{z, 6 * z4, 72 * math.Pow(z, 7), 6480 * math.Pow(z, 10)}
	for i := range K {
		K[i] = K[i] * q * sqrt2pi / div[i]
	}

	// The remaining sums over all k >= 1 of q2^(k^2) terms.
	q2 := math.Exp(-pi2 / 2 / z2)
	var s2, s3 float64
	sqrt3z := math.Sqrt(3) * z
	for k := maxk; k > 0; k-- {
		fk := float64(k)
		ksq := fk * fk
		qp := math.Pow(q2, ksq)
		kspi := math.Pi * fk
		s2 += ksq * qp
		s3 += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp
	}
	K[2] += s2 * (pi2 * sqrt2pi / (-36 * z3))
	K[3] += s3 * (pi2 * sqrt2pi / (216 * z6))
	sum := 0.0
	for i := range K {
		sum += K[i] / math.Pow(fn, float64(i)/2)
	}
	return sum
}

// smirnovSF returns scipy.special.smirnov(n, x) = P(D_n^+ >= x), the exact
// one-sided Kolmogorov–Smirnov tail (Smirnov 1944, Birnbaum & Tingey 1951):
//
//	P(D_n^+ >= x) = x * sum_{v=0}^{floor(n(1-x))} C(n,v) (x+v/n)^(v-1) (1-x-v/n)^(n-v),
//
// with the special cases and term selection of SciPy's cephes _smirnov (van
// Mulbregt 2018): closed forms for x <= 1/n and x >= 1-1/n, 0 when
// -2 n x^2 < MINLOG, the upper sum when it has few terms and x is small, and
// the approximation exp(-(6nx+1)^2/(18n)) for n > 10^6. As in SciPy, the
// terms are computed in double-double arithmetic with a separate binary
// exponent (the binomials overflow float64), so the result is accurate to a
// few ulps for every n.
func smirnovSF(n int, x float64) float64 {
	if !(n > 0 && x >= 0 && x <= 1) {
		return math.NaN()
	}
	if n == 1 {
		return 1 - x
	}
	if x == 0 {
		return 1
	}
	if x == 1 {
		return 0
	}
	fn := float64(n)
	// floor(n*x) and the fractional part alpha, exactly.
	nx := fn * x
	nxErr := math.FMA(fn, x, -nx)
	fl := math.Floor(nx)
	alpha := (nx - fl) + nxErr
	if alpha < 0 {
		fl--
		alpha++
	}
	if alpha >= 1 {
		fl++
		alpha = 0
	}
	nxfl := int(fl)
	n1mxfl := n - nxfl
	if alpha != 0 {
		n1mxfl--
	}
	n1mxceil := n - nxfl
	if alpha == 0 {
		n1mxfl--
		n1mxceil++
	}

	if nxfl == 0 || (nxfl == 1 && alpha == 0) { // x <= 1/n
		cdf := x * powScaled(ddAdd(dd{1, 0}, dd{x, 0}), n-1).float()
		return clip01(1 - cdf)
	}
	if -2*fn*x*x < minLog {
		return 0
	}
	if nxfl >= n-1 { // x >= 1 - 1/n
		return clip01(powInt(1-x, n))
	}
	if n > 1000000 {
		logp := -math.Pow(6*fn*x+1, 2) / 18 / fn
		if logp < -math.Ln2 {
			return clip01(math.Exp(logp))
		}
		return clip01(1 + math.Expm1(logp))
	}

	nUpper := n - n1mxceil + 1
	upper := (nUpper <= 1 && x < 0.5) ||
		(n >= 10 && nUpper <= 3 && x <= 0.5/math.Sqrt(fn))

	start, step, nTerms := 0, 1, n1mxfl+1
	if upper {
		start, step, nTerms = n, -1, n-n1mxceil+1
	}
	var sum dd
	c := scaled{dd{1, 0}, 0} // C(n, v), updated incrementally
	var cur scaled           // the current term, for the ratio recurrence
	vmid := n / 2
	for j := range nTerms {
		v := start + j*step
		if j > 0 {
			// C(n, v) from C(n, v-step); symmetric in v <-> n-v, so both
			// directions multiply by (n-j+1)/j.
			c = c.mul(ddDivInt(n-j+1, j)).norm()
		}
		if upper || j%smirnovAnchor == 0 || cur.m.hi == 0 {
			// A_v = C(n,v) (x+v/n)^(v-1) (1-x-v/n)^(n-v), in double-double.
			y := ddAdd(ddDivInt(v, n), dd{x, 0})
			w := ddAdd(dd{1, 0}, dd{-y.hi, -y.lo})
			cur = c.mulScaled(powScaled(y, v-1)).mulScaled(powScaled(w, n-v))
		} else {
			// A_v / A_{v-1} = (n-v+1)/v * Y_v/W_{v-1} *
			//   exp((v-2) log1p(1/Y_{v-1}) + (n-v) log1p(-1/W_{v-1})),
			// Y_v = n(x+v/n), W_v = n(1-x-v/n): exponents of order 1, so each
			// step costs a few ulps; anchors every smirnovAnchor terms bound the drift.
			yv := (nx + float64(v)) + nxErr
			yp := yv - 1
			wp := (float64(n-v+1) - nx) - nxErr
			e := float64(v-2)*math.Log1p(1/yp) + float64(n-v)*math.Log1p(-1/wp)
			r := float64(n-v+1) / float64(v) * (yv / wp) * math.Exp(e)
			cur = scaled{dd{cur.m.hi * r, 0}, cur.e}.norm()
		}
		a := cur.float()
		if !math.IsInf(a, 0) && !math.IsNaN(a) && a != 0 {
			sum = ddAdd(sum, cur.dd())
		}
		if a != 0 {
			if 4*float64(nTerms-j)*math.Abs(a) < dblEpsilon*sum.hi && j != nTerms-1 {
				break
			}
		} else if j > vmid {
			break
		}
	}
	prob := x * sum.hi
	if upper {
		return clip01(1 - prob)
	}
	return clip01(prob)
}

// powInt returns b^m for an integer m >= 0, accurate to a few ulps for any m
// (math.Pow's repeated squaring loses about m ulps).
func powInt(b float64, m int) float64 {
	return powScaled(dd{b, 0}, m).float()
}

const dblEpsilon = 0x1p-52

// smirnovAnchor is how often smirnovSF computes a term exactly instead of by
// the ratio recurrence.
const smirnovAnchor = 256
