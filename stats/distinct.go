package stats

// UnionDistinctSortedAtMost counts the distinct values of a ∪ b (both sorted ascending)
// like UnionDistinctSorted, but stops once the count exceeds limit and then returns
// limit+1: callers that only compare the count with a small bound (a preset asking
// "at most 5 values?") pay for limit+1 runs of ties, not for the whole samples.
func UnionDistinctSortedAtMost(a, b []float64, limit int) int {
	i, j, k := 0, 0, 0
	for i < len(a) || j < len(b) {
		if k > limit {
			return limit + 1
		}
		var v float64
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			v = a[i]
		default:
			v = b[j]
		}
		for i < len(a) && a[i] == v {
			i++
		}
		for j < len(b) && b[j] == v {
			j++
		}
		k++
	}
	return min(k, limit+1)
}
