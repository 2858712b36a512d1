package gen

import (
	"math/rand/v2"
)

// newRand returns a PCG generator for one independent stream of a seed. Every file (and,
// in bench, every chunk of rows) draws from its own stream, so the output does not depend
// on the order or the concurrency in which streams are consumed.
func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// cumulative returns the running sums of p normalised to end at exactly 1.
func cumulative(p []float64) []float64 {
	c := make([]float64, len(p))
	s := 0.0
	for _, v := range p {
		s += v
	}
	acc := 0.0
	for i, v := range p {
		acc += v / s
		c[i] = acc
	}
	c[len(c)-1] = 1
	return c
}

// pick draws an index with the probabilities whose cumulative sums are cum.
func pick(r *rand.Rand, cum []float64) int {
	u := r.Float64()
	for i, c := range cum {
		if u < c {
			return i
		}
	}
	return len(cum) - 1
}
