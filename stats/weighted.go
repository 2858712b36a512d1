package stats

import (
	"math"
	"math/big"
)

// Rank methods on weighted samples: the items of a QuantileSketch (Items), or
// exact sorted values with weight 1 (nil weights). Each sample is sorted
// ascending and finite, weights are positive counts; n1 and n2, the sample
// sizes, are the sums of the weights. The statistics are those of the exact
// methods with the empirical CDFs F1, F2 replaced by the weighted CDFs of the
// items,
//
//	F̂(x) = (weight of items <= x) / n,
//
// and the p-values are computed at the true sample sizes n1, n2. With unit
// weights the weighted CDFs are the empirical ones. When each F̂ is within ε_i
// of its F (a sketch's RankErrorBound), the statistics move by at most:
//
//	KS D              ε1 + ε2
//	Wasserstein W1    (ε1 + ε2) (max - min)  (max, min over both samples)
//	Energy            sqrt(4 (ε1 + ε2) (max - min))
//	Cramér–von Mises  4 (ε1 + ε2) n1 n2 / N, roughly (T is n1 n2/N ∫ (F1-F2)^2 dH)
//
// Anderson–Darling's weights 1/(H(1-H)) make it sensitive in the tails, where
// a sketch has the same absolute (not relative) error: treat it as indicative.

// weightedWalk calls f once per distinct value z of the pooled samples, in
// ascending order, with the weights a1, a2 of each sample at z and the
// weights c1, c2 of each sample at or below z. next is the following distinct
// value (+Inf after the last).
func weightedWalk(v1, w1, v2, w2 []float64, f func(z, next, a1, a2, c1, c2 float64)) {
	wt := func(w []float64, i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	i, j := 0, 0
	var c1, c2 float64
	for i < len(v1) || j < len(v2) {
		z := math.Inf(1)
		if i < len(v1) {
			z = v1[i]
		}
		if j < len(v2) && v2[j] < z {
			z = v2[j]
		}
		var a1, a2 float64
		for i < len(v1) && v1[i] == z {
			a1 += wt(w1, i)
			i++
		}
		for j < len(v2) && v2[j] == z {
			a2 += wt(w2, j)
			j++
		}
		c1 += a1
		c2 += a2
		next := math.Inf(1)
		if i < len(v1) {
			next = v1[i]
		}
		if j < len(v2) && v2[j] < next {
			next = v2[j]
		}
		f(z, next, a1, a2, c1, c2)
	}
}

func weightSum(v, w []float64) float64 {
	if w == nil {
		return float64(len(v))
	}
	var s float64
	for _, x := range w {
		s += x
	}
	return s
}

func checkWeighted(v1, w1, v2, w2 []float64) (n1, n2 float64) {
	if len(v1) == 0 || len(v2) == 0 {
		panic("stats: weighted method of an empty sample")
	}
	if (w1 != nil && len(w1) != len(v1)) || (w2 != nil && len(w2) != len(v2)) {
		panic("stats: weights and values of different lengths")
	}
	return weightSum(v1, w1), weightSum(v2, w2)
}

// WeightedKS returns the KS statistic D = max |F̂1 - F̂2| of two weighted
// samples and its p-value at sizes n1, n2 as KS with KSAuto (exact when
// max(n1, n2) <= 10000, else asymptotic). It panics if a sample is empty.
func WeightedKS(v1, w1, v2, w2 []float64) (d, p float64) {
	n1, n2 := checkWeighted(v1, w1, v2, w2)
	weightedWalk(v1, w1, v2, w2, func(_, _, _, _, c1, c2 float64) {
		d = max(d, math.Abs(c1/n1-c2/n2))
	})
	return d, KSPValue(d, int(math.Round(n1)), int(math.Round(n2)))
}

// KSPValue is the two-sided p-value of a KS statistic d for sample sizes n1,
// n2, as KS computes it with KSAuto.
func KSPValue(d float64, n1, n2 int) float64 {
	if n1 <= 0 || n2 <= 0 {
		return math.NaN()
	}
	if max(n1, n2) <= ksMaxAutoN {
		if _, p, ok := ksExact(n1, n2, d); ok {
			return p
		}
	}
	return ksAsymp(n1, n2, d)
}

// WeightedWasserstein returns W1 = ∫ |F̂1 - F̂2| dx of two weighted samples.
func WeightedWasserstein(v1, w1, v2, w2 []float64) float64 {
	n1, n2 := checkWeighted(v1, w1, v2, w2)
	var s blockSum
	weightedWalk(v1, w1, v2, w2, func(z, next, _, _, c1, c2 float64) {
		if !math.IsInf(next, 1) {
			s.add(math.Abs(c1/n1-c2/n2) * (next - z))
		}
	})
	return s.sum()
}

// WeightedEnergy returns the energy distance sqrt(2 ∫ (F̂1 - F̂2)^2 dx) of two
// weighted samples.
func WeightedEnergy(v1, w1, v2, w2 []float64) float64 {
	n1, n2 := checkWeighted(v1, w1, v2, w2)
	var s blockSum
	weightedWalk(v1, w1, v2, w2, func(z, next, _, _, c1, c2 float64) {
		if !math.IsInf(next, 1) {
			d := c1/n1 - c2/n2
			s.add(d * d * (next - z))
		}
	})
	return math.Sqrt(2) * math.Sqrt(s.sum())
}

// WeightedCramerVonMises returns the two-sample Cramér–von Mises statistic in
// its CDF form (Anderson 1962),
//
//	T = n1 n2 / N^2 sum_z l_z (F̂1(z) - F̂2(z))^2,
//
// summed over the distinct pooled values z with pooled weight l_z (without
// ties and with unit weights this is CramerVonMises' T), and its p-value from
// the limiting distribution after standardising with the exact mean and
// variance at n1, n2 (CramerVonMises' asymptotic branch). With unit weights
// and max(n1, n2) <= 20 it is CramerVonMises itself (exact p-value). NaN, NaN
// when a sample has a single value.
func WeightedCramerVonMises(v1, w1, v2, w2 []float64) (stat, p float64) {
	n1, n2 := checkWeighted(v1, w1, v2, w2)
	if w1 == nil && w2 == nil && max(len(v1), len(v2)) <= cvmMaxExactN {
		return CramerVonMises(v1, v2)
	}
	if n1 <= 1 || n2 <= 1 {
		return math.NaN(), math.NaN()
	}
	N := n1 + n2
	var s blockSum
	weightedWalk(v1, w1, v2, w2, func(_, _, a1, a2, c1, c2 float64) {
		d := c1/n1 - c2/n2
		s.add((a1 + a2) * d * d)
	})
	stat = n1 * n2 / (N * N) * s.sum()
	return stat, cvmAsympP(stat, int64(math.Round(n1)), int64(math.Round(n2)))
}

// cvmAsympP is CramerVonMises' asymptotic p-value of T for sizes nx, ny.
func cvmAsympP(stat float64, nx, ny int64) float64 {
	k, N := nx*ny, nx+ny
	fN := float64(N)
	et := (1 + 1/fN) / 6
	bn := big.NewInt
	num := new(big.Int).Mul(bn(k), bn(N))
	num.Mul(num, bn(4))
	t2 := new(big.Int).Add(new(big.Int).Mul(bn(nx), bn(nx)), new(big.Int).Mul(bn(ny), bn(ny)))
	num.Sub(num, t2.Mul(t2, bn(3)))
	num.Sub(num, new(big.Int).Mul(bn(2), bn(k)))
	num.Mul(num, bn(N+1))
	den := new(big.Int).Mul(bn(N), bn(N))
	den.Mul(den, bn(45*4))
	den.Mul(den, bn(k))
	vt, _ := new(big.Rat).SetFrac(num, den).Float64()
	tn := 1.0/6 + (stat-et)/math.Sqrt(45*vt)
	if tn < 0.003 {
		return 1
	}
	return max(0, 1-cvmCDFInf(tn))
}

// WeightedAndersonDarling returns AndersonDarling's standardised statistic and
// p-value for two weighted samples: the midrank formula with the distinct
// pooled values z_j, their pooled weights l_j, B_j = (weight below z_j) +
// l_j/2 and M_ij = (weight of sample i <= z_j) - (its weight at z_j)/2,
// standardised with the exact variance at N = n1 + n2 (for N > 10^6 the
// harmonic sums h and g of Scholz & Stephens take their asymptotic forms
// ln(N-1) + γ + 1/(2(N-1)) - 1/(12(N-1)^2) and π²/6 - 2(ln N + γ + 1/2)/N,
// whose errors are O(1/N^2) and O(ln N/N^2)). NaN, NaN when every value is
// equal.
func WeightedAndersonDarling(v1, w1, v2, w2 []float64) (stat, p float64) {
	n1, n2 := checkWeighted(v1, w1, v2, w2)
	if w1 == nil && w2 == nil {
		return AndersonDarling(v1, v2)
	}
	if v1[0] == v1[len(v1)-1] && v2[0] == v2[len(v2)-1] && v1[0] == v2[0] {
		return math.NaN(), math.NaN()
	}
	N := n1 + n2
	var s1, s2 blockSum
	weightedWalk(v1, w1, v2, w2, func(_, next, a1, a2, c1, c2 float64) {
		lj := a1 + a2
		bj := c1 + c2 - lj/2
		den := bj*(N-bj) - N*lj/4
		if !(den > 0) {
			return
		}
		m1 := c1 - a1/2
		m2 := c2 - a2/2
		d1 := N*m1 - bj*n1
		d2 := N*m2 - bj*n2
		w := lj / N / den
		s1.add(d1 * d1 * w)
		s2.add(d2 * d2 * w)
	})
	a2kN := (s1.sum()/n1 + s2.sum()/n2) * ((N - 1) / N)

	H := 1/n1 + 1/n2
	var h, g float64
	nInt := int64(math.Round(N))
	if nInt <= 1_000_000 {
		hs := 0.0
		for t := int64(0); t < nInt-2; t++ {
			hs += 1 / float64(nInt-1-t)
			g += hs / float64(t+2)
		}
		h = hs + 1
	} else {
		const euler = 0.5772156649015329
		m := N - 1
		h = math.Log(m) + euler + 1/(2*m) - 1/(12*m*m)
		g = math.Pi*math.Pi/6 - 2*(math.Log(N)+euler+0.5)/N
	}
	return adStandardized(a2kN, N, H, h, g)
}
